"""What every ``seqclf`` command shares: a user's mistake ends as one red line and exit code 2."""

from __future__ import annotations

import typer

DATA_HELP = (
    "The task's data folder or file, or a Hub dataset: hf://datasets/OWNER/NAME, optionally "
    "with @REVISION and a /PATH inside it (its data files only, cached)."
)


def fail(err: Exception | str) -> typer.Exit:
    """Print ``error: <message>`` to stderr and return the exit to raise (code 2); every command's one way."""
    typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)


_requested_threads: int | None = None  # ``seqclf --threads N``; None: choose


def request_threads(threads: int | None) -> None:
    """Remember ``seqclf --threads`` (the callback runs before the command) for :func:`start_compute`."""
    global _requested_threads
    _requested_threads = threads


def start_compute() -> None:
    """Choose torch's threads for this command (:mod:`seqclf.threads`) and say so once, on stderr.

    Called by the commands that compute, not by the ``seqclf`` callback, so ``--help``
    and the Hub commands do not print a choice they do not use.
    """
    from seqclf.threads import apply_threads, choose_threads

    said = apply_threads(choose_threads(_requested_threads))
    if said:
        typer.echo(said, err=True)
