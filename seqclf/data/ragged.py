"""Rows of varying length on disk: UTF-8 texts or token ids, written once, read by row.

Data larger than memory (:mod:`seqclf.data.ondisk`) is kept in two files per column: the
rows' bytes one after another, and each row's end offset (int64). A row is read with two
``os.pread`` calls (its offsets, its bytes), so a training batch of random rows costs a
few dozen system calls and the memory of that batch only.

Why not Arrow (``datasets``), the ecosystem's format: an Arrow file is read through a
memory map, and every page a pass touches stays in the process's resident memory until
the kernel needs it back, so a pass over a 2 GB column shows as 2 GB resident; the
preparation's point is a process whose resident memory stays flat in the number of rows.
These files hold one kind of value each (no schema, no nulls, no nesting), which is all
that training reads; the offsets file has Arrow's layout (its ``large_string`` offsets,
without the leading zero).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from seqclf.errors import DataError

#: rows buffered before a write (a batch of appends costs one write per file)
WRITE_ROWS = 8192
#: rows whose offsets and bytes one read fetches when rows are read in order
READ_ROWS = 4096


class RaggedWriter:
    """Append rows (``bytes`` or 1-d numpy arrays of ``dtype``) to ``<path>.data`` / ``<path>.ends``."""

    def __init__(self, path: Path, dtype: np.dtype | type = np.uint8) -> None:
        self.path, self.dtype = Path(path), np.dtype(dtype)
        self._data = open(f"{path}.data", "wb")  # noqa: SIM115 - closed by close()
        self._ends = open(f"{path}.ends", "wb")  # noqa: SIM115 - closed by close()
        self._rows: list[bytes] = []
        self.count = self._end = 0

    def __len__(self) -> int:
        return self.count + len(self._rows)

    def append(self, row: bytes | np.ndarray) -> None:
        self._rows.append(row if isinstance(row, bytes) else np.ascontiguousarray(row, self.dtype).tobytes())
        if len(self._rows) >= WRITE_ROWS:
            self._flush()

    def _flush(self) -> None:
        sizes = np.fromiter(map(len, self._rows), np.int64, len(self._rows))
        ends = self._end + np.cumsum(sizes) // self.dtype.itemsize
        with self._disk_errors():
            self._data.write(b"".join(self._rows))
            self._ends.write(ends.tobytes())
        self.count += len(self._rows)
        self._end = int(ends[-1]) if len(ends) else self._end
        self._rows = []

    def close(self) -> RaggedFile:
        """Write what is buffered, close the files, and open them for reading."""
        self._flush()
        with self._disk_errors():  # what the files still buffer is written now
            self._data.close()
            self._ends.close()
        return RaggedFile(self.path, self.dtype)

    @contextmanager
    def _disk_errors(self) -> Iterator[None]:
        """A write that fails (a full disk, above all) as the one line that says what to do."""
        try:
            yield
        except OSError as err:
            raise DataError(
                f"cannot write the prepared data to {self.path.parent}: {err.strerror}; set TMPDIR to "
                "a folder with room for about the table's size again"
            ) from err


class RaggedFile:
    """Rows written by :class:`RaggedWriter`, read with ``pread`` (never memory-mapped).

    Picklable (it holds the path, not the open files), so a view of it travels to a
    ``DataLoader`` worker or another process and opens the files there.
    """

    def __init__(self, path: Path, dtype: np.dtype | type = np.uint8) -> None:
        self.path, self.dtype = Path(path), np.dtype(dtype)
        self.count = os.path.getsize(f"{path}.ends") // 8
        self._fds: tuple[int, int] | None = None

    def __getstate__(self) -> dict[str, object]:
        return {"path": self.path, "dtype": self.dtype}

    def __setstate__(self, state: dict[str, object]) -> None:
        path = Path(state["path"])  # type: ignore[arg-type]
        if not Path(f"{path}.ends").is_file():  # a torchrun process on a machine that cannot see it
            raise DataError(
                f"{path.parent} (the data rank 0 prepared) is not on this machine: across machines, "
                "set TMPDIR to a folder every machine shares"
            )
        self.__init__(path, state["dtype"])  # type: ignore[misc]

    def __del__(self) -> None:
        if self._fds is not None:
            for fd in self._fds:
                os.close(fd)

    def _open(self) -> tuple[int, int]:
        if self._fds is None:
            self._fds = (os.open(f"{self.path}.data", os.O_RDONLY), os.open(f"{self.path}.ends", os.O_RDONLY))
        return self._fds

    def _span(self, first: int, last: int) -> np.ndarray:
        """The end offsets of rows ``first - 1`` to ``last`` (a leading 0 for row 0)."""
        _, ends = self._open()
        start = max(first - 1, 0)
        raw = np.frombuffer(os.pread(ends, (last - start + 1) * 8, start * 8), np.int64)
        return np.concatenate(([0], raw)) if first == 0 else raw

    def __len__(self) -> int:
        return self.count

    def row(self, i: int) -> np.ndarray:
        """Row ``i`` as a numpy array of the file's dtype (a fresh copy, not a view of a buffer)."""
        if not 0 <= i < self.count:
            raise IndexError(f"row {i} of {self.count}")
        begin, end = self._span(i, i)
        data, _ = self._open()
        size = self.dtype.itemsize
        return np.frombuffer(os.pread(data, int(end - begin) * size, int(begin) * size), self.dtype).copy()

    def rows_in_order(self, first: int = 0, last: int | None = None) -> Iterator[np.ndarray]:
        """Rows ``first`` to ``last`` (exclusive), READ_ROWS at a time with one read per file."""
        last = self.count if last is None else last
        data, _ = self._open()
        size = self.dtype.itemsize
        for start in range(first, last, READ_ROWS):
            stop = min(start + READ_ROWS, last)
            bounds = self._span(start, stop - 1)
            block = np.frombuffer(
                os.pread(data, int(bounds[-1] - bounds[0]) * size, int(bounds[0]) * size), self.dtype
            )
            offsets = bounds - bounds[0]
            for j in range(stop - start):
                yield block[offsets[j] : offsets[j + 1]]
