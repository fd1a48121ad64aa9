"""``seqclf train``: a task's data in, a model folder out, with the defaults of its recipe.

The recipe flags (``--hidden-size``, ``--epochs``, ...) are made from the config
dataclasses' fields (:mod:`seqclf.cli.flags`), so a field added to a config is a flag.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from seqclf.cli.flags import setting_names
from seqclf.cli.support import DATA_HELP, fail, start_compute
from seqclf.config import DEVICE_HELP, ModelConfig, TrainConfig
from seqclf.errors import ConfigError, SeqclfError
from seqclf.tasks import built_in_tasks, own_data_tasks


def _given(**options: Any) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}


def _flag(option: str) -> str:
    """The train flag (underscored) that sets a reader option: ``test_file`` is ``--test``."""
    return "test" if option == "test_file" else option


def _command_line(task: str, data: str, out: Path, options: dict[str, Any]) -> str:
    """The canonical ``seqclf train`` command that reproduces a run, for its model card."""
    words = ["seqclf", "train", task, "--data", str(data), "--out", str(out)]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            words.append(flag if value else f"--no-{flag[2:]}")
        else:
            words += [flag, str(value)]
    return shlex.join(words)


def train(
    task: Annotated[
        str,
        typer.Argument(
            help=f"What to train: your own data ({', '.join(own_data_tasks())}) or a built-in recipe "
            f"({', '.join(built_in_tasks())})."
        ),
    ],
    data: Annotated[str, typer.Option(help=DATA_HELP)],
    out: Annotated[Path, typer.Option(help="Folder to write the trained model to.")],
    test: Annotated[
        str | None,
        typer.Option(
            help="text, audio, series: a test file or folder in --data's format; the card reports on "
            "it and nothing is held out of --data for testing."
        ),
    ] = None,
    text_column: Annotated[str | None, typer.Option(help="text: the column holding the texts.")] = None,
    label_column: Annotated[str | None, typer.Option(help="text: the column holding the labels.")] = None,
    tokens: Annotated[
        str | None,
        typer.Option(help="text: auto (chars for short strings, words for sentences), chars or words."),
    ] = None,
    word_vectors: Annotated[
        str | None,
        typer.Option(
            help="text (words): pretrained vectors to start the embeddings from: a GloVe, fastText "
            ".vec or word2vec text file (.gz too), glove-6b-50d or spacy-md-300d, or none (default: "
            "glove-6b-50d for English words when the glove extra is installed)."
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            help="text, audio: refuse data with a row whose text or label is empty, or a recording that "
            "cannot be read (default: skip them and say so)."
        ),
    ] = False,
    patch: Annotated[
        int | None,
        typer.Option(
            min=1, help="series: steps grouped into one recurrent step (default: chosen from the data)."
        ),
    ] = None,
    device: Annotated[str | None, typer.Option(help=DEVICE_HELP)] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue the interrupted run whose checkpoint is in --checkpoint-dir.")
    ] = False,
    checkpoint_dir: Annotated[
        Path | None, typer.Option(help="Folder for the per-epoch checkpoints (default: --out).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Write the model into --out even if that folder already holds files.")
    ] = False,
    baseline: Annotated[
        bool,
        typer.Option(
            help="Also fit the practitioner's first model (TF-IDF + logistic regression, pooled MFCCs, "
            "MiniRocket or 1-NN DTW) on the same split and report it beside this one."
        ),
    ] = True,
    description: Annotated[
        str | None,
        typer.Option(
            help="What the model is for, in a line (e.g. 'Surname to language of origin'): the model "
            "card's title and the demo's tab say it (default: the task's own, or the task and its labels)."
        ),
    ] = None,
    **settings: Any,
) -> None:
    """Train a model on a task's data; the defaults are the task's tested recipe (or chosen from your data).

    Runs unchanged under `torchrun --nproc_per_node N`: one process per GPU, or CPU processes.
    """

    from seqclf.inference.predictor import resolve_device
    from seqclf.tasks import get_task
    from seqclf.training import distributed
    from seqclf.training.run import run_training

    try:
        start_compute()
        chosen = get_task(task)  # looked up once: the run gets the task itself
        data_options = _given(
            test_file=test,
            text_column=text_column,
            label_column=label_column,
            tokens=tokens,
            word_vectors=word_vectors,
            patch=patch,
            strict=strict or None,
        )
        misplaced = sorted(set(data_options) - set(chosen.data_options))
        if misplaced:
            flags = ", ".join("--" + _flag(k).replace("_", "-") for k in misplaced)
            raise ConfigError(f"{flags}: not an option of the {task} task")
        model_overrides = _given(**{k: settings[k] for k in setting_names(ModelConfig)})
        train_overrides = _given(**{k: settings[k] for k in setting_names(TrainConfig)})
        replace(TrainConfig(), **train_overrides)  # a bad value is refused before any data is read
        # The canonical command, not sys.argv: resume options are left out, so a resumed
        # run records what a fresh one would.
        flags = {_flag(k): v for k, v in data_options.items()}
        described = _given(description=description)
        command = _command_line(task, data, out, {**flags, **described, **model_overrides, **train_overrides})
        with distributed.process_group(resolve_device(device)) as process_device:
            run_training(
                chosen,
                data,
                out,
                model=model_overrides,
                train=train_overrides,
                reader_options=data_options or None,
                command=command,
                device=process_device,
                resume=resume,
                checkpoint_dir=checkpoint_dir,
                overwrite=overwrite,
                baseline=baseline,
                description=description,
            )
    except SeqclfError as err:
        raise fail(err) from None
    if distributed.is_main_process():
        typer.echo(f"saved {out}")
