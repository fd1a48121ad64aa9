"""Training data kept on disk: texts and encoded sequences as lazy, indexable columns.

A table too large to hold as Python objects (:data:`seqclf.data.tables.IN_MEMORY_BYTES`)
is read once, in a streaming pass, into a :class:`~seqclf.data.ragged.RaggedFile` of
UTF-8 texts in a temporary folder; :class:`DiskTexts` views of it stand where a list of
strings stood (``Examples.inputs``), and the split, de-duplication and encoder fitting
read through them. Encoding writes the token ids to a second file
(:func:`encode_to_disk`), whose :class:`DiskSequences` views are what training batches
read, a batch's rows at a time. A view is the file plus the row numbers it shows (int32,
4 bytes a row), so a split, a subset or a rank's batches cost no copy of the data.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import torch

from seqclf.data.ragged import RaggedFile, RaggedWriter

T = TypeVar("T")
#: a view of ascending rows reads the whole stretch from its first row to its last in blocks
#: unless it shows fewer than one row in this many of them (a tenth part, say, of a table)
SPARSE = 4


class Scratch:
    """A temporary folder removed when the last view of its files is gone (or at exit)."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="seqclf-data-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)

    def __reduce__(self) -> tuple[Any, ...]:  # another process gets the path, never the removal
        return (Path, (str(self.path),))


class _Column:
    """A ragged file and the scratch folder it lives in (kept alive while a view uses it)."""

    def __init__(self, file: RaggedFile, scratch: Scratch | Path | None) -> None:
        self.file, self.scratch = file, scratch


class RowView(Sequence[T], Generic[T]):
    """Rows ``index`` (all when None) of a column, read lazily; a ``Sequence`` like a list."""

    def __init__(self, column: _Column, index: np.ndarray | None = None) -> None:
        self.column = column
        # 4 bytes a row where that counts them all: a view of every row costs that much memory
        small = index is not None and len(column.file) < 2**31
        self.index = index.astype(np.int32, copy=False) if small else index

    def _decode(self, row: np.ndarray) -> T:
        raise NotImplementedError

    def _view(self, index: np.ndarray) -> RowView[T]:
        return type(self)(self.column, index)

    def _pick(self, positions: np.ndarray) -> np.ndarray:
        """The file's row numbers at ``positions`` of this view."""
        return positions if self.index is None else self.index[positions]

    def __len__(self) -> int:
        return len(self.column.file) if self.index is None else len(self.index)

    def __getitem__(self, i: Any) -> Any:  # an int or a slice, as Sequence has it
        if isinstance(i, slice):
            return self._view(self._pick(np.arange(len(self))[i]))
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"row {i} of {n}")
        row = i % n if self.index is None else int(self.index[i])
        return self._decode(self.column.file.row(row))

    def subset(self, positions: Sequence[int] | np.ndarray) -> RowView[T]:
        return self._view(self._pick(np.asarray(positions, dtype=np.int64)))

    def joined(self, other: RowView[T]) -> RowView[T]:
        """This view's rows, then ``other``'s (a view of the same file)."""
        if other.column is not self.column:
            raise ValueError("only views of one file can be joined")
        every = [np.arange(len(v), dtype=np.int64) if v.index is None else v.index for v in (self, other)]
        return self._view(np.concatenate(every))

    def __iter__(self) -> Iterator[T]:
        """The rows in order; ascending row numbers (a split's) are read in blocks, others one by one."""
        file = self.column.file
        if self.index is None:
            yield from map(self._decode, file.rows_in_order())
            return
        rows = self.index
        if len(rows) == 0:
            return
        first, last = int(rows[0]), int(rows[-1])
        # rows out of order, or few of those between the first and the last: one read each
        if SPARSE * len(rows) < last - first or not np.all(rows[1:] > rows[:-1]):
            for row in rows:
                yield self._decode(file.row(int(row)))
            return
        k = 0
        for position, row in enumerate(file.rows_in_order(first, last + 1), first):
            if position == rows[k]:
                yield self._decode(row)
                k += 1


class DiskTexts(RowView[str]):
    """Texts in a UTF-8 ragged file."""

    def _decode(self, row: np.ndarray) -> str:
        return row.tobytes().decode("utf-8", "surrogatepass")


class DiskSequences(RowView[torch.Tensor]):
    """Encoded sequences (token ids) in an int32 ragged file, each read as a 1-d int64 tensor.

    ``lengths`` gives every shown row's length without reading it (held in memory, 4
    bytes a row), for length-bucketed batches and length-sorted scoring.
    """

    def __init__(
        self, column: _Column, index: np.ndarray | None = None, lengths: np.ndarray | None = None
    ) -> None:
        super().__init__(column, index)
        self.all_lengths = lengths

    def _view(self, index: np.ndarray) -> DiskSequences:
        return DiskSequences(self.column, index, self.all_lengths)

    def _decode(self, row: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(row.astype(np.int64))

    @property
    def lengths(self) -> np.ndarray:
        return self.all_lengths if self.index is None else self.all_lengths[self.index]


class TextWriter:
    """Texts appended one at a time to a file in a fresh scratch folder; ``close`` gives the view."""

    def __init__(self) -> None:
        self.scratch = Scratch()
        self._writer = RaggedWriter(self.scratch.path / "texts")

    def append(self, text: str) -> None:
        # a JSON "\ud800" escape is a lone surrogate: kept as it came, as a list keeps it
        self._writer.append(text.encode("utf-8", "surrogatepass"))

    def __len__(self) -> int:
        return len(self._writer)

    def close(self) -> DiskTexts:
        return DiskTexts(_Column(self._writer.close(), self.scratch))


def encode_to_disk(
    texts: DiskTexts,
    encode: Callable[[str], torch.Tensor],
    name: str,
    progress: Callable[[Sequence[str]], Iterable[str]] = iter,
) -> DiskSequences:
    """``encode`` each of ``texts`` into an int32 file beside theirs (one pass over the texts,
    iterated through ``progress``, a progress bar, say)."""
    folder = texts.column.scratch
    place = Path(folder.path if isinstance(folder, Scratch) else folder)
    path, copies = place / name, 0
    while Path(f"{path}.ends").exists():  # never over a file that views may still read
        copies += 1
        path = place / f"{name}-{copies}"
    writer = RaggedWriter(path, np.int32)
    lengths: list[np.ndarray] = []
    block: list[int] = []
    for text in progress(texts):
        ids = encode(text)
        writer.append(ids.numpy())
        block.append(len(ids))
        if len(block) >= 65536:
            lengths.append(np.asarray(block, np.int32))
            block = []
    lengths.append(np.asarray(block, np.int32))
    return DiskSequences(_Column(writer.close(), folder), None, np.concatenate(lengths))


def encode_all(
    inputs: Sequence[Any],
    encode: Callable[[Any], torch.Tensor],
    name: str,
    progress: Callable[[Sequence[Any]], Iterable[Any]] = iter,
) -> Sequence[torch.Tensor]:
    """Each input encoded: texts on disk into a file ``name`` beside theirs, others into a list."""
    if isinstance(inputs, DiskTexts):
        return encode_to_disk(inputs, encode, name, progress)
    return [encode(x) for x in progress(inputs)]


def sequence_lengths(sequences: Sequence[torch.Tensor]) -> np.ndarray:
    """Each sequence's length: read from a :class:`DiskSequences`' table, measured otherwise."""
    if isinstance(sequences, DiskSequences):
        return sequences.lengths
    return np.fromiter((len(s) for s in sequences), np.int64, len(sequences))
