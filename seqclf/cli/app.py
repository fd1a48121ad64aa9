"""The ``seqclf`` command line: one module per command, registered here.

Every :class:`~seqclf.errors.SeqclfError` becomes a one-line message and exit code 2
(:func:`seqclf.cli.support.fail`), so a user sees what to fix rather than a traceback.
"""

from __future__ import annotations

from typing import Annotated

import typer

from seqclf.cli.evaluate import evaluate
from seqclf.cli.export import export
from seqclf.cli.hub import card, pull, push
from seqclf.cli.predict import predict
from seqclf.cli.serve import serve_command
from seqclf.cli.support import request_threads
from seqclf.cli.train import train_app
from seqclf.install import VERSION

app = typer.Typer(
    help="Train, evaluate and use bidirectional recurrent sequence classifiers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"seqclf {VERSION}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print seqclf's version and exit."
        ),
    ] = False,
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


app.add_typer(train_app)
app.command()(serve_command())
for command in (evaluate, predict, push, pull, card, export):
    app.command()(command)


def main() -> None:
    app()
