"""Reader for labelled texts in the files people have: CSV, TSV, JSON Lines, Parquet, or a folder.

- ``.csv`` / ``.tsv`` (a header row names the columns), ``.jsonl`` / ``.json`` (JSON
  Lines: one object per line), ``.parquet`` (needs ``pyarrow``): a text column and a
  label column, ``text`` and ``label`` unless named otherwise.
- A folder of ``<label>.txt`` files with one example per line (the char-RNN names
  layout): the file name is the label. One that links to a file outside the folder is
  refused (:mod:`seqclf.data.paths`).

Labels are read as strings (``1`` and ``"1"`` are one class). Every problem names the
file, and the line or row where there is one: a missing column lists the columns found.
A row with an empty text or label is skipped and named (an error with ``strict``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from seqclf.data.ondisk import TextWriter
from seqclf.data.paths import files_inside
from seqclf.data.splits import Examples
from seqclf.errors import DataError

TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".parquet")
#: a table file larger than this is read into a file of texts on disk (:mod:`seqclf.data.ondisk`),
#: not into a list: held as Python strings, with the split's copies and the encoded tensors, a
#: row of a short sentence costs about 0.8 KB (200,000 of them, 11 MiB: a run's peak was 847 MiB
#: in memory, 682 MiB on disk, docs/performance.md); on disk a few arrays of 4 to 8 bytes a row
IN_MEMORY_BYTES = 8 * 2**20


Rows = Generator[tuple[int, dict[str, Any]], None, None]


def utf8_lines(handle: IO[bytes], where: str) -> Iterator[tuple[int, str]]:
    """Each line of a binary stream with its number, decoded as UTF-8, its ending kept (a
    byte-order mark before the first is dropped).

    Decoded one line at a time, so a byte that is not UTF-8 is reported on the line it is on
    (a text-mode file decodes ahead in blocks and cannot say which). Lines end at ``\\n``, as
    ``wc -l`` counts them; a ``\\r`` before it goes with the line's ending, and a form feed or
    U+2028 inside a line does not end it. The one rule for every file of texts seqclf reads:
    training's tables and label files, ``seqclf predict --input``'s lines and standard input.
    """
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise DataError(
                f"{where}, line {number}: not UTF-8 text ({err.reason} at byte {err.start + 1} of the line)"
            ) from None
        yield number, line.removeprefix("\ufeff") if number == 1 else line


def _rows_csv(path: Path, delimiter: str) -> Iterator[list[str] | tuple[int, dict[str, Any]]]:
    """The header's column names, then each row with the line it ends on, read as they come."""
    with path.open("rb") as handle:
        reader = csv.DictReader((line for _, line in utf8_lines(handle, str(path))), delimiter=delimiter)
        try:
            yield list(reader.fieldnames or [])
            for row in reader:
                yield reader.line_num, row
        except csv.Error as err:  # a field past csv's size limit: the record starting after the last one read
            raise DataError(f"{path}, line {reader.line_num + 1}: {err}") from err


def _rows_jsonl(path: Path) -> Iterator[list[str] | tuple[int, dict[str, Any]]]:
    """The first object's keys, then each object with its line number, read as they come."""
    with path.open("rb") as handle:
        header = False
        for number, line in utf8_lines(handle, str(path)):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}:{number}: not a JSON object ({err.msg})") from err
            if not isinstance(row, dict):
                raise DataError(f"{path}:{number}: expected a JSON object per line, got {type(row).__name__}")
            if not header:
                header = True
                yield list(row)
            yield number, row
        if not header:
            yield []


