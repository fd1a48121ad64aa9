"""Hub dataset repos wherever ``--data`` takes a path: ``hf://datasets/OWNER/NAME[@REVISION][/PATH]``.

Only data files are fetched (tables, series, audio and ``.txt``; never a loading script
or anything else that could run), into huggingface_hub's cache, so a second run reads
them from disk and an offline one from the cache. The folder or file they make is
handed to the task's reader like any local path. What is recorded (the model card, the
command to reproduce its figures) names the commit the revision resolved to, so the
figures can be checked later against exactly the files the model learnt from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seqclf.data.audiofolder import AUDIO_SUFFIXES
from seqclf.data.paths import files_inside
from seqclf.data.series import SERIES_SUFFIXES
from seqclf.data.tables import TABLE_SUFFIXES
from seqclf.errors import ConfigError, DataError
from seqclf.hub import download_dataset, is_repo_id

logger = logging.getLogger(__name__)

PREFIX = "hf://datasets/"
FILE_SUFFIXES = (*TABLE_SUFFIXES, *SERIES_SUFFIXES)  # one of these is the data by itself
FOLDER_SUFFIXES = (*AUDIO_SUFFIXES, ".txt")  # these make a folder layout (audiofolder, <label>.txt)
DATA_PATTERNS = [f"*{suffix}" for suffix in (*FILE_SUFFIXES, *FOLDER_SUFFIXES)]


@dataclass(frozen=True)
class HubDataset:
    """A parsed ``hf://datasets/...`` reference."""

    repo_id: str
    revision: str | None
    path: str | None  # a file or folder inside the repo

    def reference(self, revision: str | None, path: str | None) -> str:
        """The ``hf://`` form of this repo at ``revision``, pointing at ``path``."""
        at = f"@{revision}" if revision else ""
        return f"{PREFIX}{self.repo_id}{at}" + (f"/{path}" if path else "")


def parse(text: str) -> HubDataset | None:
    """The Hub dataset ``text`` names, or None for a local path."""
    if not text.startswith(PREFIX):
        return None
    parts = text[len(PREFIX) :].split("/")
    form = "hf://datasets/OWNER/NAME[@REVISION][/PATH]"
    if len(parts) < 2:
        raise ConfigError(f"{text!r} names no dataset: write {form}")
    name, _, revision = parts[1].partition("@")
    repo_id = f"{parts[0]}/{name}"
    if not is_repo_id(repo_id) or (revision == "" and "@" in parts[1]):
        raise ConfigError(f"{text!r} is not a Hub dataset reference: write {form}")
    return HubDataset(repo_id, revision or None, "/".join(p for p in parts[2:] if p) or None)


def local_data(text: str | Path, log: Callable[[str], None] = logger.info) -> tuple[Path, str]:
    """The local file or folder to read for ``text``, and how to record it.

    A local path is returned as it is. A Hub dataset is downloaded (data files only)
    and pinned to its commit; without a path inside the repo, the data is the repo's one
    table or series file, the one whose name says ``train`` when there are several, or
    the whole repo when it holds audio or ``.txt`` files (an audiofolder, ``<label>.txt``).
    """
    dataset = parse(str(text))
    if dataset is None:
        return Path(text), str(Path(text))
    folder, sha = download_dataset(dataset.repo_id, dataset.revision, DATA_PATTERNS)
    relative = dataset.path if dataset.path is not None else _choose(folder, dataset, log)
    target = files_inside(folder)(relative, str(text)) if relative else folder  # no "..", as for local data
    if not target.exists():
        raise DataError(
            f"{dataset.reference(dataset.revision, None)} has no {dataset.path!r}; its data files: "
            + ", ".join(_data_files(folder))
        )
    recorded = dataset.reference(sha, relative)
    log(f"data: {recorded} (in the Hub cache at {target})")
    return target, recorded


def _data_files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in (*FILE_SUFFIXES, *FOLDER_SUFFIXES)
    )


def _choose(folder: Path, dataset: HubDataset, log: Callable[[str], None]) -> str | None:
    """The repo's data when no path was given (see :func:`local_data`); None: the whole repo."""
    files = _data_files(folder)
    if any(Path(f).suffix.lower() in FOLDER_SUFFIXES for f in files):
        return None
    if len(files) == 1:
        return files[0]
    training = [f for f in files if "train" in Path(f).name.lower()]
    if len(training) == 1:
        others = ", ".join(f for f in files if f != training[0])
        log(
            f"data: {training[0]} of {dataset.repo_id}; also there: {others} "
            f"(--test {dataset.reference(dataset.revision, '<file>')} reports on one)"
        )
        return training[0]
    raise DataError(
        f"{dataset.repo_id} holds several data files ({', '.join(files)}): name one, "
        f"e.g. --data {dataset.reference(dataset.revision, files[0])}"
    )
