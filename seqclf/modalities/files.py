"""Inputs read from files, for ``seqclf predict --input`` and the UI: what each kind of model takes.

- **text** models: one text per line of a plain file (or of standard input, ``-``), or
  one column of a CSV, TSV, JSON Lines or Parquet file (``column``, default ``text``);
- **audio** models: a recording, a folder of recordings (searched recursively) or a glob
  pattern; ``-`` reads paths from standard input, one per line;
- **features** models: a ``.ts``, ``.arff`` or ``.npz`` file of series (one input per case), a CSV of
  frames (one input), or a folder or glob of such CSVs.

A problem with one input (an empty row or a blank line, say) becomes that input's error,
so the command reports it on the input's own output line and carries on: the output has one
line per input line, in order, and a blank line is never dropped unseen; a problem with the source as
a whole (no such file, a missing column) is a :class:`~seqclf.errors.DataError`. The
readers are the ones training uses (:mod:`seqclf.data`), so a file that trains also
predicts. Which reader a model uses is its modality's choice (:mod:`seqclf.modalities`).
"""

from __future__ import annotations

import glob
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from seqclf.data.audiofolder import AUDIO_SUFFIXES
from seqclf.data.frames import read_frames_csv
from seqclf.data.series import SERIES_SUFFIXES, read_series
from seqclf.data.tables import TABLE_SUFFIXES, read_table, utf8_lines
from seqclf.errors import DataError, InvalidInputError, SeqclfError

STDIN = "-"


@dataclass(frozen=True)
class Item:
    """One input: ``name`` is what the output calls it (the text, a file, ``file#case``)."""

    name: str
    value: Any = None
    error: str | None = None

    def read(self) -> Any:
        """The input, or the reason it could not be read, raised as that input's error."""
        if self.error is not None:
            raise InvalidInputError(self.error)
        return self.value


def _lines(source: str) -> Iterator[tuple[str, int, str]]:
    """Every line of a file or of standard input, stripped (a blank one is ``""``), with where it
    is; read as they come (:func:`~seqclf.data.tables.utf8_lines`), so a file of any length
    costs the memory of a line."""
    if source == STDIN:
        yield from _stripped("stdin", sys.stdin.buffer)
        return
    path = _existing(source)
    with path.open("rb") as handle:
        yield from _stripped(str(path), handle)


def _stripped(where: str, handle: IO[bytes]) -> Iterator[tuple[str, int, str]]:
    for number, line in utf8_lines(handle, where):
        yield where, number, line.strip()


def _blank(where: str, number: int) -> Item:
    """A blank line's item: its error on its own output line keeps the output aligned with the input."""
    return Item(f"{where}:{number}", error=f"line {number}: the line is blank")


def _existing(source: str) -> Path:
    path = Path(source)
    if not path.exists():
        raise DataError(f"no file or folder at {source}")
    return path


def texts(source: str, column: str) -> Iterator[Item]:
    """Lines of a plain file (or stdin), or the ``column`` of a table, as text inputs."""
    if source == STDIN or Path(source).suffix.lower() not in TABLE_SUFFIXES:
        for where, number, line in _lines(source):
            yield Item(line, line) if line else _blank(where, number)
        return
    with read_table(_existing(source)) as table:
        table.require(column, "--column")
        for number, row in table.rows:
            try:
                table.check_width(number, row)
            except DataError as err:  # one bad row is that input's error; the rest carry on
                yield Item(f"{source}:{number}", error=str(err))
                continue
            text = row.get(column)
            if text is None or not str(text).strip():
                yield Item(
                    f"{source}:{number}", error=f"{table.where} {number}: the {column!r} value is empty"
                )
            else:
                yield Item(str(text).strip(), str(text).strip())


def _files(source: str, suffixes: tuple[str, ...], what: str) -> Iterable[Path | Item]:
    """The files ``source`` names: itself, a folder's (recursively, sorted), a glob's, or stdin's
    list as it comes (where a blank line is its error item)."""
    if source == STDIN:
        return (Path(line) if line else _blank(where, number) for where, number, line in _lines(source))
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes and p.is_file())
        if not files:
            raise DataError(f"{source} holds no {what} ({', '.join(suffixes)} files)")
        return files
    if path.is_file():
        return [path]
    if glob.has_magic(source):
        files = sorted(Path(p) for p in glob.glob(source, recursive=True) if Path(p).is_file())
        if not files:
            raise DataError(f"no file matches {source}")
        return files
    raise DataError(f"no file or folder at {source}")


def recordings(source: str) -> Iterator[Item]:
    """A recording, a folder or glob of them, or their paths on stdin, as audio inputs."""
    return (
        p if isinstance(p, Item) else Item(str(p), str(p))
        for p in _files(source, AUDIO_SUFFIXES, "recordings")
    )


def series(source: str) -> Iterator[Item]:
    """Each case of a ``.ts``/``.arff``/``.npz`` file, or CSVs of frames, as feature inputs."""
    if source != STDIN and Path(source).suffix.lower() in SERIES_SUFFIXES and Path(source).is_file():
        for i, case in enumerate(read_series(source, require_labels=False).inputs):
            yield Item(f"{source}#{i}", case)
        return
    for path in _files(source, (".csv",), "CSV files of frames"):
        if isinstance(path, Item):
            yield path
            continue
        try:
            yield Item(str(path), read_frames_csv(path))
        except SeqclfError as err:
            yield Item(str(path), error=str(err))
