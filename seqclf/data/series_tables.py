"""Series as people keep them in tables: a long table, or a table listing one CSV of frames per series.

- A **long table** (the sktime/tsfresh "long" format): one row per time step, with a
  column naming its series (``series_id`` or ``id``), one giving its time (``time`` or
  ``timestamp``: numbers or ISO 8601 dates), the series' ``label`` (the same on each of
  its rows), and one column per channel: every other column, or the ones listed. A CSV,
  TSV, JSON Lines or Parquet file, or a pandas DataFrame in memory (``seqclf.fit``). The
  rows of each series are put in time order whatever the file's order (the times order
  the steps; their spacing is not used), and the series come in the order of their first
  row. Series may have different lengths.
- An **index of frame files**: a table with a ``path`` (or ``file_name``) column and a
  ``label`` column, each path a CSV of one series (:mod:`seqclf.data.frames`), relative
  to the index's folder. A path that leads out of that folder (an absolute one, ``..``,
  a link) is refused (:mod:`seqclf.data.paths`): a data file, perhaps fetched from the
  Hub, must not make seqclf read files it was not given.

A file is read into a DataFrame and checked as one in memory is (:func:`from_long_frame`),
so both give the same answers and the same one-line errors, each naming the series, the
row (counted from 1 after the header) or the column, and what to do. Missing values
(empty cells) are interpolated along time as in ``.ts`` files; infinite values or times, a series
with no value at all, a missing id, time or label, a value or time that is not one,
two rows at one time and two labels for one series are refused.

pandas is imported with this module, which :func:`seqclf.data.series.read_series` loads
only for a table: the service reads series but never tables.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seqclf.data.frames import read_frames_csv
from seqclf.data.paths import files_inside
from seqclf.data.splits import Examples
from seqclf.data.uea import as_case
from seqclf.errors import DataError, InvalidInputError

#: the usual names of each column a long table needs, tried in order when none is named
ID_COLUMNS = ("series_id", "id")
TIME_COLUMNS = ("time", "timestamp")
LABEL_COLUMNS = ("label",)
#: the columns that make a table an index of frame files (``file_name`` as in an audiofolder)
PATH_COLUMNS = ("path", "file_name")
#: how seqclf.fit names the options of a DataFrame, where the command has flags
_KEYWORDS = {"label_column": "labels"}


@dataclass(frozen=True)
class _Source:
    """What the messages call the data, and how its reader's options are given there."""

    name: str
    in_memory: bool

    def option(self, name: str) -> str:
        """``--id-column`` for a file, ``id_column=`` for a DataFrame handed to ``seqclf.fit``."""
        return f"{_KEYWORDS.get(name, name)}=" if self.in_memory else "--" + name.replace("_", "-")


def _columns_found(frame: pd.DataFrame) -> str:
    return ", ".join(repr(c) for c in frame.columns) or "none"


def _column(
    frame: pd.DataFrame, named: Hashable | None, usual: Sequence[str], what: str, option: str, source: _Source
) -> Hashable:
    """The column ``named``, or the first of the ``usual`` names the table has."""
    if named is not None and named in frame.columns:
        return named
    if named is None:
        found = next((c for c in usual if c in frame.columns), None)
        if found is not None:
            return found
    looked = repr(named) if named is not None else " or ".join(map(repr, usual))
    raise DataError(
        f"{source.name} has no {what} column {looked} (its columns: {_columns_found(frame)}); "
        f"name it with {source.option(option)}"
    )


def _channels(
    frame: pd.DataFrame, named: Sequence[Hashable] | str | None, keys: list[Hashable], source: _Source
) -> list[Hashable]:
    """The channel columns: those ``named`` (a list, or a comma-separated string), or every other one."""
    if isinstance(named, str):
        named = [name.strip() for name in named.split(",") if name.strip()]
    if not named:
        channels = [c for c in frame.columns if c not in keys]
        if not channels:
            raise DataError(
                f"{source.name} has no value columns besides {', '.join(map(repr, keys))}: "
                "give each channel of the series a column"
            )
        return channels
    for name in named:
        if name not in frame.columns:
            raise DataError(
                f"{source.name} has no channel column {name!r} (its columns: {_columns_found(frame)}); "
                f"list the channels with {source.option('channels')}"
            )
        if name in keys:
            raise DataError(f"{source.name}: {name!r} is the series id, time or label column, not a channel")
    return list(named)


def _first(mask: np.ndarray | pd.Series) -> int:
    """The position of the first true value of ``mask``."""
    return int(np.flatnonzero(np.asarray(mask))[0])


