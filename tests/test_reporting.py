"""--report-to: each epoch's figures in TensorBoard's and MLflow's stores, read back with their own readers."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import seqclf
from seqclf.errors import ConfigError
from seqclf.training.reporting import check_report_to
from tests.names_data import make_names_folder

QUICK = {"ensemble": 1, "hidden_size": 16, "embedding_dim": 8, "num_layers": 1, "epochs": 4, "lr": 1e-2}


def _names(tmp_path: Path) -> tuple[list[str], list[str]]:
    folder = make_names_folder(tmp_path / "names", per_language=20)
    rows = [(name, f.stem) for f in sorted(folder.glob("*.txt")) for name in f.read_text().split()]
    return [t for t, _ in rows], [y for _, y in rows]


def _fit(tmp_path: Path, report_to: list[str]) -> seqclf.Predictor:
    texts, labels = _names(tmp_path)
    return seqclf.fit(
        "text",
        texts,
        labels,
        tmp_path / "model",
        report_to=report_to,
        report_dir=tmp_path / "runs",
        baseline=False,
        log=lambda _: None,
        **QUICK,
    )


@pytest.mark.slow  # trains for a second
def test_tensorboard_gets_every_epoch_and_the_test_figures(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    predictor = _fit(tmp_path, ["tensorboard"])
    training = predictor.pretrained.training
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("model-")
    events = EventAccumulator(str(run))
    events.Reload()
    history = training.history
    for tag, column in (
        ("eval/macro_f1", "val_macro_f1"),
        ("train/loss", "train_loss"),
        ("eval/loss", "val_loss"),
    ):
        scalars = events.Scalars(tag)
        assert [s.step for s in scalars] == [row["epoch"] for row in history]
        # TensorBoard stores float32: equal to the record to float32's precision
        assert [s.value for s in scalars] == pytest.approx([row[column] for row in history], rel=1e-6)
    assert events.Scalars("test/accuracy")[0].value == pytest.approx(training.test["accuracy"], rel=1e-6)


@pytest.mark.slow  # MLflow builds its SQLite store's tables (several seconds)
def test_mlflow_gets_every_epoch_the_settings_and_the_test_figures(tmp_path: Path, monkeypatch) -> None:
    from mlflow.tracking import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    predictor = _fit(tmp_path, ["mlflow"])
    training = predictor.pretrained.training
    client = MlflowClient(f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("seqclf").experiment_id])
    assert run.info.status == "FINISHED" and run.data.params["hidden_size"] == "16"
    losses = client.get_metric_history(run.info.run_id, "eval/loss")
    assert [m.step for m in losses] == [row["epoch"] for row in training.history]
    # MLflow keeps float64: the record's values themselves
    assert [m.value for m in losses] == pytest.approx(
        [row["val_loss"] for row in training.history], rel=1e-12
    )
    assert run.data.metrics["test/macro_f1"] == pytest.approx(training.test["macro_f1"], rel=1e-9)


def test_unknown_or_missing_trackers_are_refused_in_one_line(monkeypatch) -> None:
    assert check_report_to(["tensorboard,mlflow", "tensorboard"]) == ("tensorboard", "mlflow")
    with pytest.raises(ConfigError, match="--report-to wandb: not a tracker; choose tensorboard, mlflow"):
        check_report_to(["wandb"])
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a)
    )
    with pytest.raises(ConfigError, match=r"pip install 'seqclf\[mlflow\]'"):
        check_report_to(["mlflow"])


@pytest.mark.slow  # starts the command line in a process
def test_the_train_command_refuses_a_bad_tracker_before_reading_data(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "seqclf",
            "train",
            "text",
            "--data",
            str(tmp_path / "absent.csv"),
            "--out",
            str(tmp_path / "m"),
            "--report-to",
            "wandb",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "--report-to wandb: not a tracker" in done.stderr and "absent.csv" not in done.stderr
    assert "Traceback" not in done.stderr
