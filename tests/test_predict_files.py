"""``seqclf predict --input``: every input of a file, folder, glob or stdin, each answer the library's.

Each test compares the command's lines with :meth:`Predictor.predict` on the same inputs,
on trained models whose answers are far from uniform (the tiny names model, and the
shipped digits and vowels models).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from tiny_model import TrainedModel
from tolerances import assert_same_prediction_lists
from typer.testing import CliRunner

from seqclf import Predictor
from seqclf.data.frames import read_frames_csv

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["Kamuramoto", "Ivanolenko", "Gonzalez", "Wilharford", "Shinomura"]  # the synthetic languages
runner = CliRunner()


def predict(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    from seqclf.cli import app

    result = runner.invoke(app, ["predict", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def names(tiny_names: TrainedModel) -> tuple[str, Predictor]:
    predictor = Predictor.from_pretrained(tiny_names.folder, device="cpu")
    top = predictor.predict(NAMES, top_k=1)
    # not a uniform model: it knows each synthetic language (four labels, chance 0.25)
    assert [p[0]["label"] for p in top] == ["Alpha", "Beta", "Gamma", "Delta", "Alpha"]
    assert min(p[0]["score"] for p in top) > 0.5
    return str(tiny_names.folder), predictor


def test_a_text_file_is_read_line_by_line(names, tmp_path: Path) -> None:
    folder, predictor = names
    source = tmp_path / "names.txt"
    source.write_text("\n".join(NAMES), encoding="utf-8")
    code, out, _ = predict(folder, "--input", str(source), "--top-k", "3")
    assert code == 0
    lines = jsonl(out)
    assert [line["input"] for line in lines] == NAMES
    assert_same_prediction_lists([line["predictions"] for line in lines], predictor.predict(NAMES, top_k=3))


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_blank_line_gets_its_own_error_line_so_the_output_stays_aligned(
    names, tmp_path: Path, fmt: str
) -> None:
    """40 lines, 5 of them blank: 40 output lines, the Nth answering the Nth, and exit code 1."""
    folder, predictor = names
    rows = [NAMES[i % len(NAMES)] for i in range(35)]
    blank = {2, 9, 10, 23, 39}  # 0-based; two in a row and the last line
    it = iter(rows)
    given = ["  " if i == 23 else "" if i in blank else next(it) for i in range(40)]
    source = tmp_path / "names.txt"
    source.write_text("\n".join(given) + "\n", encoding="utf-8")
    code, out, err = predict(folder, "--input", str(source), "--format", fmt, "--top-k", "1")
    assert code == 1 and "5 input(s) could not be classified" in err
    if fmt == "jsonl":
        lines = jsonl(out)
    else:
        lines = [
            {"input": r["input"], **({"error": r["error"]} if r["error"] else {"label": r["label"]})}
            for r in csv.DictReader(io.StringIO(out))
        ]
    assert len(lines) == 40
    for i, line in enumerate(lines):
        if i in blank:
            assert line == {"input": f"{source}:{i + 1}", "error": f"line {i + 1}: the line is blank"}
        else:
            assert line["input"] == given[i] and "error" not in line
    top = [p[0]["label"] for p in predictor.predict(rows, top_k=1)]
    answered = [
        line["predictions"][0]["label"] if fmt == "jsonl" else line["label"]
        for line in lines
        if "error" not in line
    ]
    assert answered == top


def test_a_blank_line_on_stdin_is_reported_too(names) -> None:
    folder, predictor = names
    code, out, _ = predict(folder, "-", "--top-k", "1", stdin=f"{NAMES[0]}\n\n{NAMES[1]}\n")
    lines = jsonl(out)
    assert code == 1 and lines[1] == {"input": "stdin:2", "error": "line 2: the line is blank"}
    assert_same_prediction_lists(
        [lines[0]["predictions"], lines[2]["predictions"]], predictor.predict(NAMES[:2], top_k=1)
    )


@pytest.mark.parametrize("how", [["--input", "-"], ["-"]])
def test_stdin_is_read_with_a_dash(names, how: list[str]) -> None:
    folder, predictor = names
    code, out, _ = predict(folder, *how, "--top-k", "1", stdin="\n".join(NAMES) + "\n")
    assert code == 0
    assert_same_prediction_lists(
        [line["predictions"] for line in jsonl(out)], predictor.predict(NAMES, top_k=1)
    )


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_table_column_is_read_and_a_bad_row_is_reported_on_its_line(
    names, tmp_path: Path, suffix: str
) -> None:
    folder, predictor = names
    rows = [{"id": i, "surname": name} for i, name in enumerate(NAMES)]
    rows.insert(2, {"id": 99, "surname": ""})
    source = tmp_path / f"names{suffix}"
    if suffix == ".csv":
        with source.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, ["id", "surname"])
            writer.writeheader()
            writer.writerows(rows)
    else:
        source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, out, err = predict(folder, "--input", str(source), "--column", "surname", "--top-k", "2")
    assert code == 1 and "1 input(s) could not be classified" in err
    lines = jsonl(out)
    assert len(lines) == len(NAMES) + 1
    assert lines[2] == {
        "input": f"{source}:4" if suffix == ".csv" else f"{source}:3",
        "error": lines[2]["error"],
    }
    assert "the 'surname' value is empty" in lines[2]["error"]
    good = [line for line in lines if "predictions" in line]
    assert [line["input"] for line in good] == NAMES
    assert_same_prediction_lists([line["predictions"] for line in good], predictor.predict(NAMES, top_k=2))
    code, _, err = predict(folder, "--input", str(source))
    assert code == 2 and "has no column 'text'" in err and "'surname'" in err and "--column" in err


def test_csv_output_holds_each_rank(names, tmp_path: Path) -> None:
    folder, predictor = names
    out = tmp_path / "out.csv"
    code, stdout, _ = predict(folder, "-", "-o", str(out), "--top-k", "2", stdin="\n".join(NAMES))
    assert code == 0 and stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    expected = predictor.predict(NAMES, top_k=2)
    assert [r["input"] for r in rows] == NAMES
    for row, reference in zip(rows, expected, strict=True):
        got = [{"label": row["label"], "score": float(row["score"])}]
        got.append({"label": row["label_2"], "score": float(row["score_2"])})
        # CSV keeps six significant digits
        assert [g["label"] for g in got] == [r["label"] for r in reference] or abs(
            reference[0]["score"] - reference[1]["score"]
        ) < 1e-5
        for g in got:
            match = next(r for r in reference if r["label"] == g["label"])
            assert abs(g["score"] - match["score"]) <= 1e-6 + 5e-6 * match["score"]
        assert row["error"] == ""
    code, _, err = predict(folder, "-", "-o", str(out), stdin="Smith")
    assert code == 2 and "exists" in err and "--overwrite" in err
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(NAMES) + 1  # left as it was


def test_a_file_named_as_an_argument_gets_a_warning(names, tmp_path: Path, monkeypatch) -> None:
    folder, _ = names
    monkeypatch.chdir(tmp_path)  # a short name: the model takes at most 64 characters
    Path("names.txt").write_text("Nakamura\n", encoding="utf-8")
    code, out, err = predict(folder, "names.txt")
    assert code == 0
    assert json.loads(out)[0]["input"] == "names.txt"
    assert "is a file; this classifies its name as text" in err and "--input names.txt" in err


def test_arguments_and_input_together_are_refused(names) -> None:
    folder, _ = names
    code, _, err = predict(folder, "Smith", "--input", "-")
    assert code == 2 and "not both" in err
    code, _, err = predict(folder)
    assert code == 2 and "not neither" in err


def test_an_audio_folder_with_a_broken_file_goes_on_past_it(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    shutil.copytree(ROOT / "examples" / "digits", folder / "nested")
    (folder / "broken.wav").write_bytes(b"RIFF not really a wav")
    (folder / "notes.txt").write_text("not audio", encoding="utf-8")
    model = str(ROOT / "models" / "digits")
    code, out, _ = predict(model, "--input", str(folder), "--top-k", "3")
    assert code == 1
    lines = jsonl(out)
    wavs = sorted(p.name for p in (ROOT / "examples" / "digits").glob("*.wav"))
    assert [Path(line["input"]).name for line in lines] == ["broken.wav", *wavs]
    assert "error" in lines[0] and "broken.wav" in lines[0]["input"]
    predictor = Predictor.from_pretrained(model, device="cpu")
    files = [line["input"] for line in lines[1:]]
    assert_same_prediction_lists(
        [line["predictions"] for line in lines[1:]], predictor.predict(files, top_k=3)
    )
    # the file names say the digit spoken: the shipped model gets each of them right
    assert [line["predictions"][0]["label"] for line in lines[1:]] == [Path(f).name[0] for f in files]
    code, out, err = predict(model, "--input", str(folder), "--fail-fast")
    assert code == 2 and "broken.wav" in err and "--fail-fast" in err


def test_an_npz_with_a_pickle_is_refused_before_it_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple:
            return (open, (str(marker), "w"))

    payload = np.empty(3, dtype=object)
    payload[:] = [Payload(), Payload(), Payload()]
    np.savez(tmp_path / "evil.npz", X=payload)
    code, out, err = predict(str(ROOT / "models" / "vowels"), "--input", str(tmp_path / "evil.npz"))
    assert code == 2 and out == ""
    assert not marker.exists()
    assert err.startswith("error: ") and "object array" in err and len(err.strip().splitlines()) == 1


def test_series_from_an_unlabelled_npz_and_ts_and_a_glob_of_csvs(tmp_path: Path) -> None:
    model = str(ROOT / "models" / "vowels")
    files = sorted((ROOT / "examples" / "vowels").glob("*.csv"))
    cases = [read_frames_csv(f) for f in files]
    predictor = Predictor.from_pretrained(model, device="cpu")
    expected = predictor.predict(cases, top_k=2)
    assert [p[0]["score"] > 0.5 for p in expected].count(True) >= 8  # confident, not uniform

    npz = tmp_path / "cases.npz"
    np.savez(npz, X=np.concatenate(cases), lengths=[len(c) for c in cases])
    ts = tmp_path / "cases.ts"
    body = "\n".join(":".join(",".join(f"{v:.6g}" for v in channel) for channel in case.T) for case in cases)
    ts.write_text(
        f"@problemName vowels\n@univariate false\n@dimensions {cases[0].shape[1]}\n@equalLength false\n"
        f"@classLabel false\n@data\n{body}\n",
        encoding="utf-8",
    )
    for source, names in (
        (npz, [f"{npz}#{i}" for i in range(len(cases))]),
        (str(ROOT / "examples" / "vowels" / "*.csv"), [str(f) for f in files]),
    ):
        code, out, _ = predict(model, "--input", str(source), "--top-k", "2")
        assert code == 0
        lines = jsonl(out)
        assert [line["input"] for line in lines] == names
        assert_same_prediction_lists([line["predictions"] for line in lines], expected)
    # The .ts file holds the frames to six significant digits, so its answers may differ from the
    # exact frames' by that rounding (well under 1e-3 here), not by the route.
    code, out, _ = predict(model, "--input", str(ts), "--top-k", "1")
    assert code == 0
    got = [line["predictions"][0] for line in jsonl(out)]
    assert [g["label"] for g in got] == [p[0]["label"] for p in expected]
    assert all(abs(g["score"] - p[0]["score"]) < 1e-3 for g, p in zip(got, expected, strict=True))


def test_a_missing_source_is_one_line(names) -> None:
    folder, _ = names
    code, _, err = predict(folder, "--input", "no/such/file.txt")
    assert code == 2 and err.strip() == "error: no file or folder at no/such/file.txt"


def test_a_row_with_too_many_fields_is_its_own_error_and_the_rest_carry_on(names, tmp_path: Path) -> None:
    folder, predictor = names
    source = tmp_path / "names.csv"
    source.write_text(f"surname\n{NAMES[0]}\n{NAMES[1]},extra\n{NAMES[2]}\n", encoding="utf-8")
    code, out, _ = predict(folder, "--input", str(source), "--column", "surname", "--top-k", "1")
    lines = jsonl(out)
    assert code == 1 and len(lines) == 3
    assert lines[1]["input"] == f"{source}:3" and "2 fields, but the header names 1" in lines[1]["error"]
    assert_same_prediction_lists(
        [lines[0]["predictions"], lines[2]["predictions"]], predictor.predict([NAMES[0], NAMES[2]], top_k=1)
    )


def test_fail_fast_writes_the_lines_before_the_bad_one(names, tmp_path: Path) -> None:
    folder, predictor = names
    source = tmp_path / "names.txt"
    source.write_text(f"{NAMES[0]}\n{NAMES[1]}\n\n{NAMES[2]}\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = predict(folder, "--input", str(source), "-o", str(out), "--fail-fast", "--top-k", "1")
    assert code == 2 and f"{source}:3" in err and "--fail-fast" in err
    lines = jsonl(out.read_text(encoding="utf-8"))
    assert [line["input"] for line in lines] == NAMES[:2]
    assert_same_prediction_lists(
        [line["predictions"] for line in lines], predictor.predict(NAMES[:2], top_k=1)
    )


def test_a_missing_source_writes_no_output_file(names, tmp_path: Path) -> None:
    folder, _ = names
    out = tmp_path / "out.jsonl"
    code, _, err = predict(folder, "--input", str(tmp_path / "absent.txt"), "-o", str(out))
    assert code == 2 and "no file or folder" in err and not out.exists()


def test_more_inputs_than_one_chunk_come_back_in_input_order(names, tmp_path: Path) -> None:
    """Three chunks of 16 batches of 2, the last one short, each sorted by length inside: the
    lines still answer the input lines in order."""
    folder, predictor = names
    given = [NAMES[i % len(NAMES)][: 3 + (7 * i) % 8] for i in range(2 * 16 * 2 + 7)]
    source = tmp_path / "names.txt"
    source.write_text("\n".join(given), encoding="utf-8")
    code, out, _ = predict(folder, "--input", str(source), "--batch-size", "2", "--top-k", "4")
    lines = jsonl(out)
    assert code == 0 and [line["input"] for line in lines] == given
    assert_same_prediction_lists([line["predictions"] for line in lines], predictor.predict(given, top_k=4))


@pytest.mark.slow
def test_stdin_streams_each_chunk_is_answered_before_the_input_ends(names) -> None:
    """A producer that has not finished (a pipe still open) gets the answers for what it sent:
    16 lines fill one chunk at ``--batch-size 1``, and their 16 answers arrive while stdin is open."""
    import subprocess
    import sys

    folder, predictor = names
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seqclf",
            "predict",
            folder,
            "--input",
            "-",
            "--batch-size",
            "1",
            "--top-k",
            "1",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        given = [NAMES[i % len(NAMES)] for i in range(16)]
        process.stdin.write("\n".join(given) + "\n")
        process.stdin.flush()
        received: list[dict] = []
        reader = threading.Thread(
            target=lambda: received.extend(json.loads(process.stdout.readline()) for _ in given), daemon=True
        )
        reader.start()
        reader.join(timeout=60)
        assert process.poll() is None, process.stderr.read()  # still running: stdin is open
        assert [line["input"] for line in received] == given
        assert_same_prediction_lists(
            [line["predictions"] for line in received], predictor.predict(given, top_k=1)
        )
        process.stdin.write(NAMES[0] + "\n")
        process.stdin.close()
        assert json.loads(process.stdout.readline())["input"] == NAMES[0]
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()


def test_a_source_that_fails_part_way_answers_the_inputs_before_it(names, tmp_path: Path) -> None:
    """100 good lines, then a byte that is not UTF-8: the 100 are answered (the chunks hold 32),
    and the one-line error names the line and says what was written."""
    folder, predictor = names
    given = [NAMES[i % len(NAMES)] for i in range(100)]
    source, out = tmp_path / "names.txt", tmp_path / "out.jsonl"
    source.write_bytes(("\n".join(given) + "\n").encode() + b"\xff\xfe\n" + b"Smith\n")
    code, _, err = predict(
        folder, "--input", str(source), "-o", str(out), "--batch-size", "2", "--top-k", "1"
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"{source}, line 101: not UTF-8 text" in err
    assert f"the 100 input(s) before it are answered in {out}" in err
    lines = jsonl(out.read_text(encoding="utf-8"))
    assert [line["input"] for line in lines] == given
    assert_same_prediction_lists([line["predictions"] for line in lines], predictor.predict(given, top_k=1))
