"""Reader for labelled time series: UEA/UCR ``.ts`` and ``.arff`` archives, NumPy ``.npz`` files.

``.ts`` is read by :mod:`seqclf.data.uea`, Weka ``.arff`` (univariate, or multivariate
with a relational attribute) by :mod:`seqclf.data.arff`.

``.npz`` holds ``X`` and ``y``: ``X`` a ``(cases, steps, channels)`` array, a
``(cases, steps)`` array of univariate series, or an object array of ``(steps,
channels)`` arrays of different lengths (``np.savez(path, X=np.array(series,
dtype=object), y=labels)``). Missing values (NaN) are filled as in ``.ts`` files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqclf.data.arff import read_arff
from seqclf.data.splits import Examples
from seqclf.data.uea import fill_missing, read_ts
from seqclf.errors import DataError

SERIES_SUFFIXES = (".ts", ".arff", ".npz")


def _as_case(value: np.ndarray, index: int, path: Path) -> np.ndarray:
    array = np.asarray(value, dtype=np.float32)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.size == 0:
        raise DataError(f"{path}: case {index} has shape {array.shape}; expected (steps, channels)")
    if np.isinf(array).any():
        raise DataError(f"{path}: case {index} has infinite values")
    if np.isnan(array).all():
        raise DataError(f"{path}: case {index} has no values (all missing)")
    return fill_missing(array)


def read_npz(path: Path, require_labels: bool = True) -> Examples:
    """``X`` and ``y`` from an ``.npz``; object arrays (unequal lengths) need numpy's pickle.

    Without ``require_labels`` (prediction), ``y`` may be left out; the labels are then empty.

    An object array can only be stored pickled, so it is loaded with ``allow_pickle=True``:
    only read ``.npz`` files you made yourself, as with any pickle.
    """
    try:
        archive = np.load(path, allow_pickle=True)
    except (OSError, ValueError) as err:
        raise DataError(f"{path} is not a readable .npz file: {err}") from err
    with archive:
        needed = ("X", "y") if require_labels else ("X",)
        missing = [key for key in needed if key not in archive.files]
        if missing:
            raise DataError(f"{path} has no {' or '.join(missing)} (its arrays: {', '.join(archive.files)})")
        series = archive["X"]
        labels = archive["y"] if "y" in archive.files else np.full(len(series), "")
    if len(series) != len(labels):
        raise DataError(f"{path}: X has {len(series)} cases but y has {len(labels)} labels")
    inputs = [_as_case(case, i, path) for i, case in enumerate(series)]
    channels = {case.shape[1] for case in inputs}
    if len(channels) > 1:
        raise DataError(f"{path}: the cases have different numbers of channels {sorted(channels)}")
    return Examples(inputs, [str(label) for label in np.asarray(labels).tolist()])


def read_series(path: str | Path, require_labels: bool = True) -> Examples:
    """Cases as ``(steps, channels)`` float32 arrays with string labels, from ``.ts``, ``.arff`` or ``.npz``.

    ``require_labels=False`` (prediction) also reads unlabelled files, with empty labels.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no file at {path}: give a .ts or .arff (UEA/UCR) or .npz file")
    suffix = path.suffix.lower()
    if suffix == ".ts":
        examples = read_ts(path, require_labels)
    elif suffix == ".arff":
        examples = read_arff(path, require_labels)
    elif suffix == ".npz":
        examples = read_npz(path, require_labels)
    else:
        raise DataError(
            f"{path.name}: seqclf reads time series from {', '.join(SERIES_SUFFIXES[:-1])} or {SERIES_SUFFIXES[-1]} files"
        )
    channels = {case.shape[1] for case in examples.inputs}
    if len(channels) > 1:
        raise DataError(f"{path}: the cases have different numbers of channels {sorted(channels)}")
    return examples