def _rows_parquet(path: Path) -> Iterator[list[str] | tuple[int, dict[str, Any]]]:
    """The schema's column names, then each row, a record batch at a time."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"reading {path.name} needs pyarrow: pip install pyarrow") from None
    number = 0
    try:  # pyarrow raises its own many kinds for a bad file
        with pq.ParquetFile(path) as parquet:
            yield parquet.schema_arrow.names
            for batch in parquet.iter_batches(batch_size=8192):
                for row in batch.to_pylist():
                    number += 1
                    yield number, row
    except Exception as err:
        raise DataError(f"{path} is not a readable Parquet file (row {number + 1}): {err}") from err


@dataclass
class Table:
    """A table file's column names and its rows, each with the line (or row) number it is on.

    The rows are read as they are iterated (once), so a file of any length costs the memory
    of one row (one record batch for Parquet), not of the file. Use it in a ``with`` block:
    leaving it closes the file, also when a check fails before the last row.
    """

    path: Path
    columns: list[str]
    rows: Rows
    where: str  # "line" for text formats, "row" for Parquet

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *_: object) -> None:
        self.rows.close()

    def require(self, column: str, flag: str) -> None:
        """Fail, naming the columns there are, if ``column`` is not one of them."""
        if column not in self.columns:
            found = ", ".join(map(repr, self.columns)) or "none"
            raise DataError(
                f"{self.path} has no column {column!r} (its columns: {found}); name the right one with {flag}"
            )

    def check_width(self, number: int, row: dict[str, Any]) -> None:
        if None in row:  # csv.DictReader keeps fields beyond the header under None
            raise DataError(
                f"{self.path}, {self.where} {number}: {len(self.columns) + len(row[None])} fields, but the "
                f"header names {len(self.columns)} (quote texts that contain the delimiter)"
            )


def read_table(path: Path) -> Table:
    """The columns of a CSV, TSV, JSON Lines or Parquet file (chosen by its suffix), and its
    rows to read: a header row's names, the first JSON object's keys, the Parquet schema's."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        rows, where = _rows_csv(path, "\t" if suffix == ".tsv" else ","), "line"
    elif suffix in (".jsonl", ".json"):
        rows, where = _rows_jsonl(path), "line"
    else:
        rows, where = _rows_parquet(path), "row"
    columns = next(rows)
    return Table(path, columns, rows, where)


def _read_table(path: Path, text_column: str, label_column: str, strict: bool) -> Examples:
    with read_table(path) as table:
        table.require(text_column, "seqclf train's --text-column")
        table.require(label_column, "seqclf train's --label-column")
        where = table.where
        inputs: list[str] | TextWriter = TextWriter() if path.stat().st_size > IN_MEMORY_BYTES else []
        labels, skipped = [], []
        names: dict[str, str] = {}  # one string object per label: a row costs its list entry only
        for number, row in table.rows:
            table.check_width(number, row)
            for column in (text_column, label_column):
                if column not in row:
                    raise DataError(f"{path}, {where} {number}: no {column!r} key")
            text, label = row.get(text_column), row.get(label_column)
            empty = next(
                (
                    c
                    for c, v in ((text_column, text), (label_column, label))
                    if v is None or not str(v).strip()
                ),
                None,
            )
            if empty is not None:
                if strict:
                    raise DataError(f"{path}, {where} {number}: the {empty!r} value is empty (--strict)")
                skipped.append(f"{where} {number}: the {empty!r} value is empty")
                continue
            inputs.append(str(text).strip())
            label = str(label).strip()
            labels.append(names.setdefault(label, label))
    if not len(inputs):
        raise DataError(f"{path} has no rows with a text and a label")
    return Examples(inputs.close() if isinstance(inputs, TextWriter) else inputs, labels, skipped)


def read_label_files(folder: Path) -> Examples:
    """Each line of each ``<label>.txt`` in ``folder`` (sorted), stripped, blank lines skipped
    (lines as :func:`utf8_lines` splits them, as ``seqclf predict --input`` does)."""
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise DataError(
            f"{folder} has no <label>.txt files; give a folder of them (one example per line) or a "
            f"{', '.join(TABLE_SUFFIXES)} file"
        )
    inputs, labels = [], []
    check = files_inside(folder)
    for path in files:
        check(path.name, f"{folder}, label {path.stem!r}")
        with path.open("rb") as handle:
            for _, line in utf8_lines(handle, str(path)):
                if line.strip():
                    inputs.append(line.strip())
                    labels.append(path.stem)
    return Examples(inputs, labels)


def read_texts(
    path: str | Path, text_column: str = "text", label_column: str = "label", strict: bool = False
) -> Examples:
    """Labelled texts from a table file or a folder of ``<label>.txt`` files.

    A row whose text or label is empty (public sentence sets have a few) is left out and
    named in ``skipped``; with ``strict`` it is an error instead.
    """
    path = Path(path)
    if path.is_dir():
        return read_label_files(path)
    if not path.is_file():
        raise DataError(f"no file or folder at {path}")
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise DataError(
            f"{path.name}: seqclf reads texts from {', '.join(TABLE_SUFFIXES)} files or a folder of "
            "<label>.txt files"
        )
    return _read_table(path, text_column, label_column, strict)
