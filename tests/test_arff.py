"""Weka ``.arff`` time series (the UEA/UCR archives' other format) read like the same ``.ts``.

Each test writes its own small files: univariate and multivariate (relational) layouts,
unequal lengths padded with ``?`` as the archives pad them, missing values, quoted labels,
comments and mixed-case keywords. The arrays must equal what ``read_ts`` reads from the
same values written as ``.ts``; bad files are one :class:`DataError` naming the line; and
``seqclf train series`` trains on an ``.arff`` whose model ``seqclf predict`` then serves.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from seqclf.cli import app
from seqclf.data.arff import read_arff
from seqclf.data.series import SERIES_SUFFIXES, read_series
from seqclf.data.uea import read_ts
from seqclf.errors import DataError

runner = CliRunner()
Case = list[list[str]]  # channels of value strings, "?" for a missing value


def random_cases(rng: np.random.Generator, n: int, channels: int, missing: bool = True) -> list[Case]:
    cases = []
    for _ in range(n):
        steps = int(rng.integers(3, 9))
        case = [[f"{v:.6g}" for v in rng.standard_normal(steps)] for _ in range(channels)]
        if missing:  # anywhere but the last step of channel 0: '?' in every channel there is padding
            for number, channel in enumerate(case):
                channel[int(rng.integers(steps - (number == 0)))] = "?"
        cases.append(case)
    return cases


def write_ts(path: Path, cases: list[Case], labels: list[str]) -> Path:
    header = [
        "@problemName Same",
        "@missing true",
        f"@dimensions {len(cases[0])}",
        f"@classLabel true {' '.join(sorted(set(labels)))}",
        "@data",
    ]
    rows = [
        ":".join(",".join(c) for c in case) + f":{label}" for case, label in zip(cases, labels, strict=True)
    ]
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    return path


def write_arff(
    path: Path, cases: list[Case], labels: list[str] | None, multivariate: bool, classes: str | None = None
) -> Path:
    """The archives' layout, shorter cases padded with '?' to the longest; labels quoted."""
    steps = max(len(c[0]) for c in cases)
    padded = [[channel + ["?"] * (steps - len(channel)) for channel in case] for case in cases]
    lines = ["% written by test_arff", "@Relation Same", ""]
    if multivariate:
        lines += ["@ATTRIBUTE relationalAtt RELATIONAL"]
        lines += [f"@attribute t{i} Numeric" for i in range(steps)] + ["@end relationalAtt"]
        rows = ["'" + "\\n".join(",".join(channel) for channel in case) + "'" for case in padded]
    else:
        lines += [f"@attribute 'att {i}' real" for i in range(steps)]
        rows = [",".join(case[0]) for case in padded]
    if labels is not None:
        lines.append(f"@attribute target {{{classes or ','.join(sorted(set(labels)))}}}")
        rows = [f'{row},"{label}"' for row, label in zip(rows, labels, strict=True)]
    lines += ["", "@DATA", "% the cases", *rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_same(got, expected) -> None:
    assert got.labels == expected.labels
    assert len(got.inputs) == len(expected.inputs)
    for a, b in zip(got.inputs, expected.inputs, strict=True):
        assert a.dtype == np.float32 and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("multivariate", "channels"), [(False, 1), (True, 3)])
def test_arff_reads_exactly_what_the_same_ts_reads(tmp_path: Path, multivariate: bool, channels: int) -> None:
    cases = random_cases(np.random.default_rng(channels), 12, channels)
    labels = [("up", "down", "left")[i % 3] for i in range(12)]
    arff = write_arff(tmp_path / "x.arff", cases, labels, multivariate)
    ts = read_ts(write_ts(tmp_path / "x.ts", cases, labels))
    assert len({len(x) for x in ts.inputs}) > 1  # unequal lengths, padded in the .arff
    assert_same(read_arff(arff), ts)
    assert_same(read_series(arff), ts)
    assert ts.inputs[0].shape[1] == channels and not any(np.isnan(x).any() for x in ts.inputs)


def test_a_known_case_and_its_fill(tmp_path: Path) -> None:
    path = tmp_path / "k.arff"
    path.write_text(
        "@relation k\n@attribute series relational\n@attribute a numeric\n@attribute b numeric\n"
        "@attribute c numeric\n@attribute d numeric\n@end series\n@attribute class {'x y',z}\n@data\n"
        "'1,?,3,?\\n?,2,?,4','x y'\n'5,6,?,?\\n7,8,?,?',z\n"
    )
    examples = read_arff(path)
    assert examples.labels == ["x y", "z"]
    np.testing.assert_array_equal(examples.inputs[0], [[1, 2], [2, 2], [3, 3], [3, 4]])
    np.testing.assert_array_equal(examples.inputs[1], [[5, 7], [6, 8]])  # trailing '?' steps: padding


def test_unlabelled_files_read_for_prediction_only(tmp_path: Path) -> None:
    cases = random_cases(np.random.default_rng(5), 4, 2, missing=False)
    path = write_arff(tmp_path / "u.arff", cases, None, multivariate=True)
    with pytest.raises(DataError, match=r"u\.arff: no class attribute; seqclf needs labelled cases"):
        read_series(path)
    examples = read_series(path, require_labels=False)
    assert examples.labels == [""] * 4 and [x.shape for x in examples.inputs] == [
        (len(c[0]), 2) for c in cases
    ]
    unknown = tmp_path / "q.arff"
    unknown.write_text("@relation q\n@attribute a numeric\n@attribute c {x,y}\n@data\n1,?\n2,x\n")
    assert read_arff(unknown, require_labels=False).labels == ["", "x"]
    with pytest.raises(DataError, match=r"q\.arff:5: label '\?' is not in"):
        read_arff(unknown)


