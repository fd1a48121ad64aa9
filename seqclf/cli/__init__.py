"""The ``seqclf`` command: :data:`app` (typer) and :func:`main`, its entry point."""

from seqclf.cli.app import app, main

__all__ = ["app", "main"]
