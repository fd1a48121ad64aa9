"""``seqclf.fit``: train a generic task on data already in memory, for notebooks.

The same run as ``seqclf train text|audio|series`` (reader aside): the defaults are
chosen from the data, any recipe field can be overridden by keyword, and the model
folder written to ``out`` is an ordinary one that ``Predictor.from_pretrained``, ``seqclf
serve`` and the UI take as it is.

>>> predictor = seqclf.fit("text", ["Nakamura", "Schmidt", ...], ["Japanese", "German", ...],
...                        out="my-model", epochs=10)
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from seqclf.config import ModelConfig, TrainConfig
from seqclf.data.splits import Examples
from seqclf.errors import ConfigError
from seqclf.inference.predictor import Predictor, resolve_device
from seqclf.tasks import own_data_tasks

#: options of the task's reader that fit takes by keyword
DATA_OPTIONS = ("tokens", "word_vectors", "patch")


def _examples(inputs: Any, labels: Any, what: str) -> Examples:
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
    description: str | None = None,
    log: Any = tqdm.write,
    **overrides: Any,
) -> Predictor:
    """Train ``task`` on ``inputs`` and ``labels``, save the model to ``out``, return its Predictor.

    ``inputs`` are strings (``text``), ``(steps, channels)`` arrays (``series``), or audio
    paths, WAV bytes or ``{"array", "sampling_rate"}`` dicts (``audio``). ``test``, an
    ``(inputs, labels)`` pair, is what the card reports on; without it a stratified part
    is held out. ``overwrite`` lets ``out`` already hold files (a model from an earlier
    call, say). ``overrides`` are recipe fields by name (``hidden_size=64``, ``epochs=5``)
    and the reader's ``tokens``, ``word_vectors`` and ``patch``. With ``baseline`` the
    practitioner's first model is fitted and scored on the same split too; the returned
    predictor's ``pretrained.training.test`` and ``.baseline`` hold the two results.
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
    if test is not None:
        split["test_examples"] = _examples(*test, "test")
    run_training(
        task,
        _examples(inputs, labels, "the data"),
        Path(out),
        model={k: v for k, v in overrides.items() if k in model_fields},
        train={k: v for k, v in overrides.items() if k in train_fields},
        reader_options=split,
        command=f"seqclf.fit({task!r}, ...)",
        device=resolve_device(device) if device else torch.device("cpu"),
        log=log,
        overwrite=overwrite,
        baseline=baseline,
        description=description,
    )
    return Predictor.from_pretrained(out, device=device)
