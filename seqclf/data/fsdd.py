"""Reader for the Free Spoken Digit Dataset: WAVs named ``{digit}_{speaker}_{index}.wav``.

FSDD's README defines the split by the repetition index: 0-4 is test, 5-49 train.
For early stopping we hold out a validation part from train by the same rule —
index 5-9 — so validation, like test, has every speaker saying every digit five
times, and nothing depends on a random seed. The examples are the WAV paths; the
audio encoder decodes them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seqclf.data.paths import files_inside
from seqclf.data.splits import Examples, Splits, fingerprint
from seqclf.errors import DataError

NAME = re.compile(r"^(?P<label>[^_]+)_(?P<speaker>[^_]+)_(?P<index>\d+)$")
TEST_INDICES = (0, 4)
VALIDATION_INDICES = (5, 9)


def _recordings_folder(data: Path) -> Path:
    """``data`` itself, or its ``recordings/`` subfolder as in the FSDD repository."""
    if not data.is_dir():
        raise DataError(f"{data} is not a folder: point --data at FSDD or its recordings/ folder")
    nested = data / "recordings"
    return nested if not any(data.glob("*.wav")) and nested.is_dir() else data


def read_fsdd(data: str | Path) -> list[tuple[Path, str, str, int]]:
    """``(path, label, speaker, index)`` for every WAV, sorted by file name; one that links to a
    file outside the folder is refused (:mod:`seqclf.data.paths`)."""
    folder = _recordings_folder(Path(data))
    files = sorted(folder.glob("*.wav"))
    if not files:
        raise DataError(
            f"no .wav files in {folder}: point --data at the Free Spoken Digit Dataset "
            "folder or its recordings/ folder"
        )
    rows = []
    check = files_inside(folder)
    for path in files:
        check(path.name, str(folder))  # a recording that links elsewhere is not read
        match = NAME.match(path.stem)
        if match is None:
            raise DataError(f"{path.name} is not named {{label}}_{{speaker}}_{{index}}.wav as FSDD files are")
        rows.append((path, match["label"], match["speaker"], int(match["index"])))
    return rows


def _within(index: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= index <= bounds[1]


def _part(speaker: str, index: int, test_speakers: Sequence[str]) -> str | None:
    """The split a recording belongs to; None: left out (other speakers' test recordings
    when speakers are held out)."""
    if speaker in test_speakers:
        return "test"
    if _within(index, TEST_INDICES):
        return None if test_speakers else "test"
    return "validation" if _within(index, VALIDATION_INDICES) else "train"


def fsdd_splits(data: str | Path, test_speakers: Sequence[str] = ()) -> Splits:
    """The standard split (index 0-4 test) plus index 5-9 as validation, 10-49 train.

    With ``test_speakers``, the test split is instead every recording of those speakers,
    and train and validation are the standard ones without them: a measure of how the
    recipe does on voices it never heard, which the standard split cannot give. The other
    speakers' test recordings (index 0-4) are then left out, so the model trains on
    exactly what a standard run would, minus the held-out voices.
    """
    rows = read_fsdd(data)
    unknown = sorted(set(test_speakers) - {speaker for _, _, speaker, _ in rows})
    if unknown:
        raise DataError(f"no recordings of speaker(s) {', '.join(unknown)} in {data}")
    parts: dict[str, Examples] = {name: Examples([], []) for name in ("train", "validation", "test")}
    for path, label, speaker, index in rows:
        name = _part(speaker, index, test_speakers)
        if name is None:
            continue
        parts[name].inputs.append(str(path))
        parts[name].labels.append(label)
    empty = [name for name, part in parts.items() if len(part) == 0]
    if empty:
        raise DataError(
            f"the {', '.join(empty)} split(s) are empty: FSDD needs indices 0-4 (test), "
            "5-9 (validation) and 10 or more (train)"
        )
    info: dict[str, Any] = {
        "method": "fsdd-index",
        "name": "test",
        "test_indices": list(TEST_INDICES),
        "validation_indices": list(VALIDATION_INDICES),
        **({"test_speakers": sorted(test_speakers)} if test_speakers else {}),
        "sizes": {name: len(part) for name, part in parts.items()},
        "test_fingerprint": fingerprint(parts["test"], describe=lambda p: Path(p).name),
    }
    return Splits(parts["train"], parts["validation"], parts["test"], info)
