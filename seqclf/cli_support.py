"""What every ``seqclf`` command shares: a user's mistake ends as one red line and exit code 2."""

from __future__ import annotations

import typer


def fail(err: Exception) -> typer.Exit:
    """Print ``error: <message>`` to stderr and return the exit to raise (code 2)."""
    typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
    return typer.Exit(code=2)
