"""Reader for UEA/UCR ``.ts`` time-series files, multivariate and of variable length.

The format (sktime/aeon): ``#`` comment lines (``%`` too, as tsml writes them), a header of ``@key value`` lines, then
``@data`` and one case per line — each dimension's values comma-separated, the
dimensions separated by ``:``, and the class label as the last ``:`` field. We read
it with a small parser rather than sktime/aeon, which would pull in a large
dependency for forty lines; every malformed line is reported with its number.

Missing values (``?`` or ``NaN``, as the archive writes them) are filled by linear
interpolation along time within their channel, and held flat past the first and last
known value; a channel with no known value is filled with 0. The count is reported, so
``seqclf train`` can say how much it filled.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from seqclf.data.splits import Examples
from seqclf.errors import DataError


def _flag(value: str, key: str, where: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise DataError(f"{where}: @{key} must be true or false, got {value!r}")
    return value.lower() == "true"


MISSING = frozenset({"?", "nan", "NaN", "NAN"})


def fill_missing(array: np.ndarray) -> np.ndarray:
    """Interpolate NaNs along time (axis 0) per channel; an all-NaN channel becomes 0."""
    out = array.copy()
    steps = np.arange(len(out))
    for channel in range(out.shape[1]):
        values = out[:, channel]
        known = ~np.isnan(values)
        if not known.any():
            values[:] = 0.0
        elif not known.all():
            values[~known] = np.interp(steps[~known], steps[known], values[known])
    return out


def as_case(value: np.ndarray, where: str) -> np.ndarray:
    """One case as a ``(steps, channels)`` float32 array with its missing values filled.

    Refused with ``where`` (which case of which file) in the message: a shape that is
    not one or two axes, infinite values, a case with no value at all.
    """
    array = np.asarray(value, dtype=np.float32)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.size == 0:
        raise DataError(f"{where} has shape {array.shape}; expected (steps, channels)")
    if np.isinf(array).any():
        raise DataError(f"{where} has infinite values")
    if np.isnan(array).all():
        raise DataError(f"{where} has no values (all missing)")
    return fill_missing(array)


def _number(value: str) -> float:
    return float("nan") if value.strip() in MISSING else float(value)


def text_lines(path: Path, kind: str) -> list[str]:
    """The lines of a series archive (a leading BOM dropped); a clear error if it is missing or not text."""
    if not path.is_file():
        raise DataError(f"no {kind} file at {path}")
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not a text file: {err}") from err


#: what starts a comment line: ``#`` in the aeon/sktime archives, ``%`` in tsml's
COMMENTS = ("#", "%")


def numbered_lines(
    lines: list[str], comment: str | tuple[str, ...], start: int = 0
) -> Iterator[tuple[int, str]]:
    """``(line number, stripped line)`` from ``lines[start:]``, leaving out blank and comment lines."""
    for number, raw in enumerate(lines[start:], start=start + 1):
        line = raw.strip()
        if line and not line.startswith(comment):
            yield number, line


def case_array(values: list[list[float]], where: str, parts: str) -> np.ndarray:
    """One case's ``parts`` (its dimensions or channels) as a ``(steps, parts)`` float32 array.

    Refused with ``where`` (``file:line``) in the message: parts of different lengths,
    infinite values, a case with no value at all. Missing values are left as NaN.
    """
    lengths = {len(v) for v in values}
    if len(lengths) != 1:
        raise DataError(f"{where}: the {parts} have different lengths {sorted(lengths)}")
    array = np.asarray(values, dtype=np.float32).T
    if np.isinf(array).any():
        raise DataError(f"{where}: infinite values")
    if np.isnan(array).all():
        raise DataError(f"{where}: every value is missing")
    return array


def read_ts(path: str | Path, require_labels: bool = True) -> Examples:
    """Cases as ``(length, dimensions)`` float32 arrays with their string class labels.

    Missing values are filled (see the module docstring). Training needs labels; for
    prediction (``require_labels=False``) a file of ``@classLabel false`` reads too, its
    labels empty.
    """
    path = Path(path)
    lines = text_lines(path, ".ts")
    header: dict[str, str] = {}
    data_start = None
    for number, line in numbered_lines(lines, COMMENTS):
        if not line.startswith("@"):
            raise DataError(f"{path}:{number}: expected a @header line or @data before the cases")
        key, _, value = line[1:].partition(" ")
        key = key.lower()
        if key == "data":
            data_start = number
            break
        header[key] = value.strip()
    if data_start is None:
        raise DataError(f"{path} has no @data line: it is not a UEA/UCR .ts file")
    where = str(path)
    class_label = header.get("classlabel", "false").split()
    labelled = bool(class_label) and _flag(class_label[0], "classLabel", where)
    if require_labels and not labelled:
        raise DataError(f"{where}: @classLabel is not true; seqclf needs labelled cases")
    allowed = class_label[1:]
    if _flag(header.get("timestamps", "false"), "timeStamps", where):
        raise DataError(f"{where}: time-stamped .ts files are not supported")
    try:
        dimensions = int(header["dimensions"]) if "dimensions" in header else None
    except ValueError as err:
        raise DataError(f"{where}: @dimensions must be an integer, got {header['dimensions']!r}") from err

    inputs: list[np.ndarray] = []
    labels: list[str] = []
    for number, line in numbered_lines(lines, COMMENTS, data_start):
        fields = [field.strip() for field in line.split(":")]
        series, label = (fields[:-1], fields[-1]) if labelled else (fields, "")
        if not series:
            raise DataError(f"{path}:{number}: a case needs at least one dimension and a label")
        if dimensions is not None and len(series) != dimensions:
            raise DataError(f"{path}:{number}: {len(series)} dimension(s); the header says {dimensions}")
        if allowed and label not in allowed:
            raise DataError(f"{path}:{number}: label {label!r} is not in @classLabel {allowed}")
        try:
            values = [[_number(v) for v in s.split(",")] for s in series]
        except ValueError as err:
            raise DataError(f"{path}:{number}: not a number ({err}); write a missing value as '?'") from err
        inputs.append(fill_missing(case_array(values, f"{path}:{number}", "dimensions")))
        labels.append(label)
    if not inputs:
        raise DataError(f"{path} has no cases after @data")
    return Examples(inputs, labels)
