"""``seqclf.fit``: train a generic task on data already in memory, for notebooks.

The same run as ``seqclf train text|audio|series`` (reader aside): the defaults are
chosen from the data, any recipe field can be overridden by keyword, and the model
folder written to ``out`` is an ordinary one that ``Predictor.from_pretrained``, ``seqclf
serve`` and the UI take as it is.

>>> predictor = seqclf.fit("text", ["Nakamura", "Schmidt", ...], ["Japanese", "German", ...],
...                        out="my-model", epochs=10)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from seqclf.config import ModelConfig, TrainConfig
from seqclf.data.series import COLUMN_OPTIONS
from seqclf.data.splits import Examples
from seqclf.errors import ConfigError
from seqclf.inference.predictor import Predictor, resolve_device
from seqclf.tasks import own_data_tasks
from seqclf.training.reporting import REPORT_DIR

#: options of the task's reader that shape the model (the estimator's too)
READER_OPTIONS = ("tokens", "word_vectors", "patch")
#: options of the task's reader that fit takes by keyword (a long DataFrame's label column is ``labels``)
DATA_OPTIONS = (*READER_OPTIONS, *(o for o in COLUMN_OPTIONS if o != "label_column"))


def _examples(task: str, inputs: Any, labels: Any, what: str, columns: dict[str, Any]) -> Examples:
    """``inputs`` and ``labels`` as Examples; a long DataFrame of series is read by the series table reader."""
    pandas = sys.modules.get("pandas")  # a DataFrame exists only once pandas is imported
    if pandas is not None and isinstance(inputs, pandas.DataFrame):
        if task != "series":
            raise ConfigError(
                f"{what}: a DataFrame is read as a long table of series; for {task}, pass its input column "
                "and its label column (df['...'], df['label'])"
            )
        if not isinstance(labels, str):
            raise ConfigError(
                f"{what}: with a long DataFrame, labels names its label column (e.g. 'label'), "
                f"not a {type(labels).__name__}"
            )
        from seqclf.data.series_tables import from_long_frame

        return from_long_frame(inputs, f"{what} (a DataFrame)", label_column=labels, **columns)
    inputs, labels = list(inputs), [str(label) for label in labels]
    if len(inputs) != len(labels):
        raise ConfigError(f"{what}: {len(inputs)} inputs but {len(labels)} labels")
    return Examples(inputs, labels)


def fit(
    task: str,
    inputs: Any,
    labels: Any,
    out: str | Path,
    *,
    test: tuple[Any, Any] | None = None,
    device: str | None = None,
    overwrite: bool = False,
    baseline: bool = True,
    report_to: Sequence[str] = (),
    report_dir: str | Path = REPORT_DIR,
    description: str | None = None,
    log: Any = tqdm.write,
    **overrides: Any,
) -> Predictor:
    """Train ``task`` on ``inputs`` and ``labels``, save the model to ``out``, return its Predictor.

    ``inputs`` are strings (``text``), ``(steps, channels)`` arrays (``series``), or audio
    paths, WAV bytes or ``{"array", "sampling_rate"}`` dicts (``audio``). For ``series``
    they may also be a long pandas DataFrame, one row per time step, with ``labels`` the
    name of its label column; ``id_column``, ``time_column`` and ``channels`` name the
    others (:mod:`seqclf.data.series_tables`, which reads table files the same way).
    ``test``, an ``(inputs, labels)`` pair, is what the card reports on; without it a
    stratified part is held out. ``overwrite`` lets ``out`` already hold files (a model
    from an earlier call, say). ``overrides`` are recipe fields by name (``hidden_size=64``,
    ``epochs=5``) and the reader's ``tokens``, ``word_vectors``, ``patch`` and a
    DataFrame's columns. With ``baseline`` the practitioner's first model is fitted and
    scored on the same split too; the returned predictor's ``pretrained.training.test``
    and ``.baseline`` hold the two results, and ``pretrained.training.history`` the
    per-epoch log as rows (``pandas.DataFrame`` takes it). ``report_to``
    (``["tensorboard"]``, ``["mlflow"]``) sends the same figures to those trackers, in a
    run directory under ``report_dir``.
    ``description`` says what the model is for ("Surname to language of origin"): the card's
    title and the demo's tab show it; without it they name the task and the labels.
    """
    from seqclf.training.run import run_training

    if task not in own_data_tasks():
        raise ConfigError(f"seqclf.fit trains {', '.join(own_data_tasks())}; got {task!r}")
    model_fields = {f.name for f in fields(ModelConfig)}
    train_fields = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(overrides) - model_fields - train_fields - set(DATA_OPTIONS))
    if unknown:
        raise ConfigError(
            f"unknown option(s) {', '.join(unknown)}: give fields of ModelConfig or TrainConfig, "
            f"or {', '.join(DATA_OPTIONS)}"
        )
    split: dict[str, Any] = {k: overrides.pop(k) for k in DATA_OPTIONS if k in overrides}
    columns = {k: v for k, v in split.items() if k in COLUMN_OPTIONS}
    if test is not None:
        split["test_examples"] = _examples(task, *test, "the test data", columns)
    run_training(
        task,
        _examples(task, inputs, labels, "the data", columns),
        Path(out),
        model={k: v for k, v in overrides.items() if k in model_fields},
        train={k: v for k, v in overrides.items() if k in train_fields},
        reader_options=split,
        command=f"seqclf.fit({task!r}, ...)",
        device=resolve_device(device) if device else torch.device("cpu"),
        log=log,
        overwrite=overwrite,
        baseline=baseline,
        report_to=report_to,
        report_dir=report_dir,
        description=description,
    )
    return Predictor.from_pretrained(out, device=device)
