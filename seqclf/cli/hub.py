"""The Hub commands of the ``seqclf`` command line: push, pull and card.

:mod:`seqclf.cli` registers them, as it registers ``serve``; the work is done by
:mod:`seqclf.network.publish` and :mod:`seqclf.cards.card`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqclf.cli.support import fail
from seqclf.errors import SeqclfError


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
    from seqclf.network.publish import push_model

    try:
        pushed = push_model(
            model_dir, repo_id, private=private, revision=revision, commit_message=commit_message
        )
    except SeqclfError as err:
        raise fail(err) from None
    typer.echo(f"pushed {', '.join(pushed.files)} to {pushed.repo_id}")
    typer.echo(f"commit {pushed.commit} ({pushed.commit_url})")


def pull(
    repo_id: Annotated[str, typer.Argument(help="Hub repo, as OWNER/NAME.")],
    revision: Annotated[str | None, typer.Option(help="Branch, tag or commit to pull.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Folder to put the model in (default: the Hub cache).")
    ] = None,
) -> None:
    """Download a model from the Hub and check that it loads; prints its folder."""
    from seqclf.network.publish import pull_model

    try:
        folder = pull_model(repo_id, revision=revision, out=out)
    except SeqclfError as err:
        raise fail(err) from None
    typer.echo(str(folder))


def card(
    model_dir: Annotated[Path, typer.Argument(help="Model folder written by `seqclf train`.")],
    repo_id: Annotated[
        str | None, typer.Option(help="Hub repo (OWNER/NAME) the card's usage snippets load from.")
    ] = None,
) -> None:
    """Regenerate a model folder's README.md (the model card) from its config.json."""
    from seqclf.cards.card import write_card

    try:
        path = write_card(model_dir, repo_id=repo_id)
    except SeqclfError as err:
        raise fail(err) from None
    typer.echo(f"wrote {path}")
