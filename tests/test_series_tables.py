"""Series as people store them: a long table (file or DataFrame) and an index of CSVs of frames.

Sine and square waves of different lengths, written in tmp_path as a long table (rows
shuffled, so the reader must order them by time), as a DataFrame in memory, and as one
CSV of frames per wave listed in an index table. The readers must give back the very
waves, and every mistake must be one line naming the series, row or column.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import seqclf
from seqclf import Predictor
from seqclf.cli import app
from seqclf.data.frames import read_frames_csv
from seqclf.data.series import read_series
from seqclf.data.series_tables import from_long_frame
from seqclf.errors import ConfigError, DataError
from seqclf.tasks import get_task

runner = CliRunner()
# one small network, taught fast: the waves are told apart in ten epochs
FAST = {"hidden_size": 16, "ensemble": 1, "lr": 0.02, "epochs": 10}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def wave(kind: str, steps: int, phase: float) -> np.ndarray:
    """A ``(steps, 2)`` wave: a sine or a square wave (period 8) and its level shifted by 1."""
    t = np.arange(steps)
    shape = np.sin(2 * np.pi * t / 8 + phase)
    values = shape if kind == "sine" else np.sign(shape + 1e-9)
    return np.stack([values, values + 1], axis=1).astype(np.float32)


def waves(per_class: int, seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    """Sine and square waves of 12-30 steps, alternating."""
    rng = np.random.default_rng(seed)
    labels = ["sine" if i % 2 else "square" for i in range(2 * per_class)]
    series = [wave(label, int(rng.integers(12, 31)), rng.uniform(0, 6)) for label in labels]
    return series, labels


def long_frame(series: list[np.ndarray], labels: list[str], seed: int = 0, prefix: str = "w") -> pd.DataFrame:
    """One row per time step, rows shuffled; times 0.5 apart, so ``10`` before ``2`` as text."""
    frame = pd.DataFrame(
        [
            {"series_id": f"{prefix}{i}", "time": 0.5 * t, "value": row[0], "value2": row[1], "label": label}
            for i, (case, label) in enumerate(zip(series, labels, strict=True))
            for t, row in enumerate(case)
        ]
    )
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_csv(path, index=False, sep="\t" if path.suffix == ".tsv" else ",")
    return path


def in_first_row_order(frame: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(frame["series_id"]))


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".tsv", ".jsonl"])
def test_a_long_table_gives_each_series_in_time_order(tmp_path: Path, suffix: str) -> None:
    series, labels = waves(4)
    frame = long_frame(series, labels)
    examples = read_series(write(frame, tmp_path / f"long{suffix}"))
    order = [int(name[1:]) for name in in_first_row_order(frame)]  # series in the order of their first row
    assert examples.labels == [labels[i] for i in order]
    assert [len(case) for case in examples.inputs] == [len(series[i]) for i in order]  # lengths differ
    assert len({len(case) for case in examples.inputs}) > 1
    for case, i in zip(examples.inputs, order, strict=True):
        np.testing.assert_allclose(case, series[i], atol=1e-6)


def test_a_dataframe_reads_as_its_file_does(tmp_path: Path) -> None:
    series, labels = waves(3)
    frame = long_frame(series, labels)
    from_file = read_series(write(frame, tmp_path / "long.csv"))
    in_memory = from_long_frame(frame)
    assert in_memory.labels == from_file.labels
    for a, b in zip(in_memory.inputs, from_file.inputs, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_columns_are_named_and_dates_order_the_steps(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "subject": ["b", "a", "b", "a", "b", "a"],
            "at": [
                "2024-01-01T10:00:02",
                "2024-01-01T10:00:01",
                "2024-01-01T09:59:59",
                "2024-01-01T10:00:00",
                "2024-01-01T10:00:00",
                "2023-12-31T23:00:00",
            ],
            "x": [3.0, 30.0, 1.0, 20.0, 2.0, 10.0],
            "noise": ["n"] * 6,  # not a channel: --channels leaves it out
            "class": ["up", "down", "up", "down", "up", "down"],
        }
    )
    options = {"id_column": "subject", "time_column": "at", "label_column": "class", "channels": "x"}
    examples = read_series(write(frame, tmp_path / "t.csv"), options=options)
    assert examples.labels == ["up", "down"]
    np.testing.assert_allclose(examples.inputs[0].ravel(), [1, 2, 3])
    np.testing.assert_allclose(examples.inputs[1].ravel(), [10, 20, 30])
    dates = frame.assign(at=pd.to_datetime(frame["at"]))  # a DataFrame's datetime column, as it is
    in_memory = from_long_frame(
        dates, id_column="subject", time_column="at", label_column="class", channels=["x"]
    )
    np.testing.assert_allclose(in_memory.inputs[1].ravel(), [10, 20, 30])


def test_a_missing_value_is_filled_along_time(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": [1, 1, 1, 1, 2, 2, 2],
            "time": [3, 0, 2, 1, 0, 1, 2],
            "value": [4.0, 1.0, np.nan, 2.0, 5.0, 5.0, 5.0],
            "label": [0, 0, 0, 0, 1, 1, 1],
        }
    )
    examples = read_series(write(frame, tmp_path / "gap.csv"))
    np.testing.assert_allclose(examples.inputs[0].ravel(), [1, 2, 3, 4])  # step 2 interpolated
    assert examples.labels == ["0", "1"]


def test_a_csv_keeps_the_spelling_of_ids_and_labels_and_its_own_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,time,value,label\n007,0,1,01\n007,1,2,01\n7,0,3,1\n7,1,4,1\n")
    examples = read_series(tmp_path / "t.csv")
    assert examples.labels == ["01", "1"] and [c.ravel().tolist() for c in examples.inputs] == [
        [1, 2],
        [3, 4],
    ]
    (tmp_path / "ragged.csv").write_text("id,time,value,label\na,0,1,x\na,1,2,x,extra\n")
    with pytest.raises(
        DataError, match=r"ragged\.csv is not a readable csv table: .*Expected 4 fields in line 3"
    ):
        read_series(tmp_path / "ragged.csv")
    (tmp_path / "latin.csv").write_bytes("id,time,value,label\na,0,1,M\xfcller\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin\.csv is not UTF-8 text"):
        read_series(tmp_path / "latin.csv")


def _table(**changes: object) -> pd.DataFrame:
    """Two series of three steps; ``changes`` replace whole columns."""
    base = {
        "series_id": ["a", "a", "a", "b", "b", "b"],
        "time": [0, 1, 2, 0, 1, 2],
        "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "label": ["x", "x", "x", "y", "y", "y"],
    }
    return pd.DataFrame({**base, **changes})


BAD_TABLES = [
    (
        _table().rename(columns={"series_id": "sid"}),
        {},
        r" has no series id column 'series_id' or 'id' \(its columns: 'sid', 'time', 'value', 'label'\); "
        r"name it with --id-column$",
    ),
    (
        _table().drop(columns="time"),
        {},
        r" has no time column 'time' or 'timestamp' .*name it with --time-column$",
    ),
    (_table(), {"label_column": "class"}, r" has no label column 'class' .*name it with --label-column$"),
    (
        _table(),
        {"channels": "value,speed"},
        r" has no channel column 'speed' .*list the channels with --channels$",
    ),
    (
        _table(value=["1", "2", "3", "4", "fast", "6"]),
        {},
        r", row 5 \(series 'b'\): the 'value' value is not a number; leave a missing value empty, "
        "or list the channel columns with --channels$",
    ),
    (
        _table(note=["ok"] * 6),  # a column of words is a channel unless --channels says otherwise
        {},
        r", row 1 \(series 'a'\): the 'note' value is not a number",
    ),
    (
        _table(time=["0", "1", "2", "0", "soon", "2"]),
        {},
        r", row 5 \(series 'b'\): the 'time' value is neither a number nor an ISO 8601 date; give every time",
    ),
    (
        _table(time=[0, 1, 2, 0, float("inf"), 2]),
        {},
        r", row 5 \(series 'b'\): the 'time' value is inf; give every time as a finite number or an ISO 8601",
    ),
    (
        _table(time=["0", "1", "2", "-inf", "1", "2"]),  # as a CSV reads it: text that is a number
        {},
        r", row 4 \(series 'b'\): the 'time' value is -inf; give every time as a finite number",
    ),
    (
        _table(time=["0", "1", "2", "0", "2024-01-01", "2"]),
        {},
        r", row 5 \(series 'b'\): the 'time' value is a date where the first row's is a number",
    ),
    (
        _table(time=[0, 1, 1, 0, 1, 2]),
        {},
        r": series 'a' has two rows at 'time' 1 \(rows 2 and 3\); give each time step one row$",
    ),
    (
        _table(label=["x", "x", "x", "y", "z", "y"]),
        {},
        r": series 'b' has the labels 'y' \(row \d\) and 'z' \(row \d\); a series has one label",
    ),
    (_table(label=["x", "x", "x", "y", None, "y"]), {}, r", row 5 \(series 'b'\): the label is missing"),
    (_table(label=["x", "x", "x", "y", "  ", "y"]), {}, r", row 5 \(series 'b'\): the label is empty"),
    (_table(series_id=["a", "a", None, "b", "b", "b"]), {}, r", row 3: the series id is missing"),
    (_table(time=[0, 1, 2, 0, None, 2]), {}, r", row 5 \(series 'b'\): the 'time' value is missing"),
    (_table(value=[1.0, 2.0, 3.0, 4.0, np.inf, 6.0]), {}, r": series 'b' has infinite values$"),
    (_table(value=[1.0, 2.0, 3.0, None, None, None]), {}, r": series 'b' has no values \(all missing\)$"),
    (_table().iloc[:0], {}, r" has no rows$"),
    (
        _table()[["series_id", "time", "label"]],
        {},
        r" has no value columns besides 'series_id', 'time', 'label'",
    ),
]


@pytest.mark.parametrize(("frame", "options", "message"), BAD_TABLES)
def test_a_bad_long_table_is_one_line_naming_where(tmp_path: Path, frame, options, message) -> None:
    path = write(frame, tmp_path / "bad.parquet")  # Parquet keeps the types the cases give
    with pytest.raises(DataError, match=re.escape(str(path)) + message) as refused:
        read_series(path, options=options)
    assert "\n" not in str(refused.value)


def test_a_dataframe_s_mistakes_name_fit_s_keywords(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"^the DataFrame has no series id column .*name it with id_column=$"):
        from_long_frame(_table().rename(columns={"series_id": "sid"}))
    with pytest.raises(DataError, match=r" has no label column 'class' .*name it with labels=$"):
        from_long_frame(_table(), label_column="class")
    with pytest.raises(ConfigError, match=r"labels names its label column \(e\.g\. 'label'\), not a list"):
        seqclf.fit("series", _table(), ["x", "y"], tmp_path / "m")
    with pytest.raises(ConfigError, match="a DataFrame is read as a long table of series; for text"):
        seqclf.fit("text", _table(), "label", tmp_path / "m")
    with pytest.raises(DataError, match=r"^the test data \(a DataFrame\), row 5 \(series 'b'\): the 'value'"):
        seqclf.fit(
            "series", _table(), "label", tmp_path / "m", test=(_table(value=[1, 2, 3, 4, "?", 6]), "label")
        )
    assert not (tmp_path / "m").exists()


def test_the_column_flags_are_refused_for_an_archive(tmp_path: Path) -> None:
    np.savez(tmp_path / "w.npz", X=np.zeros((2, 5, 1)), y=np.array(["a", "b"]))
    with pytest.raises(
        DataError, match=r"^w\.npz is a \.npz archive, not a table: --channels name\(s\) a table's columns$"
    ):
        read_series(tmp_path / "w.npz", options={"channels": "value", "patch": 2})


def test_an_unknown_file_lists_the_tables_too(tmp_path: Path) -> None:
    (tmp_path / "waves.xlsx").write_bytes(b"PK")
    with pytest.raises(
        DataError, match=r"from \.ts, \.arff, \.npz, \.csv, \.tsv, \.jsonl, \.json or \.parquet files"
    ):
        read_series(tmp_path / "waves.xlsx")


def write_frame_files(root: Path, series: list[np.ndarray], labels: list[str], header: bool = True) -> Path:
    """``root/index.csv`` listing ``root/frames/<i>.csv``, one CSV of frames per series."""
    (root / "frames").mkdir(parents=True)
    rows = []
    for i, case in enumerate(series):
        pd.DataFrame(case, columns=["value", "value2"]).to_csv(
            root / "frames" / f"{i}.csv", index=False, header=header
        )
        rows.append({"path": f"frames/{i}.csv", "label": labels[i]})
    return write(pd.DataFrame(rows), root / "index.csv")


def test_an_index_of_frame_files_reads_each_file_as_a_series(tmp_path: Path) -> None:
    series, labels = waves(3)
    examples = read_series(write_frame_files(tmp_path, series, labels))
    assert examples.labels == labels
    for case, expected in zip(examples.inputs, series, strict=True):
        np.testing.assert_allclose(case, expected, atol=1e-6)
    # a CSV of frames with or without a header row of channel names reads the same
    headless = tmp_path / "frames" / "plain.csv"
    pd.DataFrame(series[0]).to_csv(headless, index=False, header=False)
    np.testing.assert_allclose(read_frames_csv(headless), read_frames_csv(tmp_path / "frames" / "0.csv"))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/etc/hostname", r"'/etc/hostname' is an absolute path; give paths relative to the folder "),
        ("../secret.csv", r"'\.\./secret\.csv' leads out of the folder "),
        ("frames/../../secret.csv", r"'frames/\.\./\.\./secret\.csv' leads out of the folder "),
        ("link.csv", r"'link\.csv' leads out of the folder "),  # a link to a file outside
        ("frames/9.csv", r"no CSV file of frames at '.*frames/9\.csv'"),
    ],
)
def test_an_index_reads_only_files_inside_its_folder(tmp_path: Path, name: str, message: str) -> None:
    series, labels = waves(2)
    index = write_frame_files(tmp_path / "data", series, labels)
    outside = tmp_path / "secret.csv"
    outside.write_text("1,2\n3,4\n")
    os.symlink(outside, tmp_path / "data" / "link.csv")
    rows = pd.read_csv(index)
    rows.loc[2, "path"] = name
    write(rows, index)
    with pytest.raises(DataError, match=re.escape(f"{index}, row 3: ") + message) as refused:
        read_series(index)
    assert "\n" not in str(refused.value)


def test_an_index_refuses_the_flags_of_a_long_table(tmp_path: Path) -> None:
    index = write_frame_files(tmp_path, *waves(2))
    with pytest.raises(
        DataError, match=r"lists CSVs of frames .*: --time-column name\(s\) the columns of a long table"
    ):
        read_series(index, options={"time_column": "t"})


def test_a_test_file_and_the_column_flags_are_recorded_so_the_split_is_rebuilt(tmp_path: Path) -> None:
    series, labels = waves(6)
    frame = long_frame(series, labels).rename(columns={"series_id": "wave", "label": "kind"})
    data = write(frame, tmp_path / "train.parquet")
    test = write(
        long_frame(*waves(3, seed=1), prefix="t").rename(columns={"series_id": "wave", "label": "kind"}),
        tmp_path / "test.csv",
    )
    options = {"id_column": "wave", "label_column": "kind", "channels": "value", "test_file": str(test)}
    task = get_task("series")
    splits = task.load_splits(data, options)
    assert len(splits.test) == 6 and splits.test.inputs[0].shape[1] == 1  # the test file's, one channel
    assert {k: splits.info[k] for k in ("id_column", "label_column", "channels")} == {
        "id_column": "wave",
        "label_column": "kind",
        "channels": "value",
    }
    again = task.load_splits(data, splits.info)  # what seqclf evaluate does with the record
    assert again.info["test_fingerprint"] == splits.info["test_fingerprint"]
    assert [len(c) for c in again.train.inputs] == [len(c) for c in splits.train.inputs]


@pytest.mark.slow  # two short runs and an evaluate (about 20 s on 2 cores)
def test_train_series_from_a_long_table_learns_and_evaluate_rebuilds_it(tmp_path: Path) -> None:
    series, labels = waves(12)
    frame = long_frame(series, labels).rename(columns={"series_id": "wave"})
    data = write(frame, tmp_path / "waves.csv")
    out = tmp_path / "m"
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in FAST.items()] + ["--no-baseline"]
    result = runner.invoke(
        app, ["train", "series", "--data", str(data), "--out", str(out), "--id-column", "wave", *flags]
    )
    assert result.exit_code == 0, result.output
    training = json.loads((out / "config.json").read_text())["training"]
    assert training["split"]["id_column"] == "wave" and training["metrics"]["test"][
        "accuracy"
    ] == pytest.approx(1.0)
    predictor = Predictor.from_pretrained(out)
    unseen, kinds = waves(5, seed=7)
    assert [p[0]["label"] for p in predictor.predict(unseen)] == kinds
    evaluated = runner.invoke(app, ["evaluate", str(out), "--data", str(data), "--json", "--no-baseline"])
    assert evaluated.exit_code == 0 and "differs" not in evaluated.output, evaluated.output
    assert json.loads(evaluated.stdout)["accuracy"] == pytest.approx(1.0)
    # the same waves as a DataFrame in memory, through seqclf.fit
    in_memory = seqclf.fit(
        "series",
        frame,
        "label",
        tmp_path / "f",
        id_column="wave",
        baseline=False,
        log=lambda _: None,
        **FAST,
    )
    assert [p[0]["label"] for p in in_memory.predict(unseen)] == kinds