def _no_gaps(column: pd.Series, what: str, source: _Source, series: pd.Series | None = None) -> None:
    """Refuse a missing (empty) value in ``column``, naming its row (and its series)."""
    missing = column.isna().to_numpy()
    if missing.any():
        at = _first(missing)
        of = f" (series {str(series.iloc[at])!r})" if series is not None else ""
        raise DataError(f"{source.name}, row {at + 1}{of}: the {what} is missing; every row needs one")


def _numbers(column: pd.Series, name: Hashable, ids: pd.Series, source: _Source) -> np.ndarray:
    """A channel's values as floats (empty cells NaN); a value that is not a number is refused."""
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    numbers = pd.to_numeric(column, errors="coerce")
    bad = (numbers.isna() & column.notna()).to_numpy()
    if bad.any():
        at = _first(bad)
        raise DataError(
            f"{source.name}, row {at + 1} (series {str(ids.iloc[at])!r}): the {name!r} value is not a number; "
            f"leave a missing value empty, or list the channel columns with {source.option('channels')}"
        )
    return numbers.to_numpy(dtype=np.float64, na_value=np.nan)


def _finite(times: np.ndarray, name: Hashable, ids: pd.Series, source: _Source) -> np.ndarray:
    """``times``, unless one is infinite: it would sort first or last and say nothing of when."""
    infinite = ~np.isfinite(times)
    if infinite.any():
        at = _first(infinite)
        raise DataError(
            f"{source.name}, row {at + 1} (series {str(ids.iloc[at])!r}): the {name!r} value is "
            f"{times[at]}; give every time as a finite number or an ISO 8601 date"
        )
    return times


def _instants(column: pd.Series, name: Hashable, ids: pd.Series, source: _Source) -> np.ndarray:
    """The time column as numbers that order the rows: the (finite) numbers given, or dates as
    nanoseconds."""
    if pd.api.types.is_numeric_dtype(column):
        return _finite(column.to_numpy(dtype=np.float64), name, ids, source)
    if not pd.api.types.is_datetime64_any_dtype(column):
        numbers = pd.to_numeric(column, errors="coerce")
        if numbers.notna().all():
            return _finite(numbers.to_numpy(dtype=np.float64), name, ids, source)
        dates = pd.to_datetime(column, errors="coerce", format="ISO8601", utc=True)
        if dates.isna().any():
            neither = (numbers.isna() & dates.isna()).to_numpy()
            dated = numbers.isna().to_numpy()  # with no row of neither, the others are dates
            if neither.any():
                at, problem = _first(neither), "is neither a number nor an ISO 8601 date"
            elif dated[0]:
                at, problem = _first(~dated), "is a number where the first row's is a date"
            else:
                at, problem = _first(dated), "is a date where the first row's is a number"
            raise DataError(
                f"{source.name}, row {at + 1} (series {str(ids.iloc[at])!r}): the {name!r} value {problem}; "
                "give every time as a number or every time as an ISO 8601 date"
            )
        column = dates
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    return column.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _labels(column: pd.Series, ids: pd.Series, source: _Source) -> np.ndarray:
    """The label of each row as a stripped string; a missing or blank one is refused."""
    _no_gaps(column, "label", source, ids)
    labels = column.astype(str).str.strip()
    blank = (labels == "").to_numpy()
    if blank.any():
        at = _first(blank)
        raise DataError(
            f"{source.name}, row {at + 1} (series {str(ids.iloc[at])!r}): the label is empty; every row needs one"
        )
    return labels.to_numpy(dtype=object)


