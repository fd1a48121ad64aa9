"""Reader for labelled time series: UEA/UCR ``.ts`` and ``.arff`` archives, NumPy ``.npz`` files, tables.

``.ts`` is read by :mod:`seqclf.data.uea`, Weka ``.arff`` (univariate, or multivariate
with a relational attribute) by :mod:`seqclf.data.arff`, a table (a long table of one row
per time step, or a list of CSVs of frames) by :mod:`seqclf.data.series_tables`.

``.npz`` holds ``X`` and ``y``: ``X`` a ``(cases, steps, channels)`` array or a
``(cases, steps)`` array of univariate series; series of different lengths are stored
end to end, ``X`` a ``(total steps, channels)`` array with ``lengths`` (one per case, in
order) beside it (:data:`UNEQUAL_NPZ_HINT`). Missing values (NaN) are filled as in
``.ts`` files.

Pickles are refused: numpy stores an object array (the obvious way to keep series of
different lengths) as a pickle, and loading a pickle runs whatever code it names. A data
file, even one fetched from the Hub, is data; it never runs anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from seqclf.data.arff import read_arff
from seqclf.data.splits import Examples
from seqclf.data.tables import TABLE_SUFFIXES
from seqclf.data.uea import as_case, read_ts
from seqclf.errors import DataError

#: the series archives; tables (:data:`~seqclf.data.tables.TABLE_SUFFIXES`) hold series too
SERIES_SUFFIXES = (".ts", ".arff", ".npz")
#: the reader options that name a series table's columns (flags of ``seqclf train series``)
COLUMN_OPTIONS = ("id_column", "time_column", "label_column", "channels")


#: how to save series of different lengths without a pickle, for docs and error messages
UNEQUAL_NPZ_HINT = "np.savez(path, X=np.concatenate(series), lengths=[len(s) for s in series], y=labels)"


def read_npz(path: Path, require_labels: bool = True) -> Examples:
    """``X`` (and ``lengths``) and ``y`` from an ``.npz``, with numpy's pickle support off.

    Without ``require_labels`` (prediction), ``y`` may be left out; the labels are then empty.
    """
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise DataError(f"{path} is not a readable .npz file: {err}") from err
    with archive:
        needed = ("X", "y") if require_labels else ("X",)
        missing = [key for key in needed if key not in archive.files]
        if missing:
            raise DataError(f"{path} has no {' or '.join(missing)} (its arrays: {', '.join(archive.files)})")
        series = _array(archive, "X", path)
        lengths = _array(archive, "lengths", path) if "lengths" in archive.files else None
        labels = _array(archive, "y", path) if "y" in archive.files else None
    cases = _split_cases(series, lengths, path)
    labels = np.full(len(cases), "") if labels is None else labels
    if len(cases) != len(labels):
        raise DataError(f"{path}: X has {len(cases)} cases but y has {len(labels)} labels")
    inputs = [as_case(case, f"{path}: case {i}") for i, case in enumerate(cases)]
    channels = {case.shape[1] for case in inputs}
    if len(channels) > 1:
        raise DataError(f"{path}: the cases have different numbers of channels {sorted(channels)}")
    return Examples(inputs, [str(label) for label in np.asarray(labels).tolist()])


def _array(archive: np.lib.npyio.NpzFile, key: str, path: Path) -> np.ndarray:
    """One array of the archive; an object array (a pickle) is refused with the way to save it."""
    try:
        return archive[key]
    except ValueError as err:
        if "allow_pickle" not in str(err):
            raise DataError(f"{path}: its {key!r} array is not readable: {err}") from err
        raise DataError(
            f"{path}: {key!r} is an object array, which numpy stores as a pickle that could run "
            f"code, so seqclf does not load it; save series of different lengths as {UNEQUAL_NPZ_HINT}"
            " and labels as strings or numbers"
        ) from err


def _split_cases(series: np.ndarray, lengths: np.ndarray | None, path: Path) -> list[np.ndarray]:
    """The cases of ``X``: its rows, or the consecutive runs of rows ``lengths`` gives."""
    if not np.issubdtype(series.dtype, np.number):
        raise DataError(f"{path}: X holds {series.dtype} values; it must hold numbers")
    if lengths is None:
        return list(series)
    if lengths.ndim != 1 or not np.issubdtype(lengths.dtype, np.integer) or (lengths < 1).any():
        raise DataError(f"{path}: 'lengths' must be positive whole numbers, one per case")
    if int(lengths.sum()) != len(series):
        raise DataError(
            f"{path}: 'lengths' adds up to {int(lengths.sum())} steps but X has {len(series)}; "
            f"X holds the cases end to end ({UNEQUAL_NPZ_HINT})"
        )
    return np.split(series, np.cumsum(lengths)[:-1])


def read_series(
    path: str | Path, require_labels: bool = True, options: Mapping[str, Any] | None = None
) -> Examples:
    """Cases as ``(steps, channels)`` float32 arrays with string labels, from a series archive or a table.

    An archive is a ``.ts``, ``.arff`` or ``.npz`` file; a table (CSV, TSV, JSON Lines,
    Parquet) is a long table or an index of frame files (:mod:`seqclf.data.series_tables`),
    whose columns ``options`` may name (:data:`COLUMN_OPTIONS`). ``require_labels=False``
    (prediction) also reads unlabelled archives, with empty labels; a table needs its labels.
    """
    path = Path(path)
    readable = f"{', '.join((*SERIES_SUFFIXES, *TABLE_SUFFIXES)[:-1])} or {TABLE_SUFFIXES[-1]}"
    if not path.is_file():
        raise DataError(f"no file at {path}: give a series file ({readable})")
    suffix = path.suffix.lower()
    columns = {k: v for k, v in (options or {}).items() if k in COLUMN_OPTIONS and v is not None}
    if columns and suffix in SERIES_SUFFIXES:
        flags = ", ".join("--" + k.replace("_", "-") for k in columns)
        raise DataError(f"{path.name} is a {suffix} archive, not a table: {flags} name(s) a table's columns")
    if suffix == ".ts":
        examples = read_ts(path, require_labels)
    elif suffix == ".arff":
        examples = read_arff(path, require_labels)
    elif suffix == ".npz":
        examples = read_npz(path, require_labels)
    elif suffix in TABLE_SUFFIXES:
        # imported here: it imports pandas (0.4 s), which only reading a table needs
        from seqclf.data.series_tables import read_series_table

        examples = read_series_table(path, **columns)
    else:
        raise DataError(f"{path.name}: seqclf reads time series from {readable} files")
    channels = {case.shape[1] for case in examples.inputs}
    if len(channels) > 1:
        raise DataError(f"{path}: the cases have different numbers of channels {sorted(channels)}")
    return examples
