"""Reader for UEA/UCR time series in Weka ``.arff`` files, the archives' other format.

Two layouts, as the archives (and aeon/sktime) write them:

- **univariate**: one ``@attribute ... numeric`` per time step, then the nominal class
  (``@attribute target {a,b}``); each ``@data`` row is the values, then the label;
- **multivariate**: one ``relational`` attribute (its numeric steps declared between
  ``@attribute NAME relational`` and ``@end NAME``), then the class; each row is a quoted
  string of the channels, separated by the two characters ``\\n``, then the label:
  ``'1,2,3\\n4,5,6',a``. Cases may differ in length.

Keywords are case-insensitive, ``%`` starts a comment, labels may be quoted. Weka gives
every row a value per declared attribute, so the archives pad a shorter case with ``?``:
steps missing in every channel at the end of a case are that padding and are dropped.
Other missing values (``?``) are filled as in ``.ts`` files (:func:`~seqclf.data.uea.fill_missing`).

Hand-written because ``scipy.io.arff`` does not read relational attributes, and aeon or
sktime would be a large dependency for one small format; each bad line is reported with
its number.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqclf.data.splits import Examples
from seqclf.data.uea import MISSING, case_array, fill_missing, numbered_lines, text_lines
from seqclf.errors import DataError

NUMERIC = frozenset({"numeric", "real", "integer"})


def _fields(text: str) -> list[str]:
    """``text`` split at commas outside quotes, each field stripped and unquoted."""
    fields, current, quote = [], "", None
    for char in text:
        if quote:
            if char == quote:
                quote = None
            else:
                current += char
        elif char in "'\"":
            quote = char
        elif char == ",":
            fields.append(current.strip())
            current = ""
        else:
            current += char
    if quote:
        raise ValueError(f"unclosed {quote} quote")
    return [*fields, current.strip()]


def _attribute(rest: str) -> tuple[str, str]:
    """The name and the type of an ``@attribute`` line (without the keyword)."""
    rest = rest.strip()
    if rest[:1] in ("'", '"'):
        end = rest.find(rest[0], 1)
        return (rest[1:end], rest[end + 1 :].strip()) if end > 0 else (rest[1:], "")
    name, _, kind = rest.replace("\t", " ").partition(" ")
    return name, kind.strip()


def _number(value: str) -> float:
    return float("nan") if value in MISSING else float(value)


def read_arff(path: str | Path, require_labels: bool = True) -> Examples:
    """Cases as ``(steps, channels)`` float32 arrays with their string class labels.

    Training needs the nominal class attribute; for prediction (``require_labels=False``)
    a file without one reads too (every attribute a step), and so does a class of ``?``:
    the labels are then empty.
    """
    path = Path(path)
    lines = text_lines(path, ".arff")
    attributes: list[tuple[str, str, int]] = []  # name, type (lower-cased), line
    relational: str | None = None  # the relational attribute being declared
    data_start = None
    for number, line in numbered_lines(lines, "%"):
        keyword, _, rest = line.replace("\t", " ").partition(" ")
        keyword = keyword.lower()
        if keyword == "@data":
            data_start = number
            break
        if keyword == "@attribute":
            name, kind = _attribute(rest)
            if relational is not None:
                if kind.lower() not in NUMERIC:
                    raise DataError(
                        f"{path}:{number}: step {name!r} is {kind!r}; a series step must be numeric "
                        f"(is the @end {relational} line missing?)"
                    )
            else:
                attributes.append((name, kind if kind.startswith("{") else kind.lower(), number))
                if kind.lower() == "relational":
                    relational = name
        elif keyword == "@end":
            relational = None
        elif keyword != "@relation":
            raise DataError(f"{path}:{number}: expected @relation, @attribute or @data, got {line[:40]!r}")
    if data_start is None:
        raise DataError(f"{path} has no @data line: it is not a Weka .arff file")
    if relational is not None:
        raise DataError(f"{path}: the relational attribute {relational!r} has no @end {relational} line")

    allowed: list[str] | None = None
    if attributes and attributes[-1][1].startswith("{"):
        kind, line_of_class = attributes.pop()[1:]
        if not kind.endswith("}"):
            raise DataError(f"{path}:{line_of_class}: the class values {kind!r} do not end with '}}'")
        allowed = _fields(kind[1:-1])
    elif require_labels:
        raise DataError(
            f"{path}: no class attribute; seqclf needs labelled cases: end the header with a nominal "
            "attribute such as '@attribute target {a,b}' and each row with its label"
        )
    multivariate = any(kind == "relational" for _, kind, _ in attributes)
    for name, kind, number in attributes:
        if not (kind == "relational" and len(attributes) == 1 if multivariate else kind in NUMERIC):
            raise DataError(
                f"{path}:{number}: attribute {name!r} is {kind!r}; seqclf reads one numeric attribute per "
                "step (univariate) or one relational attribute (multivariate), then the nominal class"
            )
    if not attributes:
        raise DataError(f"{path}: no attribute declares the series; only the class")
    width = (1 if multivariate else len(attributes)) + (allowed is not None)

    inputs: list[np.ndarray] = []
    labels: list[str] = []
    for number, line in numbered_lines(lines, "%", data_start):
        if line.startswith("{"):
            raise DataError(f"{path}:{number}: sparse ARFF rows are not supported; write every value")
        try:
            fields = _fields(line)
        except ValueError as err:
            raise DataError(f"{path}:{number}: {err}") from err
        if len(fields) != width:
            raise DataError(f"{path}:{number}: {len(fields)} value(s); the header declares {width}")
        label = fields.pop() if allowed is not None else ""
        if label == "?" and not require_labels:
            label = ""
        elif allowed is not None and label not in allowed:
            raise DataError(f"{path}:{number}: label {label!r} is not in the class values {allowed}")
        channels = [channel.split(",") for channel in fields[0].split("\\n")] if multivariate else [fields]
        try:
            values = [[_number(v.strip()) for v in channel] for channel in channels]
        except ValueError as err:
            raise DataError(f"{path}:{number}: not a number ({err}); write a missing value as '?'") from err
        array = case_array(values, f"{path}:{number}", "channels")
        if inputs and array.shape[1] != inputs[0].shape[1]:
            raise DataError(
                f"{path}:{number}: {array.shape[1]} channel(s); the first case has {inputs[0].shape[1]}"
            )
        known = np.flatnonzero(~np.isnan(array).all(axis=1))
        inputs.append(fill_missing(array[: known[-1] + 1]))  # trailing '?' steps: padding
        labels.append(label)
    if not inputs:
        raise DataError(f"{path} has no cases after @data")
    return Examples(inputs, labels)
