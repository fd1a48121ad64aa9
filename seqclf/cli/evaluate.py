"""``seqclf evaluate``: a model scored on its data's split, rebuilt as at training time, beside its baseline."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from seqclf.cli.support import DATA_HELP, fail, start_compute
from seqclf.errors import DataError, SeqclfError


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
    test: Annotated[
        str | None,
        typer.Option(
            help="The test file or folder of a model trained with --test: seqclf reads only the local "
            "files you name, never one a model folder names."
        ),
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
    from seqclf.cards.plots import save_confusion_matrix
    from seqclf.data.hub_data import local_data
    from seqclf.evaluation.baselines import budget, comparison, fit_baseline
    from seqclf.evaluation.evaluate import evaluate as run_evaluation
    from seqclf.network.pretrained import PretrainedClassifier
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
            splits = task.load_splits(data, _named_test_file(recorded, test))
            expected = (recorded or {}).get("test_fingerprint")
            if split == "test" and expected and splits.info.get("test_fingerprint") != expected:
                typer.secho(
                    "warning: this test split differs from the one the model card reports on "
                    "(other data version?); figures will not match the card",
                    err=True,
                    fg=typer.colors.YELLOW,
                )
            part = splits.get(split)
            if not len(part):
                raise DataError(
                    f"the rebuilt {split} part is empty: the model held none out (test=0, as "
                    "seqclf.RecurrentClassifier trains); score it on data of its own with --split all"
                )
            report = run_evaluation(pretrained, part)
            if baseline:
                compared = fit_baseline(pretrained.encoder, splits, part, pretrained.labels, budget(seconds))
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


def _named_test_file(recorded: dict[str, Any] | None, test: str | None) -> dict[str, Any] | None:
    """The recorded split, its local test file replaced by the one the user names with ``--test``.

    A model folder is untrusted (anyone's Hub repo): the path it records is where its trainer's
    test file was, and reading it would let the folder choose a file on this machine (whose
    contents an error could then print). A test set on the Hub (``hf://datasets/...``, pinned
    to its commit) is fetched as recorded.
    """
    from seqclf.data.hub_data import parse as parse_hub_data

    recorded_file = (recorded or {}).get("test_file")
    if recorded_file is None or parse_hub_data(recorded_file) is not None:
        if test is not None:
            raise DataError(
                "--test: this model was trained without a local test file "
                + (
                    "(any test part it has came from --data)"
                    if recorded_file is None
                    else f"(it is the Hub's {recorded_file})"
                )
                + ", so there is none to give; leave --test out"
            )
        return recorded
    if test is None:
        raise DataError(
            f"this model was tested on a file of its own ({Path(recorded_file).name}): give it with "
            "--test PATH (seqclf reads only the local files you name)"
        )
    return {**recorded, "test_file": test}


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
