"""Reader for labelled recordings in the ``audiofolder`` layout (as Hugging Face datasets reads it).

Either one subfolder per class holding the recordings (``yes/001.wav``, ``no/002.flac``),
or a ``metadata.csv`` with ``file_name,label`` columns whose file names are relative to
the folder. Every recording must lie inside the folder (:mod:`seqclf.data.paths`): a row
(or a class subfolder's file, or ``metadata.csv`` itself) that is an absolute path,
climbs out with ``..`` or links to a file elsewhere is an error naming it, as a row
naming no file is, with or without ``--strict``: such data is mis-made or hostile, not
one broken recording among many.
WAV, FLAC and OGG files are read (by soundfile, at any rate: the encoder resamples and
mixes down to mono). The examples are file paths; the audio is decoded when the encoder
reads it, so a bad file is reported by name then.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from seqclf.data.paths import files_inside
from seqclf.data.splits import Examples
from seqclf.errors import DataError

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
METADATA = "metadata.csv"


def _from_metadata(metadata: Path, check: Callable[[str, str], Path]) -> Examples:
    with metadata.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        if "file_name" not in columns or "label" not in columns:
            raise DataError(
                f"{metadata} needs the columns 'file_name' and 'label' (its columns: "
                f"{', '.join(map(repr, columns)) or 'none'})"
            )
        inputs, labels = [], []
        for row in reader:
            path = check((row["file_name"] or "").strip(), f"{metadata}, line {reader.line_num}")
            label = (row["label"] or "").strip()
            if not path.is_file():
                raise DataError(f"{metadata}, line {reader.line_num}: no file {path}")
            if not label:
                raise DataError(f"{metadata}, line {reader.line_num}: the label is empty")
            inputs.append(str(path))
            labels.append(label)
    return Examples(inputs, labels)


def _from_subfolders(folder: Path, check: Callable[[Path, str], Path]) -> Examples:
    inputs, labels = [], []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(sub.rglob("*")):
            if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file():
                inputs.append(str(check(path.relative_to(folder), f"{folder}, class subfolder {sub.name!r}")))
                labels.append(sub.name)
    return Examples(inputs, labels)


def read_audiofolder(folder: str | Path) -> Examples:
    """Recording paths and their labels, from ``metadata.csv`` or the class subfolders."""
    folder = Path(folder)
    if folder.name == METADATA and folder.is_file():  # the list itself given: its folder is meant
        folder = folder.parent
    if not folder.is_dir():
        raise DataError(f"{folder} is not a folder: give a folder with one subfolder of recordings per class")
    check = files_inside(folder)
    metadata = check(METADATA, str(folder))  # a link to another file would show its first line
    examples = _from_metadata(metadata, check) if metadata.is_file() else _from_subfolders(folder, check)
    if not examples.inputs:
        raise DataError(
            f"no recordings ({', '.join(AUDIO_SUFFIXES)}) in {folder}'s subfolders: put each class's "
            f"recordings in a subfolder named for the class, or list them in {METADATA} (file_name,label)"
        )
    return examples
