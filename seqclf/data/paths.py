"""Files a data set names, kept inside its folder.

A data file that names other files (an audiofolder's ``metadata.csv``, an index of
frame CSVs), or a folder whose recordings are listed, may come from anyone: a download,
an archive, the Hub. So each file it leads to must lie inside the data's folder: an
absolute path, a ``..`` that climbs out, or a link whose target lies elsewhere is
refused, and seqclf reads only the files it was given.

The one place links out are expected is huggingface_hub's cache, which keeps a
snapshot's files as links into its repo's ``blobs`` folder: there the files may lie
anywhere in that repo's cache folder (the links are the cache's, not the data's).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from seqclf.errors import DataError


def _bounds(folder: Path) -> Path:
    """The folder the files ``folder`` names must really lie in: ``folder`` itself, or,
    for a folder in a snapshot of huggingface_hub's cache, that repo's cache folder."""
    from huggingface_hub.constants import HF_HUB_CACHE

    real, cache = folder.resolve(), Path(HF_HUB_CACHE).resolve()
    if real.is_relative_to(cache):
        parts = real.relative_to(cache).parts  # REPO_FOLDER/snapshots/SHA/...
        if len(parts) >= 3 and parts[1] == "snapshots":
            return cache / parts[0]
    return real


def files_inside(folder: Path) -> Callable[[str | Path, str], Path]:
    """A check of the paths ``folder``'s data names: ``check(name, where)`` is ``folder / name``
    when that file lies inside ``folder`` (see the module's notes), else a one-line DataError.

    ``name`` is what the data gives (a row's path, or a listed file's path relative to
    ``folder``); ``where`` begins the error (the data file and its row). The bounds are
    found once, as a table may list thousands of files.
    """
    bounds = _bounds(folder)

    def check(name: str | Path, where: str) -> Path:
        if Path(name).is_absolute():
            raise DataError(
                f"{where}: {str(name)!r} is an absolute path; give paths relative to the folder {folder}"
            )
        if os.path.normpath(name).split(os.sep)[0] == os.pardir:
            raise DataError(f"{where}: {str(name)!r} leads out of the folder {folder}; name a file inside it")
        path = folder / name
        if not path.resolve().is_relative_to(bounds):
            raise DataError(
                f"{where}: {str(name)!r} leads out of the folder {folder} through a link; copy the file "
                "in rather than link to it"
            )
        return path

    return check
