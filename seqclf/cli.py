"""The ``seqclf`` command line: train and evaluate here; predict, serve and the Hub commands registered.

Every :class:`~seqclf.errors.SeqclfError` becomes a one-line message and exit code 2,
so a user sees what to fix rather than a traceback.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated, Any

import typer

from seqclf.cli_export import export
from seqclf.cli_hub import card, pull, push
from seqclf.cli_predict import predict
from seqclf.cli_settings import setting_names, with_settings
from seqclf.cli_support import fail, request_threads, start_compute
from seqclf.config import ModelConfig, TrainConfig
from seqclf.errors import ConfigError, SeqclfError
from seqclf.serving.command import serve

DATA_HELP = (
    "The task's data folder or file, or a Hub dataset: hf://datasets/OWNER/NAME, optionally "
    "with @REVISION and a /PATH inside it (its data files only, cached)."
)

app = typer.Typer(
    help="Train, evaluate and use bidirectional recurrent sequence classifiers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="torch threads for train, evaluate, predict (default: the CPUs this process may use, "
            "less those other work keeps busy; also SEQCLF_TORCH_THREADS).",
        ),
    ] = None,
) -> None:
    request_threads(threads)


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
            help="What to train: your own data (text, audio, series) or a built-in recipe "
            "(names, sentiment, digits, vowels)."
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
    device: Annotated[
        str | None, typer.Option(help="cpu, cuda, cuda:N or mps (default: CUDA when available).")
    ] = None,
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
    **settings: Any,
) -> None:
    """Train a model on a task's data; the defaults are the task's tested recipe (or chosen from your data).

    Runs unchanged under `torchrun --nproc_per_node N`: one process per GPU, or CPU processes.
    """

    from seqclf.predictor import resolve_device
    from seqclf.tasks import get_task
    from seqclf.training import distributed
    from seqclf.training.run import run_training

    try:
        start_compute()
        recipe = get_task(task)
        data_options = _given(
            test_file=test,
            text_column=text_column,
            label_column=label_column,
            tokens=tokens,
            word_vectors=word_vectors,
            patch=patch,
            strict=strict or None,
        )
        misplaced = sorted(set(data_options) - set(recipe.data_options))
        if misplaced:
            flags = ", ".join("--" + _flag(k).replace("_", "-") for k in misplaced)
            raise ConfigError(f"{flags}: not an option of the {task} task")
        model_overrides = _given(**{k: settings[k] for k in setting_names(ModelConfig)})
        train_overrides = _given(**{k: settings[k] for k in setting_names(TrainConfig)})
        replace(TrainConfig(), **train_overrides)  # a bad value is refused before any data is read
        # The canonical command, not sys.argv: resume options are left out, so a resumed
        # run records what a fresh one would.
        flags = {_flag(k): v for k, v in data_options.items()}
        command = _command_line(task, data, out, {**flags, **model_overrides, **train_overrides})
        with distributed.process_group(resolve_device(device)) as process_device:
            run_training(
                task,
                data,
                out,
                model_overrides,
                None,
                command,
                process_device,
                resume=resume,
                checkpoint_dir=checkpoint_dir,
                split=data_options or None,
                train_overrides=train_overrides,
                overwrite=overwrite,
                baseline=baseline,
            )
    except SeqclfError as err:
        raise fail(err) from None
    if distributed.is_main_process():
        typer.echo(f"saved {out}")


@app.command()
def evaluate(
    model: Annotated[str, typer.Argument(help="Model folder or Hub repo id.")],
    data: Annotated[str, typer.Option(help=DATA_HELP)],
    split: Annotated[
        str,
        typer.Option(
            help="train, validation or test; or all: every example of --data (a file in the training "
            "format; text, audio and series models)."
        ),
    ] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option(help="Also draw the confusion matrix into this PNG (none unless asked).")
    ] = None,
    revision: Annotated[str | None, typer.Option(help="Hub revision (branch, tag or commit).")] = None,
    baseline: Annotated[
        bool,
        typer.Option(
            help="Also fit the baseline on the rebuilt training part and score it on the same split "
            "(not with --split all)."
        ),
    ] = True,
) -> None:
    """Score a model on its data's split, rebuilt exactly as at training time."""
    from seqclf.baselines import budget, comparison, fit_baseline
    from seqclf.data.hub_data import local_data
    from seqclf.evaluation import evaluate as run_evaluation
    from seqclf.plots import save_confusion_matrix
    from seqclf.pretrained import PretrainedClassifier
    from seqclf.tasks import get_task

    try:
        start_compute()
        pretrained = PretrainedClassifier.from_pretrained(model, revision=revision)
        task = get_task(pretrained.task)
        recorded = pretrained.training.split if pretrained.training is not None else None
        seconds = pretrained.training.train_seconds if pretrained.training is not None else 0.0
        data, _ = local_data(data, log=lambda line: typer.echo(line, err=True))
        compared = None
        if split == "all":
            report = run_evaluation(pretrained, task.read(data, recorded))
        else:
            splits = task.load_splits(data, recorded)
            expected = (recorded or {}).get("test_fingerprint")
            if split == "test" and expected and splits.info.get("test_fingerprint") != expected:
                typer.secho(
                    "warning: this test split differs from the one the model card reports on "
                    "(other data version?); figures will not match the card",
                    err=True,
                    fg=typer.colors.YELLOW,
                )
            report = run_evaluation(pretrained, splits.get(split))
            if baseline:
                compared = fit_baseline(
                    pretrained.encoder, splits, splits.get(split), pretrained.labels, budget(seconds)
                )
    except SeqclfError as err:
        raise fail(err) from None
    # The report is printed before the plot is written, so a bad --plot path loses nothing.
    if as_json:
        extra = {"baseline": asdict(compared)} if compared is not None else {}
        typer.echo(json.dumps({"model": model, "split": split, **report, **extra}, indent=2))
    else:
        _print_report(report, split)
        if compared is not None:
            for line in comparison(report["accuracy"], report["macro_f1"], seconds, compared):
                typer.echo(line)
    if plot is None:
        return
    try:
        save_confusion_matrix(report, plot, title=f"{pretrained.task}: {split} split")
    except SeqclfError as err:
        raise fail(err) from None
    if not as_json:
        typer.echo(f"confusion matrix: {plot}")


def _print_report(report: dict[str, Any], split: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{split}: accuracy {report['accuracy']:.4f}, macro-F1 {report['macro_f1']:.4f}, "
        f"{report['num_examples']:,} examples"
    )
    for column in ("label", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for label, s in report["per_class"].items():
        table.add_row(
            label, f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}", str(s["support"])
        )
    Console().print(table)


app.command()(with_settings(train, ModelConfig, TrainConfig))
for command in (predict, serve, push, pull, card, export):
    app.command()(command)


def main() -> None:
    app()
