"""The FSDD folder reader with its standard split, and the UEA/UCR .ts reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from speech_data import LABELS, SPEAKERS, feature_sequence, make_fsdd_folder, write_ts

from seqclf.data.fsdd import fsdd_splits, read_fsdd
from seqclf.data.uea import read_ts
from seqclf.errors import DataError
from seqclf.tasks import get_task


@pytest.fixture(scope="module")
def fsdd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_fsdd_folder(tmp_path_factory.mktemp("fsdd") / "recordings", repetitions=12)


def test_fsdd_split_follows_the_repetition_index(fsdd):
    splits = fsdd_splits(fsdd)
    per_cell = len(LABELS) * len(SPEAKERS)
    assert splits.info["sizes"] == {"train": 2 * per_cell, "validation": 5 * per_cell, "test": 5 * per_cell}
    index = {
        name: {int(Path(p).stem.split("_")[2]) for p in splits.get(name).inputs}
        for name in ("train", "validation", "test")
    }
    assert index == {"train": {10, 11}, "validation": set(range(5, 10)), "test": set(range(5))}
    for path, label in zip(splits.test.inputs, splits.test.labels, strict=True):
        assert Path(path).name.startswith(f"{label}_")


def test_fsdd_can_hold_out_a_speaker_for_testing(fsdd):
    held_out = next(iter(SPEAKERS))
    splits = fsdd_splits(fsdd, test_speakers=[held_out])
    speaker_of = {
        name: {Path(p).stem.split("_")[1] for p in splits.get(name).inputs}
        for name in ("train", "validation", "test")
    }
    assert speaker_of["test"] == {held_out}
    assert held_out not in speaker_of["train"] | speaker_of["validation"]
    per_speaker = len(LABELS) * 12
    assert len(splits.test) == per_speaker  # every recording of the held-out speaker
    standard = fsdd_splits(fsdd)
    # train and validation are the standard ones without the held-out speaker
    for name in ("train", "validation"):
        kept = [p for p in standard.get(name).inputs if Path(p).stem.split("_")[1] != held_out]
        assert splits.get(name).inputs == kept
    assert splits.info["test_speakers"] == [held_out]
    # the recorded choice replays through the task, as `seqclf evaluate` does
    assert get_task("digits").load_splits(fsdd, splits.info).info == splits.info
    with pytest.raises(DataError, match="no recordings of speaker"):
        fsdd_splits(fsdd, test_speakers=["nobody"])


def test_fsdd_accepts_the_dataset_folder_and_fingerprints_file_names(fsdd, tmp_path):
    assert fsdd_splits(fsdd.parent).info == fsdd_splits(fsdd).info
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    for path in fsdd.glob("*.wav"):
        (copy / path.name).write_bytes(path.read_bytes())
    assert fsdd_splits(copy).info["test_fingerprint"] == fsdd_splits(fsdd).info["test_fingerprint"]


def test_fsdd_rows(fsdd):
    rows = read_fsdd(fsdd)
    assert len(rows) == len(LABELS) * len(SPEAKERS) * 12
    path, label, speaker, index = rows[0]
    assert (label, speaker, index) == ("0", "ann", 0) and path.name == "0_ann_0.wav"


def test_fsdd_errors(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        fsdd_splits(tmp_path / "missing")
    with pytest.raises(DataError, match=r"no \.wav files"):
        fsdd_splits(tmp_path)
    (tmp_path / "hello.wav").write_bytes(b"")
    with pytest.raises(DataError, match=r"hello\.wav is not named"):
        fsdd_splits(tmp_path)
    few = tmp_path / "few"
    few.mkdir()
    (few / "3_ann_2.wav").write_bytes(b"")  # only a test index: train and validation are empty
    with pytest.raises(DataError, match="train, validation"):
        fsdd_splits(few)


@pytest.fixture(scope="module")
def cases() -> tuple[list[np.ndarray], list[str]]:
    rng = np.random.default_rng(0)
    labels = [str(1 + i % 3) for i in range(30)]
    return [feature_sequence(int(y), rng, channels=5) for y in labels], labels


def test_ts_round_trip(tmp_path, cases):
    sequences, labels = cases
    examples = read_ts(write_ts(tmp_path / "x.ts", sequences, labels))
    assert examples.labels == labels
    assert [x.shape for x in examples.inputs] == [s.shape for s in sequences]
    for read, written in zip(examples.inputs, sequences, strict=True):
        np.testing.assert_allclose(read, written, atol=1e-6)


def test_ts_comments_may_start_with_a_percent_sign_as_tsml_writes_them(tmp_path, cases):
    sequences, labels = cases
    path = write_ts(tmp_path / "x.ts", sequences, labels)
    path.write_text("% written by tsml\n%\n" + path.read_text())
    examples = read_ts(path)
    assert examples.labels == labels and len(examples.inputs) == len(sequences)


def ts_with(tmp_path: Path, header: str, data: str) -> Path:
    path = tmp_path / "bad.ts"
    path.write_text(f"#comment\n{header}\n@data\n{data}\n", encoding="utf-8")
    return path


GOOD_HEADER = "@dimensions 2\n@classLabel true a b"


@pytest.mark.parametrize(
    ("header", "data", "message"),
    [
        (GOOD_HEADER, "1,2,3:4,5,6:c", "label 'c' is not in @classLabel"),
        (GOOD_HEADER, "1,2,3:a", "1 dimension.*the header says 2"),
        (GOOD_HEADER, "1,2,3:4,5:a", "different lengths"),
        (GOOD_HEADER, "1,x,3:4,5,6:a", "write a missing value as '\\?'"),
        (GOOD_HEADER, "1,inf,3:4,5,6:a", "infinite"),
        (GOOD_HEADER, "", "no cases"),
        ("@dimensions 2\n@classLabel false", "1,2:3,4", "needs labelled cases"),
        ("@dimensions two\n@classLabel true a", "1:2:a", "must be an integer"),
        ("@timeStamps true\n@classLabel true a", "(0,1):a", "time-stamped"),
        ("this is not a header", "1:a", "expected a @header line"),
    ],
)
def test_malformed_ts_files_get_clear_errors(tmp_path, header, data, message):
    with pytest.raises(DataError, match=message):
        read_ts(ts_with(tmp_path, header, data))


def test_missing_values_are_interpolated_along_time_within_their_channel(tmp_path):
    path = ts_with(tmp_path, GOOD_HEADER, "1,?,3,?:?,?,?,?:a\n?,2,NaN,8:5,6,7,8:b")
    first, second = read_ts(path).inputs
    np.testing.assert_array_equal(first, [[1, 0], [2, 0], [3, 0], [3, 0]])  # exact: halves and copies
    np.testing.assert_array_equal(second, [[2, 5], [2, 6], [5, 7], [8, 8]])


def test_ts_without_data_section(tmp_path):
    path = tmp_path / "header_only.ts"
    path.write_text("@problemName X\n@classLabel true a\n")
    with pytest.raises(DataError, match="no @data line"):
        read_ts(path)
    with pytest.raises(DataError, match=r"no \.ts file"):
        read_ts(tmp_path / "missing.ts")


def test_vowels_task_split_is_stratified_and_replayable(tmp_path, cases):
    sequences, labels = cases
    write_ts(tmp_path / "JapaneseVowels_TRAIN.ts", sequences, labels)
    task = get_task("vowels")
    splits = task.load_splits(tmp_path)
    assert splits.info["sizes"]["test"] == 9 and sum(splits.info["sizes"].values()) == 30
    assert sorted(splits.test.labels) == ["1", "1", "1", "2", "2", "2", "3", "3", "3"]
    again = task.load_splits(tmp_path / "JapaneseVowels_TRAIN.ts", splits.info)
    assert again.info["test_fingerprint"] == splits.info["test_fingerprint"]
    with pytest.raises(DataError, match=r"JapaneseVowels_TRAIN\.ts"):
        task.load_splits(tmp_path / "elsewhere")
