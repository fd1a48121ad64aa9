"""The Hub commands of the ``seqclf`` command line: push, pull and card.

They are added to :data:`seqclf.cli.app` when that module is imported; the work is
done by :mod:`seqclf.hub` and :mod:`seqclf.card`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqclf.cli import _fail, app
from seqclf.errors import SeqclfError


@app.command()
def push(
    model_dir: Annotated[Path, typer.Argument(help="Model folder written by `seqclf train`.")],
    repo_id: Annotated[str, typer.Option(help="Hub repo to publish to, as OWNER/NAME.")],
    private: Annotated[bool, typer.Option(help="Create the repo as private (if it is new).")] = False,
    revision: Annotated[
        str | None, typer.Option(help="Branch to commit to (created from main if new).")
    ] = None,
    commit_message: Annotated[str | None, typer.Option(help="Message of the commit.")] = None,
) -> None:
    """Publish a model folder to the Hugging Face Hub; the token comes from HF_TOKEN or `hf auth login`."""
    from seqclf import hub

    try:
        pushed = hub.push(
            model_dir, repo_id, private=private, revision=revision, commit_message=commit_message
        )
    except SeqclfError as err:
        raise _fail(err) from None
    typer.echo(f"pushed {', '.join(pushed.files)} to {pushed.repo_id}")
    typer.echo(f"commit {pushed.commit} ({pushed.commit_url})")


@app.command()
def pull(
    repo_id: Annotated[str, typer.Argument(help="Hub repo, as OWNER/NAME.")],
    revision: Annotated[str | None, typer.Option(help="Branch, tag or commit to pull.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder to put the model in (default: the Hub cache).")
    ] = None,
) -> None:
    """Download a model from the Hub and check that it loads; prints its folder."""
    from seqclf import hub

    try:
        folder = hub.pull(repo_id, revision=revision, out=out)
    except SeqclfError as err:
        raise _fail(err) from None
    typer.echo(str(folder))


@app.command()
def card(
    model_dir: Annotated[Path, typer.Argument(help="Model folder written by `seqclf train`.")],
    repo_id: Annotated[
        str | None, typer.Option(help="Hub repo (OWNER/NAME) the card's usage snippets load from.")
    ] = None,
) -> None:
    """Regenerate a model folder's README.md (the model card) from its config.json."""
    from seqclf.card import write_card

    try:
        path = write_card(model_dir, repo_id=repo_id)
    except SeqclfError as err:
        raise _fail(err) from None
    typer.echo(f"wrote {path}")
