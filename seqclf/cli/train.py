"""``seqclf train TASK``: a task's data in, a model folder out, with the defaults of its recipe.

Each task is its own command, made from the task registry when it is asked for
(:class:`TaskCommands`), so ``seqclf train text --help`` shows text's reader options and
not series' ``--patch``, and a task registered by one new module is a command with no
second list to keep. The recipe flags (``--hidden-size``, ``--epochs``, ...) are made from
the config dataclasses' fields (:mod:`seqclf.cli.flags`), so a field added to a config is a
flag of every task.
"""

from __future__ import annotations

import copy
import inspect
import shlex
import signal
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from seqclf.cli.flags import with_settings
from seqclf.cli.support import DATA_HELP, fail, start_compute
from seqclf.config import DEVICE_HELP, ModelConfig, TrainConfig, check_settings, setting_names
from seqclf.errors import ConfigError, SeqclfError
from seqclf.tasks import get_task, own_data_tasks, task_names
from seqclf.tasks.base import Task
from seqclf.training.reporting import REPORT_DIR, check_report_to

if TYPE_CHECKING:
    import click


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
    task: str,
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
    label_column: Annotated[
        str | None, typer.Option(help="text, series tables: the column holding the labels (default: label).")
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option(
            help="series, a long table (one row per time step): the column naming each row's series "
            "(default: series_id or id)."
        ),
    ] = None,
    time_column: Annotated[
        str | None,
        typer.Option(
            help="series, a long table: the column whose numbers or ISO 8601 dates order each series' rows "
            "(default: time or timestamp)."
        ),
    ] = None,
    channels: Annotated[
        str | None,
        typer.Option(
            help="series, a long table: the channel columns, comma-separated (default: every column but "
            "the id, time and label)."
        ),
    ] = None,
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
    checkpoint_steps: Annotated[
        int,
        typer.Option(
            min=0,
            help="Also checkpoint every N optimiser steps inside an epoch, so --resume goes on from "
            "the step after the last one (0: only at epochs' ends).",
        ),
    ] = 0,
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
    report_to: Annotated[
        list[str] | None,
        typer.Option(
            help="Also send each epoch's figures to tensorboard or mlflow (repeat, or join with commas); "
            "a local run directory under --report-dir, nothing sent anywhere unless MLFLOW_TRACKING_URI "
            "names a server."
        ),
    ] = None,
    report_dir: Annotated[Path, typer.Option(help="Where --report-to writes its run directories.")] = Path(
        REPORT_DIR
    ),
    description: Annotated[
        str | None,
        typer.Option(
            help="What the model is for, in a line (e.g. 'Surname to language of origin'): the model "
            "card's title and the demo's tab say it (default: the task's own, or the task and its labels)."
        ),
    ] = None,
    **settings: Any,
) -> None:
    """Train ``task`` on ``data`` into ``out``; each task's command (:func:`task_command`) calls it."""

    from seqclf.inference.predictor import resolve_device
    from seqclf.training import distributed
    from seqclf.training.run import run_training

    try:
        chosen = get_task(task)  # looked up once: the run gets the task itself
        data_options = _given(
            test_file=test,
            text_column=text_column,
            label_column=label_column,
            id_column=id_column,
            time_column=time_column,
            channels=channels,
            tokens=tokens,
            word_vectors=word_vectors,
            patch=patch,
            strict=strict or None,
        )
        trackers = check_report_to(report_to)
        misplaced = sorted(set(data_options) - set(chosen.data_options))
        if misplaced:
            flags = ", ".join("--" + _flag(k).replace("_", "-") for k in misplaced)
            raise ConfigError(f"{flags}: not an option of the {task} task")
        model_overrides = _given(**{k: settings[k] for k in setting_names(ModelConfig)})
        train_overrides = _given(**{k: settings[k] for k in setting_names(TrainConfig)})
        # run_training checks them too; here a mistake is the one line printed, before any notice
        check_settings(model_overrides, train_overrides)
        start_compute()
        # torchrun stopping the other workers, kill, a scheduler: the run ends through Python's
        # exit, as with Ctrl-C, so the data it prepared under $TMPDIR is removed
        signal.signal(signal.SIGTERM, lambda signum, _: sys.exit(128 + signum))
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
                checkpoint_steps=checkpoint_steps,
                overwrite=overwrite,
                baseline=baseline,
                report_to=trackers,
                report_dir=report_dir,
                description=description,
            )
    except SeqclfError as err:
        raise fail(err) from None
    if distributed.is_main_process():
        typer.echo(f"saved {out}")


def _hidden(parameter: inspect.Parameter) -> inspect.Parameter:
    """``parameter`` (an ``Annotated[kind, typer.Option(...)]``) left out of ``--help``.

    A task still takes another task's reader option, so that giving one says which task it
    belongs to (:func:`train`) rather than that no such option exists.
    """
    kind, option = typing.get_args(parameter.annotation)
    option = copy.copy(option)
    option.hidden = True
    return parameter.replace(annotation=Annotated[kind, option])


def task_command(task: Task) -> Callable[..., None]:
    """``seqclf train TASK``: :func:`train` for ``task``, its help showing only its own options."""

    def command(**options: Any) -> None:
        train(task.name, **options)

    # every task's reader options, by the parameter of train that takes each (--test: test_file)
    readers = {_flag(o): o for name in task_names() for o in get_task(name).data_options}
    others = {parameter for parameter, option in readers.items() if option not in task.data_options}
    parameters = [
        _hidden(p) if p.name in others else p
        for p in inspect.signature(train, eval_str=True).parameters.values()
        if p.name != "task"
    ]
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__doc__ = (
        f"{task.description}\n\nThe defaults are the task's "
        + ("choices from your data" if task.own_data else "tested recipe")
        + "; any flag below replaces one. Runs unchanged under `torchrun --nproc_per_node N`: "
        "one process per GPU, or CPU processes."
    )
    return with_settings(command, ModelConfig, TrainConfig)


class TaskCommands(TyperGroup):
    """``seqclf train``'s commands: one per registered task, in the registry's order, made when asked for.

    An unknown task is the registry's one-line error (it lists the tasks), like every
    other mistake, rather than click's usage box.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return task_names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in task_names():
            return None
        task = get_task(cmd_name)
        one = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        panel = "Your own data" if task.own_data else "Built-in recipes"
        one.command(cmd_name, rich_help_panel=panel)(task_command(task))
        return typer.main.get_command(one)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and not args[0].startswith("-"):
            try:
                get_task(args[0])
            except ConfigError as err:
                raise fail(err) from None
        return super().resolve_command(ctx, args)


train_app = typer.Typer(
    cls=TaskCommands,
    name="train",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Train a model on a task's data: your own "
    f"({', '.join(own_data_tasks())}) or a built-in recipe's. `seqclf train TASK --help` shows "
    "that task's options; the defaults are its tested recipe (or chosen from your data).",
)
