"""The export command of the ``seqclf`` command line: a model as ONNX, with a Triton layout.

:mod:`seqclf.cli` registers it, as it registers the Hub commands; the work is done by
:mod:`seqclf.network.export`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqclf.cli.support import fail
from seqclf.errors import SeqclfError


def export(
    model: Annotated[str, typer.Argument(help="Model folder or Hub repo id.")],
    out: Annotated[Path, typer.Option(help="Folder to write the export to.")],
    export_format: Annotated[str, typer.Option("--format", help="What to export to: onnx.")] = "onnx",
    name: Annotated[
        str | None,
        typer.Option(help="The model's name in the Triton repository (default: the model folder's name)."),
    ] = None,
    revision: Annotated[str | None, typer.Option(help="Hub revision (branch, tag or commit).")] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Write into --out even if that folder already holds files.")
    ] = False,
) -> None:
    """Export a model for ONNX Runtime or Triton: model.onnx, its config.json and labels, a Triton repository.

    The graph takes right-padded `inputs` and their `lengths` (batch and time are dynamic), and padding does not change an answer. Needs the export extra (onnx): see docs/export.md.
    """
    from seqclf.network.export import export as run_export

    try:
        written = run_export(model, out, export_format, overwrite=overwrite, name=name, revision=revision)
    except SeqclfError as err:
        raise fail(err) from None
    for path in written:
        typer.echo(f"wrote {path}")
