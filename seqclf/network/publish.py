"""Publishing and pulling model folders, checked to load: nothing unusable goes up or comes down.

:mod:`seqclf.hub` moves files to and from the Hub; this module adds the model checks of
:mod:`seqclf.network.pretrained` (format version, strict weights) on either side, so the Hub
client never needs the model code and the loader never needs the Hub's upload side.
"""

from __future__ import annotations

from pathlib import Path

from seqclf import hub
from seqclf.errors import ModelLoadError
from seqclf.network.pretrained import PretrainedClassifier


def push_model(
    folder: Path,
    repo_id: str,
    *,
    private: bool = False,
    revision: str | None = None,
    commit_message: str | None = None,
) -> hub.Pushed:
    """Check that ``folder`` loads as a seqclf model, then publish it (see :func:`seqclf.hub.push`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelLoadError(f"{folder} is not a folder: pass a model folder written by `seqclf train`")
    PretrainedClassifier.from_folder(folder)
    return hub.push(folder, repo_id, private=private, revision=revision, commit_message=commit_message)


def pull_model(repo_id: str, revision: str | None = None, out: Path | None = None) -> Path:
    """Download a model and check it loads (format version, strict weights); return its folder."""
    if not hub.is_repo_id(repo_id):
        raise ModelLoadError(f"{repo_id!r} is not a Hub repo id like 'owner/name'")
    folder = hub.download(repo_id, revision, local_dir=out)
    PretrainedClassifier.from_folder(folder)
    return folder
