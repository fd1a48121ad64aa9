"""The generic tasks: text, audio and series from the files people have, defaults from the data.

Every test writes its own small files: CSV, TSV, JSON Lines, Parquet, a folder of
``<label>.txt``, an audiofolder with and without ``metadata.csv``, ``.ts`` with unequal
lengths and missing values, ``.npz``. Models trained from them must learn (well above
chance), record what the defaults chose, and be served by REST with the answers of
``Predictor.predict``.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from names_data import SYNTHETIC_LANGUAGES, make_names_folder
from speech_data import LABELS, clip, feature_sequence, write_ts
from tolerances import SAME_METRIC, assert_same_prediction_lists
from typer.testing import CliRunner

from seqclf import Predictor
from seqclf.cli import app
from seqclf.data.series import read_series
from seqclf.data.splits import Examples, per_class_split
from seqclf.data.tables import read_table, read_texts
from seqclf.errors import DataError
from seqclf.tasks import get_task
from seqclf.tasks.recipe import choose_recipe
from seqclf.training.run import run_training

runner = CliRunner()
# one network: the recipe gives small sets a five-network ensemble, which test_ensemble.py and
# test_small_sets_get_an_ensemble_and_say_why cover; here it would only multiply the time
FAST = {"hidden_size": 24, "embedding_dim": 16, "ensemble": 1}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def names_rows(root: Path, per_language: int = 40) -> list[tuple[str, str]]:
    folder = make_names_folder(root / "names", per_language=per_language)
    return [
        (line, path.stem)
        for path in sorted(folder.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def write_table(path: Path, rows: list[tuple[str, str]], text: str = "text", label: str = "label") -> Path:
    if path.suffix in (".csv", ".tsv"):
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter="\t" if path.suffix == ".tsv" else ",")
            writer.writerow([text, label, "extra"])
            writer.writerows([(t, y, "x") for t, y in rows])
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps({text: t, label: y}) + "\n" for t, y in rows), encoding="utf-8")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({text: [t for t, _ in rows], label: [y for _, y in rows]}), path)
    return path


def train(
    task: str, data: Path, out: Path, split: dict | None = None, description: str | None = None, **overrides
) -> object:
    return run_training(
        task,
        data,
        out,
        model={**FAST, **overrides.pop("model", {})},
        train=overrides,
        reader_options=split,
        command=f"test {task}",
        log=lambda _: None,
        description=description,
    )


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_every_table_format_reads_the_same_examples(tmp_path: Path, suffix: str) -> None:
    rows = names_rows(tmp_path, 5)
    examples = read_texts(write_table(tmp_path / f"d{suffix}", rows, "name", "lang"), "name", "lang")
    assert list(zip(examples.inputs, examples.labels, strict=True)) == rows


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_tables_are_read_as_they_are_iterated(tmp_path: Path, suffix: str) -> None:
    """A bad byte after 20,000 rows is found when the reader gets there, not when the file is
    opened (rows come one at a time, so a file of any length costs a row's memory), and the
    message names its line, though text decoders read ahead in blocks."""
    path = tmp_path / f"d{suffix}"
    row = b"ab,x\n" if suffix == ".csv" else b'{"text": "ab", "label": "x"}\n'
    path.write_bytes((b"text,label\n" if suffix == ".csv" else b"") + row * 20_000 + b"\xff\xfe\n")
    table = read_table(path)
    assert table.columns == ["text", "label"]
    assert next(table.rows) == (2 if suffix == ".csv" else 1, {"text": "ab", "label": "x"})
    bad_line = 20_002 if suffix == ".csv" else 20_001  # after the header, or without one
    with pytest.raises(DataError, match=rf"d\{suffix}, line {bad_line}: not UTF-8 text"):
        list(table.rows)


def test_parquet_rows_keep_their_numbers_across_record_batches(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"text": [f"t{i}" for i in range(20_000)], "n": list(range(20_000))}), path)
    table = read_table(path)
    assert table.columns == ["text", "n"]
    rows = list(table.rows)  # three record batches of 8192 rows
    assert [number for number, _ in rows] == list(range(1, 20_001))
    assert all(row == {"text": f"t{i}", "n": i} for i, (_, row) in enumerate(rows))


def test_a_folder_of_label_files_reads_like_the_names_layout(tmp_path: Path) -> None:
    folder = make_names_folder(tmp_path / "names", per_language=5)
    examples = read_texts(folder)
    assert sorted(set(examples.labels)) == sorted(SYNTHETIC_LANGUAGES)
    assert len(examples) == 5 * len(SYNTHETIC_LANGUAGES)


#: what the text model is for, in its trainer's words (two lines: the record keeps one)
SURNAMES = "Which made-up language\n  a surname comes from."


@pytest.fixture(scope="module")
def text_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("text")
    rows = names_rows(root, 40)
    data = write_table(root / "names.csv", rows + rows[:10])  # ten repeated rows
    train("text", data, root / "model", description=SURNAMES, epochs=15)
    return data, root / "model"


def test_text_defaults_pick_characters_for_short_strings_and_record_why(text_model) -> None:
    data, folder = text_model
    training = json.loads((folder / "config.json").read_text())["training"]
    assert training["split"]["tokens"] == "chars"
    recipe = "\n".join(training["recipe"])
    assert "tokens: chars (auto" in recipe and "10 repeated (text, label) rows dropped" in recipe
    assert "capacity: hidden size 64" in recipe  # chosen for 100-odd examples
    assert (
        training["hyperparameters"]["batch_size"] == 16
        and training["hyperparameters"]["ties"] == "lower_loss"
    )
    assert training["metrics"]["test"]["accuracy"] >= 0.25 + 0.5
    card = (folder / "README.md").read_text()
    assert "Defaults chosen from the data" in card and str(data) in card
    assert Predictor.from_pretrained(folder).predict("Kamuramoto")[0]["label"] == "Alpha"


def test_the_model_keeps_its_description_and_a_few_test_texts_for_the_demo(text_model) -> None:
    data, folder = text_model
    training = json.loads((folder / "config.json").read_text())["training"]
    assert training["description"] == "Which made-up language a surname comes from."
    card = (folder / "README.md").read_text()
    assert "# seqclf `model`: Which made-up language a surname comes from.\n" in card
    assert "Your own labelled texts" not in card  # the data's format is not what the model is for
    test_part = get_task("text").load_splits(data, training["split"]).test
    kept = training["examples"]
    assert len(kept) == 8 and len(set(kept)) == 8
    assert set(kept) <= set(test_part.inputs)  # from the test part, never a training text
    label_of = dict(zip(test_part.inputs, test_part.labels, strict=True))
    assert sorted(label_of[text] for text in kept) == sorted(
        list(SYNTHETIC_LANGUAGES) * 2
    )  # each class in turn


def test_evaluate_rebuilds_the_split_and_scores_a_whole_file(text_model) -> None:
    data, folder = text_model
    result = runner.invoke(
        app, ["evaluate", str(folder), "--data", str(data), "--json", "--plot", str(folder / "e.png")]
    )
    assert result.exit_code == 0, result.output
    card = json.loads((folder / "config.json").read_text())["training"]["metrics"]["test"]
    assert json.loads(result.stdout)["accuracy"] == pytest.approx(card["accuracy"], abs=SAME_METRIC)
    result = runner.invoke(
        app,
        [
            "evaluate",
            str(folder),
            "--data",
            str(data),
            "--split",
            "all",
            "--json",
            "--plot",
            str(folder / "a.png"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["num_examples"] == 170  # every row of the file, repeats too


@pytest.mark.slow  # a whole 30-epoch run: CI runs it; the text_model runs keep own text data in the edit loop
def test_words_for_sentences_and_a_separate_test_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    good, bad = ["great", "lovely", "superb", "fine"], ["awful", "dull", "poor", "bad"]
    filler = ["the", "film", "was", "really", "quite", "a", "story", "and"]

    def sentence(words: list[str]) -> str:
        return " ".join([*rng.choice(filler, 4), rng.choice(words), *rng.choice(filler, 3)])

    rows = [(sentence(good), "pos") for _ in range(60)] + [(sentence(bad), "neg") for _ in range(60)]
    # one test review far longer than any training sentence (and than the 256-token floor),
    # written without spaces (as code or lists are), so only the encoder's own tokens count
    # it right: the run must score it, not refuse its own test file after training
    long_review = (",".join(sentence(good).split() * 40), "pos")
    write_table(tmp_path / "train.jsonl", rows[:50] + rows[60:110])
    write_table(tmp_path / "test.jsonl", [*rows[50:59], long_review, *rows[110:]])
    pretrained = train(
        "text",
        tmp_path / "train.jsonl",
        tmp_path / "m",
        {"test_file": str(tmp_path / "test.jsonl")},
        epochs=30,
        model={"embedding_dim": 50},  # GloVe's: English words start from it
    )
    assert pretrained.training.split["tokens"] == "words"
    assert pretrained.training.split["word_vectors"] == "glove-6b-50d"
    assert pretrained.training.test["num_examples"] == 20
    assert (
        pretrained.training.split["sizes"]["train"] + pretrained.training.split["sizes"]["validation"] == 100
    )
    assert pretrained.training.test["accuracy"] >= 0.9


def test_small_data_gets_one_validation_example_per_class_instead_of_a_refusal() -> None:
    labels = [str(i % 10) for i in range(50)]
    splits = per_class_split(Examples(list(range(50)), labels), validation=0.1, test=0.2, seed=0)
    assert sorted(splits.validation.labels) == [str(i) for i in range(10)]
    assert sorted(splits.test.labels) == [str(i) for i in range(10)]
    assert len(splits.train) == 30 and set(splits.train.labels) == set(labels)
    again = per_class_split(Examples(list(range(50)), labels), validation=0.1, test=0.2, seed=0)
    assert again.test.inputs == splits.test.inputs


def test_small_sets_get_an_ensemble_and_say_why() -> None:
    def recipe_for(n: int):
        labels = [str(i % 4) for i in range(n)]
        splits = per_class_split(Examples(list(range(n)), labels), validation=0.1, test=0.2, seed=0)
        return choose_recipe(splits, "features", [20] * n, channels=3)

    small, large = recipe_for(200), recipe_for(2000)
    assert small.model["ensemble"] == 5 and large.model["ensemble"] == 1  # 140 and 1,400 to train on
    assert any(r.startswith("ensemble: 5 networks") for r in small.reasons)
    assert not any(r.startswith("ensemble") for r in large.reasons)
    # 35 per class: one validation part; 10 per class: cross-validated networks
    assert not small.train.cross_validate
    tiny = recipe_for(56)
    assert tiny.train.cross_validate and any(
        r.startswith("cross-validated: 10.0 training") for r in tiny.reasons
    )
    labels = [str(i % 4) for i in range(3000)]
    splits = per_class_split(Examples(list(range(3000)), labels), validation=0.1, test=0.2, seed=0)
    assert choose_recipe(splits, "chars", [8] * 3000).model["ensemble"] == 3
    assert choose_recipe(splits, "words", [8] * 3000).model["ensemble"] == 1


def ts_cases(rng: np.random.Generator, n: int, classes: int = 3) -> tuple[list[np.ndarray], list[str]]:
    labels = [str(1 + i % classes) for i in range(n)]
    return [feature_sequence(int(y), rng, channels=4) for y in labels], labels


@pytest.mark.slow  # a whole run; test_long_univariate_series_are_patched keeps series training in the edit loop
def test_series_from_a_ts_with_missing_values_learns(tmp_path: Path) -> None:
    sequences, labels = ts_cases(np.random.default_rng(0), 60)
    path = write_ts(tmp_path / "train.ts", sequences, labels)
    text = path.read_text().splitlines()
    text[-1] = re.sub(r"^[^,]+,[^,]+,", "?,?,", text[-1])  # two missing values in the last case
    path.write_text("\n".join(text).replace("@missing false", "@missing true") + "\n")
    pretrained = train("series", path, tmp_path / "m", epochs=20)
    assert pretrained.training.test["accuracy"] >= 1 / 3 + 0.4
    assert pretrained.encoder.patch == 1  # 4 channels of ~20 steps: no patches


@pytest.mark.slow  # trains end to end
def test_long_univariate_series_are_patched(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    cases = [np.sin(np.arange(400) / (5 + 5 * (i % 2)) + rng.uniform(0, 6))[:, None] for i in range(24)]
    np.savez(tmp_path / "long.npz", X=np.stack(cases), y=np.array([i % 2 for i in range(24)]))
    examples = read_series(tmp_path / "long.npz")
    assert examples.labels[:2] == ["0", "1"] and examples.inputs[0].shape == (400, 1)
    pretrained = train("series", tmp_path / "long.npz", tmp_path / "m", epochs=3)
    assert pretrained.encoder.patch == 7  # ceil(400 / 64)
    assert pretrained.model.config.num_features == 7
    assert any("patches: 7 steps" in r for r in pretrained.training.recipe)
    assert Predictor.from_pretrained(tmp_path / "m").encoder.encode(cases[0]).shape == (58, 7)
    task = get_task("series")
    forced = task.recipe(task.load_splits(tmp_path / "long.npz", {"patch": 1}))
    assert forced.encoder["patch"] == 1 and "patches: 1 (--patch)" in forced.reasons


def test_unequal_length_npz_end_to_end_with_lengths(tmp_path: Path) -> None:
    sequences, labels = ts_cases(np.random.default_rng(2), 6)
    lengths = [len(s) for s in sequences]
    np.savez(tmp_path / "s.npz", X=np.concatenate(sequences), lengths=lengths, y=np.array(labels))
    examples = read_series(tmp_path / "s.npz")
    assert [len(x) for x in examples.inputs] == lengths and examples.labels == labels
    for case, sequence in zip(examples.inputs, sequences, strict=True):
        np.testing.assert_array_equal(case, sequence.astype(np.float32))
    np.savez(tmp_path / "short.npz", X=np.concatenate(sequences), lengths=[*lengths[:-1], 1], y=labels)
    with pytest.raises(DataError, match=r"'lengths' adds up to \d+ steps but X has \d+"):
        read_series(tmp_path / "short.npz")


class _Payload:
    """Unpickling this opens (so creates) ``marker``: what a hostile ``.npz`` would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("key", ["X", "y"])
def test_an_npz_with_a_pickle_runs_nothing(tmp_path: Path, key: str) -> None:
    marker = tmp_path / "ran"
    payload = np.empty(2, dtype=object)
    payload[:] = [_Payload(marker), _Payload(marker)]
    arrays = {"X": np.zeros((2, 5, 1)), "y": np.array(["a", "b"]), key: payload}
    np.savez(tmp_path / "evil.npz", **arrays)
    with pytest.raises(DataError, match=f"'{key}' is an object array.*lengths=") as refused:
        read_series(tmp_path / "evil.npz")
    assert not marker.exists()
    assert "\n" not in str(refused.value)  # one line


def write_audiofolder(root: Path, with_metadata: bool, per_class: int = 12) -> Path:
    rng = np.random.default_rng(3)
    rows = []
    for label in LABELS:
        for i in range(per_class):
            rate = (8000, 16000, 44100)[i % 3]
            name = f"{label}_{i}.{('wav', 'flac', 'ogg')[i % 3]}" if with_metadata else f"{label}/{i}.wav"
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            samples = clip(label, rate, rng)
            sf.write(root / name, np.stack([samples, samples], axis=1) if i % 2 else samples, rate)
            rows.append((name, f"class-{label}"))
    if with_metadata:
        with (root / "metadata.csv").open("w", newline="") as handle:
            csv.writer(handle).writerows([("file_name", "label"), *rows])
    return root


@pytest.mark.slow  # a whole training run: CI runs it, the edit loop leaves it out
def test_an_audiofolder_with_metadata_trains_and_is_served_by_rest(tmp_path: Path) -> None:
    import httpx
    from live_server import run_app

    from seqclf.serving.app import create_app
    from seqclf.serving.settings import ServiceSettings

    data = write_audiofolder(tmp_path / "audio", with_metadata=True)
    pretrained = train("audio", data, tmp_path / "models" / "mine", epochs=12, model={"step_dropout": 0.0})
    assert pretrained.training.test["accuracy"] >= 1 / 3 + 0.4
    assert pretrained.labels == ["class-0", "class-1", "class-2"]
    wav = tmp_path / "one.wav"
    sf.write(wav, clip("1", 22050, np.random.default_rng(9)), 22050)
    expected = Predictor.from_pretrained(tmp_path / "models" / "mine").predict([str(wav)], top_k=None)
    server = run_app(create_app(ServiceSettings(models_dir=tmp_path / "models")))
    try:
        files = [("files", ("one.wav", wav.read_bytes(), "audio/wav"))]
        answer = httpx.post(f"{server.url}/v1/models/mine/predict/files", files=files, data={"top_k": "3"})
        assert answer.status_code == 200
        assert_same_prediction_lists(answer.json()["predictions"], [expected[0][:3]])
        listed = httpx.get(f"{server.url}/v1/models").json()["models"]
        assert [(m["id"], m["task"], m["input"]) for m in listed] == [("mine", "audio", "audio")]
    finally:
        server.stop()


def test_an_audiofolder_of_class_subfolders_reads_its_labels(tmp_path: Path) -> None:
    examples = get_task("audio").read(write_audiofolder(tmp_path / "a", with_metadata=False, per_class=2))
    assert examples.labels == ["0", "0", "1", "1", "2", "2"]


@pytest.mark.parametrize(
    ("task", "make", "message"),
    [
        (
            "text",
            lambda p: write_table(p / "d.csv", [("a", "x")] * 3, "name", "lang"),
            r"no column 'text' \(its columns: 'name', 'lang', 'extra'\)",
        ),
        (
            "text",
            lambda p: write_table(p / "d.csv", [("ab", "x"), ("cd", "x"), ("ef", "x")]),
            "every example has the label 'x'",
        ),
        (
            "text",
            lambda p: write_table(p / "d.csv", [("ab", "x"), ("cd", "x"), ("ef", "y")]),
            r"class\(es\) 'y' have one example",
        ),
        (
            "text",  # two per class: nothing left to test on, said before any training
            lambda p: write_table(p / "d.csv", [("ab", "x"), ("cd", "x"), ("ef", "y"), ("gh", "y")]),
            r"4 examples in 2 classes leave none to test on: a class needs three",
        ),
        ("text", lambda p: (p / "d.xlsx").write_bytes(b"PK"), "reads texts from .csv"),
        (
            "text",
            lambda p: (p / "d.csv").write_text("text,label\nab,x\ncd,x\nfoo,bar,b\n"),
            r"d\.csv, line 4: 3 fields, but the header names 2",
        ),
        (
            "text",
            lambda p: (p / "d.csv").write_text("text,label\nab,x\n" + "a" * 200_000 + ",x\n"),
            r"d\.csv, line 3: field larger than field limit",
        ),
        ("audio", lambda p: (p / "empty").mkdir(), "no recordings"),
        (
            "series",
            lambda p: write_ts(p / "d.ts", [np.zeros((3, 2)), np.zeros((3, 2))], ["a", "b"]).write_text(
                (p / "d.ts").read_text().replace("0.000000:b", "0.000000:0,0,0:b")
            ),
            r"d\.ts:11: 3 dimension",
        ),
        (
            "series",
            lambda p: (p / "d.mat").write_bytes(b"MATLAB"),
            r"from \.ts, \.arff, \.npz, \.csv, \.tsv, \.jsonl, \.json or \.parquet files",
        ),
        (
            "series",
            lambda p: (p / "d.csv").write_text("series_id,time,value,label\na,0,1,x\na,0,2,x\n"),
            r"d\.csv: series 'a' has two rows at 'time' 0 \(rows 1 and 2\); give each time step one row",
        ),
    ],
)
def test_bad_data_is_one_clear_line_and_no_folder(tmp_path: Path, task: str, make, message: str) -> None:
    made = make(tmp_path)
    data = made if isinstance(made, Path) else next(p for p in tmp_path.iterdir())
    result = runner.invoke(app, ["train", task, "--data", str(data), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert re.search(message, result.output), result.output
    assert not (tmp_path / "out").exists()


def test_rows_without_a_text_or_label_are_skipped_and_counted_unless_strict(tmp_path: Path) -> None:
    rows = [(f"{a}{b}", lang) for lang, a in (("x", "k"), ("y", "z")) for b in "aeiou"]
    rows[2] = ("  ", "x")
    rows[7] = ("zo", "")
    data = write_table(tmp_path / "d.csv", rows)
    logs: list[str] = []
    pretrained = run_training(
        "text",
        data,
        tmp_path / "m",
        model={"ensemble": 1},
        train={"epochs": 1},
        command="test",
        log=logs.append,
    )
    assert pretrained.training.split["sizes"] == {"train": 4, "validation": 2, "test": 2}  # 8 of 10 rows
    assert "warning: 2 skipped, first " in "\n".join(logs)
    assert (
        f"{data}, line 4: the 'text' value is empty; {data}, line 9: the 'label' value is empty"
        in "\n".join(logs)
    )
    strict = runner.invoke(
        app, ["train", "text", "--data", str(data), "--out", str(tmp_path / "s"), "--strict"]
    )
    assert strict.exit_code == 2 and strict.output.strip() == (
        f"error: {data}, line 4: the 'text' value is empty (--strict)"
    )
    assert not (tmp_path / "s").exists()


def test_an_unusable_recording_is_skipped_and_named_unless_strict(tmp_path: Path) -> None:
    data = write_audiofolder(tmp_path / "audio", with_metadata=False, per_class=4)
    broken = data / "1" / "broken.wav"
    broken.write_bytes(b"RIFF not really")
    splits = get_task("audio").load_splits(data)
    assert sum(map(len, (splits.train, splits.validation, splits.test))) == 12  # the 12 readable ones
    assert splits.info["skipped"]["count"] == 1
    assert splits.info["skipped"]["first"][0].startswith(f"{broken}: ")
    result = runner.invoke(
        app, ["train", "audio", "--data", str(data), "--out", str(tmp_path / "out"), "--strict"]
    )
    assert result.exit_code == 2 and result.output.startswith(f"error: {broken}: "), result.output
    assert result.output.rstrip().endswith("(--strict)") and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_reader_options_belong_to_their_task(names_folder: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["train", "names", "--data", str(names_folder), "--out", str(tmp_path / "o"), "--text-column", "t"],
    )
    assert result.exit_code == 2 and "--text-column: not an option of the names task" in result.output
    with pytest.raises(DataError, match="not UTF-8"):
        (tmp_path / "latin.csv").write_bytes("text,label\nM\xfcller,de\n".encode("latin-1"))
        read_texts(tmp_path / "latin.csv")


@pytest.mark.slow  # two whole runs; test_fit_drops_repeated_rows_as_the_command_does keeps fit in the edit loop
def test_fit_trains_from_memory_and_returns_a_predictor(tmp_path: Path) -> None:
    import seqclf

    rows = names_rows(tmp_path, 40)
    texts, labels = [t for t, _ in rows], [y for _, y in rows]
    predictor = seqclf.fit(
        "text",
        texts[::2],
        labels[::2],
        tmp_path / "m",
        test=(texts[1::2], labels[1::2]),
        epochs=15,
        log=lambda _: None,
        **FAST,
    )
    assert predictor.predict("Kamuramoto")[0]["label"] == "Alpha"
    training = json.loads((tmp_path / "m" / "config.json").read_text())["training"]
    assert (
        training["data"]["path"] == "in memory (seqclf.fit)"
        and training["metrics"]["test"]["num_examples"] == 80
    )
    assert training["metrics"]["test"]["accuracy"] >= 0.75
    sequences, series_labels = ts_cases(np.random.default_rng(4), 30)
    series = seqclf.fit(
        "series", sequences, series_labels, tmp_path / "s", epochs=2, ensemble=1, log=lambda _: None
    )
    assert series.predict(sequences[0], top_k=None)[0]["label"] in {"1", "2", "3"}
    with pytest.raises(seqclf.ConfigError, match=r"unknown option.*hiden_size"):
        seqclf.fit("text", texts, labels, tmp_path / "x", hiden_size=3)
    with pytest.raises(seqclf.ConfigError, match="trains text, audio, series"):
        seqclf.fit("names", texts, labels, tmp_path / "x")


def test_out_is_checked_before_any_work(tmp_path: Path) -> None:
    data = write_table(tmp_path / "d.csv", names_rows(tmp_path, 5))
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    (tmp_path / "a-file").write_text("")
    for out, message in (
        (tmp_path / "taken", r"taken already holds keep\.txt: give a new --out, or --overwrite"),
        (tmp_path / "a-file", "is a file: give a folder"),
        (Path("/proc/seqclf-test/model"), "cannot write /proc/seqclf-test/model"),
    ):
        result = runner.invoke(app, ["train", "text", "--data", str(data), "--out", str(out)])
        assert result.exit_code == 2 and re.search(message, result.output), result.output
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["keep.txt"]
    result = runner.invoke(
        app,
        [
            "train",
            "text",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "taken"),
            "--overwrite",
            "--epochs",
            "1",
            "--ensemble",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "taken" / "model.safetensors").is_file() and (
        tmp_path / "taken" / "keep.txt"
    ).is_file()


def test_a_test_file_that_repeats_training_texts_is_flagged_and_found_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = names_rows(tmp_path, 20)
    write_table(tmp_path / "train.csv", rows)
    write_table(tmp_path / "test.csv", rows[:12])  # all twelve also in the training file
    monkeypatch.chdir(tmp_path)
    pretrained = train("text", Path("train.csv"), tmp_path / "m", {"test_file": "test.csv"}, epochs=1)
    assert pretrained.training.split["test_overlap"] == 12
    assert any(
        "12 of the 12 test texts are also in the training data" in r for r in pretrained.training.recipe
    )
    monkeypatch.chdir(tmp_path.parent)  # evaluate from elsewhere
    evaluate = ["evaluate", str(tmp_path / "m"), "--data", str(tmp_path / "train.csv")]
    result = runner.invoke(app, [*evaluate, "--json", "--plot", str(tmp_path / "cm.png")])
    # the model folder names its test file, but seqclf reads only the local files the user names
    assert (
        result.exit_code != 0 and "give it with --test PATH" in result.output and "test.csv" in result.output
    )
    result = runner.invoke(
        app, [*evaluate, "--test", str(tmp_path / "test.csv"), "--json", "--plot", str(tmp_path / "cm.png")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["num_examples"] == 12
    # a folder whose record points elsewhere (a Hub repo's, edited) makes seqclf read nothing there
    secret = tmp_path / "secret.csv"
    secret.write_text("text,label\nx,PASSWORD-IS-hunter2\n")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    config["training"]["split"]["test_file"] = str(secret)
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    result = runner.invoke(app, evaluate)
    assert result.exit_code != 0 and "hunter2" not in result.output and "--test PATH" in result.output


def test_fit_drops_repeated_rows_as_the_command_does(tmp_path: Path) -> None:
    import seqclf

    rows = names_rows(tmp_path, 20)
    texts, labels = [t for t, _ in rows] * 2, [y for _, y in rows] * 2
    seqclf.fit("text", texts, labels, tmp_path / "m", epochs=1, ensemble=1, log=lambda _: None)
    split = json.loads((tmp_path / "m" / "config.json").read_text())["training"]["split"]
    assert split["duplicates_dropped"] == len(rows) and sum(split["sizes"].values()) == len(rows)


def test_short_sounds_are_audio_too_but_not_digits() -> None:
    """A 70 ms burst (a drum hit) is a recording for `train audio`; a spoken digit needs 0.1 s."""
    from seqclf.audio.mfcc import SPEECH_FRONTEND, MfccExtractor
    from seqclf.errors import InvalidInputError
    from seqclf.tasks.generic import AUDIO_FRONTEND

    rng = np.random.default_rng(0)
    burst = np.zeros(8000, dtype=np.float32)
    burst[2000:2560] = rng.normal(0, 0.5, 560)  # 70 ms of noise in a second of silence
    frames, _ = MfccExtractor(AUDIO_FRONTEND).frames(burst)
    assert 3 <= len(frames) <= 6
    with pytest.raises(InvalidInputError, match=r"holds only 0\.0\d\d s of sound .* at least 0\.1 s$"):
        MfccExtractor(SPEECH_FRONTEND).frames(burst)


def test_long_series_are_patched_whatever_their_channels() -> None:
    labels = [str(i % 2) for i in range(40)]
    splits = per_class_split(Examples(list(range(40)), labels), validation=0.1, test=0.2, seed=0)
    for channels in (1, 6, 28):
        recipe = choose_recipe(splits, "features", [900] * 40, channels=channels)
        assert recipe.encoder["patch"] == 15  # ceil(900 / 64): about 64 recurrent steps
    assert "patch" not in choose_recipe(splits, "features", [128] * 40, channels=6).encoder
