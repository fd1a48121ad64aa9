"""The command line: train, evaluate (reproducing the card) and predict; clear errors."""

from __future__ import annotations

import json

import pytest
from tolerances import SAME_METRIC
from typer.testing import CliRunner

from seqclf.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(names_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "names"
    result = runner.invoke(
        app,
        [
            "train",
            "names",
            "--data",
            str(names_folder),
            "--out",
            str(out),
            "--epochs",
            "3",
            "--hidden-size",
            "16",
            "--embedding-dim",
            "8",
            "--num-layers",
            "1",
            "--cell",
            "lstm",
            "--pooling",
            "mean+max",
            "--batch-size",
            "16",
            "--lr",
            "0.01",
            "--seed",
            "1",
            "--ensemble",
            "1",
            "--description",
            "Made-up surnames to their made-up languages",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_train_records_the_command_and_overrides(model_dir):
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model"]["cell"] == "lstm" and config["model"]["pooling"] == "mean+max"
    assert config["training"]["hyperparameters"]["epochs"] == 3
    assert config["training"]["command"].startswith("seqclf train names --data ")
    # the trainer's words beat the task's own, in the card and in the command that reproduces it
    assert config["training"]["description"] == "Made-up surnames to their made-up languages"
    assert "--description 'Made-up surnames to their made-up languages'" in config["training"]["command"]
    card = (model_dir / "README.md").read_text()
    assert "# seqclf `names`: Made-up surnames to their made-up languages\n" in card


def test_evaluate_reproduces_the_card(model_dir, names_folder, tmp_path):
    plot = tmp_path / "cm.png"
    result = runner.invoke(
        app, ["evaluate", str(model_dir), "--data", str(names_folder), "--json", "--plot", str(plot)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    card = json.loads((model_dir / "config.json").read_text())["training"]["metrics"]["test"]
    assert report["accuracy"] == pytest.approx(card["accuracy"], abs=SAME_METRIC)
    assert report["macro_f1"] == pytest.approx(card["macro_f1"], abs=SAME_METRIC)
    assert report["confusion_matrix"] == card["confusion_matrix"]
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_evaluate_plot_goes_to_a_new_folder_and_a_bad_path_keeps_the_report(
    model_dir, names_folder, tmp_path
):
    nested = tmp_path / "new" / "folder" / "cm.png"
    result = runner.invoke(
        app, ["evaluate", str(model_dir), "--data", str(names_folder), "--plot", str(nested)]
    )
    assert result.exit_code == 0, result.output
    assert nested.read_bytes().startswith(b"\x89PNG")

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(
        app, ["evaluate", str(model_dir), "--data", str(names_folder), "--plot", str(blocker / "cm.png")]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "macro-F1" in result.stdout  # the report was printed before the plot failed
    assert "cannot write the confusion matrix" in result.output


def test_evaluate_prints_a_table_and_writes_no_file_unasked(model_dir, names_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["evaluate", str(model_dir), "--data", str(names_folder)])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.stdout and "Alpha" in result.stdout
    assert list(tmp_path.iterdir()) == [] and "confusion matrix" not in result.stdout
    result = runner.invoke(app, ["evaluate", str(model_dir), "--data", str(names_folder), "--test", "t.csv"])
    assert result.exit_code != 0 and "without a local test file" in result.output


def test_predict_prints_json(model_dir):
    result = runner.invoke(app, ["predict", str(model_dir), "Kamura", "Ivanov", "--top-k", "2"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [item["input"] for item in out] == ["Kamura", "Ivanov"]
    assert all(len(item["predictions"]) == 2 for item in out)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "klingon", "--data", ".", "--out", "x"], "unknown task 'klingon'"),
        (["train", "names", "--data", "/nonexistent", "--out", "x"], "no <Language>.txt files"),
        (["predict", "/nonexistent/model", "x"], "neither a model folder nor a Hub repo id"),
        (["train", "names", "--data", ".", "--out", "x", "--ensemble", "0", "--resume"], "--ensemble"),
        (["train", "names", "--data", ".", "--out", "x", "--ema-decay", "1"], "ema_decay must be in [0, 1)"),
    ],
)
def test_mistakes_get_one_clear_line_not_a_traceback(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_bad_predict_input_is_a_clear_error(model_dir):
    result = runner.invoke(app, ["predict", str(model_dir), "   "])
    assert result.exit_code == 2 and "input 0: the input is empty" in result.output


def test_train_help_names_every_task():
    from seqclf.tasks import task_names

    result = runner.invoke(app, ["train", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert all(name in result.output for name in task_names())


def test_version_prints_the_installed_version():
    from seqclf.install import VERSION

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"seqclf {VERSION}\n"


def test_each_task_s_help_shows_its_own_options():
    def help_of(*words: str) -> str:
        result = runner.invoke(app, ["train", *words, "--help"], env={"COLUMNS": "300"})
        assert result.exit_code == 0, result.output
        return result.output

    group, text, series, names = help_of(), help_of("text"), help_of("series"), help_of("names")
    assert len({group, text, series, names}) == 4
    for task_help in (text, series, names):
        assert "--hidden-size" in task_help and "--epochs" in task_help and "--data" in task_help
    assert "--hidden-size" not in group  # the group lists the tasks; each task its options
    assert "--text-column" in text and "--tokens" in text and "--patch" not in text
    assert "--patch" in series and "--test" in series and "--text-column" not in series
    assert not {"--patch", "--text-column", "--test ", "--strict"} & set(names.split())


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--hidden-size", "-5", "hidden_size must be at least 1, got -5"),
        ("--pooling", "foo", "pooling 'foo' is not valid"),
        ("--dropout", "1.5", "dropout must be in [0, 1), got 1.5"),
        ("--epochs", "0", "epochs must be at least 1"),
    ],
)
def test_a_bad_setting_is_refused_before_the_data_is_read(tmp_path, flag, value, message):
    missing = tmp_path / "no-such-data.csv"  # read first, this would be the error instead
    result = runner.invoke(
        app, ["train", "text", "--data", str(missing), "--out", str(tmp_path / "m"), flag, value]
    )
    assert result.exit_code == 2
    (line,) = result.output.splitlines()  # the one line, before the threads notice and the recipe
    assert line.startswith(f"error: {message}")
    assert not (tmp_path / "m").exists()


def test_fit_refuses_a_bad_setting_before_it_reads_or_says_anything(tmp_path):
    import seqclf
    from seqclf.errors import ConfigError

    said: list[str] = []
    with pytest.raises(ConfigError, match=r"dropout must be in \[0, 1\), got 1.5"):
        seqclf.fit(
            "text",
            [f"word{i} thing" for i in range(20)],
            ["x", "y"] * 10,
            tmp_path / "m",
            dropout=1.5,
            log=said.append,
        )
    assert said == [] and not (tmp_path / "m").exists()
