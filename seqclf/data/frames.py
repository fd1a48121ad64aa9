"""Reader for one series in a CSV file: one frame (time step) per line, one column per channel.

It is how a single series arrives everywhere: a command-line argument, an upload or
bundled example in the UI, a file of a folder given to ``seqclf predict --input``, and
each file an index table of series lists for training (:mod:`seqclf.data.series_tables`).
Lines starting with ``#`` are comments; a first row of channel names (``pandas``'
``to_csv`` writes one) is skipped, the channels being taken by position.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from seqclf.errors import InvalidInputError


def read_frames_csv(path: str | Path) -> np.ndarray:
    """A ``(frames, channels)`` array from a CSV file with one frame per line."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"no CSV file of frames at {str(path)!r}")
    problem = f"{path} is not a CSV of numbers, one frame per line"
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise InvalidInputError(f"{problem}: it is not UTF-8 text") from None
    try:
        with warnings.catch_warnings():  # an empty file: the encoder says so, not a numpy warning
            warnings.simplefilter("ignore", UserWarning)
            return np.loadtxt(_without_header(lines), delimiter=",", ndmin=2, comments="#")
    except ValueError as err:
        raise InvalidInputError(f"{problem}: {_csv_problem(err)}") from err


def _without_header(lines: list[str]) -> list[str]:
    """``lines`` less the first one that is not a comment when none of its fields is a number."""
    first = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), None)
    if first is None or any(_is_number(field) for field in lines[first].split(",")):
        return lines
    return lines[:first] + lines[first + 1 :]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_problem(err: ValueError) -> str:
    """Where numpy's ``loadtxt`` failed, without the offending text.

    numpy quotes the value it could not convert; the UI hands this message to whoever
    uploaded the file, and a message must never quote a file's content (the file may not
    be what the caller says it is). Its advice to pass ``usecols`` is left out too: a CLI
    or UI user cannot.
    """
    reason = str(err)
    place = re.search(r"at row (\d+), column (\d+)", reason)
    if reason.startswith("could not convert") and place:
        return f"a value that is not a number at row {place[1]}, column {place[2]}"
    if reason.startswith("the number of columns changed"):
        return reason.split("; use `usecols`")[0]
    return "it could not be parsed"