def _checked_long_frame(
    frame: pd.DataFrame,
    source: _Source,
    id_column: Hashable | None = None,
    time_column: Hashable | None = None,
    label_column: Hashable | None = None,
    channels: Sequence[Hashable] | str | None = None,
) -> Examples:
    """The series of a long table, each a ``(steps, channels)`` float32 array in time order."""
    if frame.empty:
        raise DataError(f"{source.name} has no rows")
    id_name = _column(frame, id_column, ID_COLUMNS, "series id", "id_column", source)
    time_name = _column(frame, time_column, TIME_COLUMNS, "time", "time_column", source)
    label_name = _column(frame, label_column, LABEL_COLUMNS, "label", "label_column", source)
    channel_names = _channels(frame, channels, [id_name, time_name, label_name], source)
    frame = frame.reset_index(drop=True)  # positions are rows
    ids = frame[id_name]
    _no_gaps(ids, "series id", source)
    _no_gaps(frame[time_name], f"{time_name!r} value", source, ids)
    labels = _labels(frame[label_name], ids, source)
    times = _instants(frame[time_name], time_name, ids, source)
    values = np.column_stack([_numbers(frame[name], name, ids, source) for name in channel_names])

    codes, names = pd.factorize(ids.astype(str))  # series numbered in the order of their first row
    label_codes, label_names = pd.factorize(labels)  # compared as numbers, not a million strings
    order = np.lexsort((times, codes))  # by series, then by time
    codes, times, label_codes = codes[order], times[order], label_codes[order]
    same_series = codes[1:] == codes[:-1]
    repeated = same_series & (times[1:] == times[:-1])
    if repeated.any():
        at = _first(repeated) + 1
        first, second = sorted((int(order[at - 1]), int(order[at])))
        raise DataError(
            f"{source.name}: series {names[codes[at]]!r} has two rows at {time_name!r} "
            f"{frame[time_name].iloc[second]} (rows {first + 1} and {second + 1}); give each time step one row"
        )
    relabelled = same_series & (label_codes[1:] != label_codes[:-1])
    if relabelled.any():
        at = _first(relabelled) + 1
        before, after = label_names[label_codes[at - 1]], label_names[label_codes[at]]
        raise DataError(
            f"{source.name}: series {names[codes[at]]!r} has the labels {before!r} (row {order[at - 1] + 1}) "
            f"and {after!r} (row {order[at] + 1}); a series has one label, the same on each of its rows"
        )
    starts = np.concatenate([[0], np.flatnonzero(~same_series) + 1])
    cases = np.split(values[order], starts[1:])
    inputs = [as_case(case, f"{source.name}: series {names[i]!r}") for i, case in enumerate(cases)]
    return Examples(inputs, [str(label_names[code]) for code in label_codes[starts]])


def from_long_frame(frame: pd.DataFrame, source: str = "the DataFrame", **columns: Any) -> Examples:
    """The labelled series of a long DataFrame (one row per time step), as ``seqclf.fit`` takes one.

    ``columns`` are ``id_column``, ``time_column``, ``label_column`` (each None: the
    usual names) and ``channels`` (None: every other column); ``source`` is what the
    messages call the data.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{source} is a {type(frame).__name__}, not a pandas DataFrame")
    return _checked_long_frame(frame, _Source(source, in_memory=True), **columns)


def _read_frame(path: Path, text_columns: set[str]) -> pd.DataFrame:
    """A table file as a DataFrame, its ``text_columns`` (ids, labels, paths) as text in a CSV
    or TSV so they keep their spelling (``01`` is not ``1``); the rest typed as the file says."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv"):
            text = dict.fromkeys(text_columns, str)
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", dtype=text, encoding="utf-8-sig")
        if suffix in (".jsonl", ".json"):
            return pd.read_json(path, lines=True, dtype=False)
        return pd.read_parquet(path)
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text: {err}") from err
    except (ValueError, OSError) as err:  # pandas' and pyarrow's parse errors are ValueErrors
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{path} is not a readable {suffix[1:]} table: {reason}") from err


def _from_frame_files(frame: pd.DataFrame, index: Path, label_column: Hashable | None) -> Examples:
    """The series of the CSVs of frames an index table lists, with their labels."""
    source = _Source(str(index), in_memory=False)
    path_name = next(c for c in PATH_COLUMNS if c in frame.columns)
    label_name = _column(frame, label_column, LABEL_COLUMNS, "label", "label_column", source)
    _no_gaps(frame[path_name], "path", source)
    labels = _labels(frame[label_name], frame[path_name], source)
    inputs = []
    check = files_inside(index.parent)
    for row, name in enumerate(frame[path_name].astype(str).str.strip(), start=1):
        where = f"{index}, row {row}"
        path = check(name, where)
        try:
            frames = read_frames_csv(path)
        except InvalidInputError as err:
            raise DataError(f"{where}: {err}") from err
        inputs.append(as_case(frames, str(path)))
    return Examples(inputs, [str(label) for label in labels])


def read_series_table(path: Path, **columns: Any) -> Examples:
    """Labelled series from a table file: an index of frame files when it has a ``path`` (or
    ``file_name``) column, a long table otherwise. ``columns`` as for :func:`from_long_frame`."""
    named = {columns.get("id_column"), columns.get("label_column")} - {None}
    frame = _read_frame(path, {*ID_COLUMNS, *LABEL_COLUMNS, *PATH_COLUMNS, *named})
    if any(name in frame.columns for name in PATH_COLUMNS):
        given = sorted(k for k, v in columns.items() if v is not None and k != "label_column")
        if given:
            raise DataError(
                f"{path} lists CSVs of frames (it has a {'/'.join(PATH_COLUMNS)} column): "
                f"{', '.join('--' + k.replace('_', '-') for k in given)} name(s) the columns of a long table"
            )
        return _from_frame_files(frame, path, columns.get("label_column"))
    return _checked_long_frame(frame, _Source(str(path), in_memory=False), **columns)