UNIVARIATE = "@relation b\n@attribute a1 numeric\n@attribute a2 numeric\n@attribute c {x,y}\n@data\n"
MULTIVARIATE = (
    "@relation b\n@attribute r relational\n@attribute t1 numeric\n@end r\n@attribute c {x,y}\n@data\n"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (UNIVARIATE + "1,2,x\n?,?,y\n", r"b\.arff:7: every value is missing"),
        (MULTIVARIATE + "'1,2\\n?,?',x\n'?\\n?',y\n", r"b\.arff:8: every value is missing"),
        (UNIVARIATE + "1,inf,x\n", r"b\.arff:6: infinite values"),
        (UNIVARIATE + "1,2,x\n1,2,'w'\n", r"b\.arff:7: label 'w' is not in the class values \['x', 'y'\]"),
        (UNIVARIATE + "1,two,x\n", r"b\.arff:6: not a number .*write a missing value as '\?'"),
        (UNIVARIATE + "1,2,3,x\n", r"b\.arff:6: 4 value\(s\); the header declares 3"),
        (MULTIVARIATE + "'1,2\\n3',x\n", r"b\.arff:7: the channels have different lengths \[1, 2\]"),
        (MULTIVARIATE + "'1,2\\n3,4',x\n'1,2',y\n", r"b\.arff:8: 1 channel\(s\); the first case has 2"),
        (MULTIVARIATE + "'1,2,x\n", r"b\.arff:7: unclosed ' quote"),
        (UNIVARIATE.replace("a2 numeric", "a2 string") + "1,s,x\n", r"b\.arff:3: attribute 'a2' is 'string'"),
        (UNIVARIATE.replace("@data\n", ""), r"b\.arff has no @data line"),
        (UNIVARIATE, r"b\.arff has no cases after @data"),
        (UNIVARIATE + "{0 1, 2 x}\n", r"b\.arff:6: sparse ARFF rows are not supported"),
        (
            MULTIVARIATE.replace("@end r\n@attribute c {x,y}\n", ""),
            r"b\.arff: the relational attribute 'r' has no @end r",
        ),
    ],
)
def test_bad_files_name_the_line_and_what_to_do(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "b.arff").write_text(text)
    with pytest.raises(DataError, match=message):
        read_series(tmp_path / "b.arff")


def test_arff_is_a_series_suffix_and_others_are_refused(tmp_path: Path) -> None:
    assert ".arff" in SERIES_SUFFIXES
    (tmp_path / "d.mat").write_bytes(b"MATLAB")
    with pytest.raises(DataError, match=r"d\.mat: seqclf reads time series from \.ts, \.arff, \.npz, \.csv"):
        read_series(tmp_path / "d.mat")


def separated_cases(rng: np.random.Generator, n: int) -> tuple[list[Case], list[str]]:
    """Two channels: channel 0 sits near +2 and rises for class a, near -2 and falls for b; 1 is noise."""
    cases, labels = [], []
    for i in range(n):
        label, steps = "ab"[i % 2], int(rng.integers(8, 15))
        sign = 1 if label == "a" else -1
        level = sign * (2 + np.linspace(0, 1, steps)) + 0.5 * rng.standard_normal(steps)
        values = np.stack([level, rng.standard_normal(steps)])
        cases.append([[f"{v:.4f}" for v in channel] for channel in values])
        labels.append(label)
    return cases, labels


@pytest.mark.slow  # a whole training run: CI runs it, the edit loop leaves it out
def test_train_series_on_an_arff_and_predict_another(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    train, train_labels = separated_cases(rng, 60)
    test, test_labels = separated_cases(rng, 20)
    data = write_arff(tmp_path / "train.arff", train, train_labels, multivariate=True)
    out = tmp_path / "m"
    # a tiny model; a high rate without warm-up so that two epochs learn with a margin
    tiny = (
        "--hidden-size 8 --embedding-dim 8 --batch-size 8 --epochs 2 --lr 0.03 --warmup-epochs 0 --device cpu "
        "--ensemble 1"
    )
    result = runner.invoke(app, ["train", "series", "--data", str(data), "--out", str(out), *tiny.split()])
    assert result.exit_code == 0, result.output
    assert (out / "config.json").is_file()
    source = write_arff(tmp_path / "test.arff", test, test_labels, multivariate=True)
    result = runner.invoke(app, ["predict", str(out), "--input", str(source), "--top-k", "1"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["input"] for line in lines] == [f"{source}#{i}" for i in range(len(test))]
    predicted = [line["predictions"][0]["label"] for line in lines]
    accuracy = np.mean([p == y for p, y in zip(predicted, test_labels, strict=True)])
    assert accuracy >= 0.9, (predicted, test_labels)  # chance is 0.5
    assert np.mean([line["predictions"][0]["score"] for line in lines]) > 0.7  # confident, not uniform
