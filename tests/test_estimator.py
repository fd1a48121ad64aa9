"""seqclf.RecurrentClassifier: scikit-learn's own estimator checks, its tools, and the model folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks
from typer.testing import CliRunner

import seqclf
from seqclf import Predictor, RecurrentClassifier
from seqclf.cli import app
from tests.names_data import make_names_folder

#: small enough that the ~55 checks each train in about a second
CHECKED = RecurrentClassifier("series", epochs=3, ensemble=1, hidden_size=8, embedding_dim=8, num_layers=1)
#: what these tests train: quick, and enough for the separable data below
QUICK = {"ensemble": 1, "hidden_size": 16, "embedding_dim": 8, "num_layers": 1, "epochs": 12, "lr": 1e-2}


def _expected_failures(estimator: RecurrentClassifier) -> dict[str, str]:
    return {
        "check_classifiers_train": (
            "wants 0.83 accuracy on 2-feature blobs, read as series of 2 steps, after the 3 epochs these "
            "checks train for; with epochs=30 it passes, in about 5 minutes (docs/own-data.md)"
        ),
    }


@pytest.mark.slow  # ~55 checks, each training a tiny network
@parametrize_with_checks([CHECKED], expected_failed_checks=_expected_failures)
def test_scikit_learn_estimator_checks(estimator: RecurrentClassifier, check) -> None:
    check(estimator)


def waves(n: int, seed: int, labels: tuple = (10, 2)) -> tuple[np.ndarray, np.ndarray]:
    """Sine waves (``labels[0]``) and square waves (``labels[1]``) of random frequency and phase, with noise."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, 48)
    X, y = [], []
    for i in range(n):
        wave = np.sin(2 * np.pi * rng.uniform(2, 4) * t + rng.uniform(0, 2 * np.pi))
        X.append((wave if i % 2 == 0 else np.sign(wave)) + 0.15 * rng.normal(size=t.size))
        y.append(labels[i % 2])
    return np.array(X, dtype=np.float32), np.array(y)


@pytest.fixture(scope="module")
def fitted() -> RecurrentClassifier:
    X, y = waves(80, seed=0)
    return RecurrentClassifier("series", **QUICK).fit(X, y)


@pytest.mark.slow  # trains a network (seconds)
def test_learns_series_and_keeps_y_s_labels_and_order(fitted: RecurrentClassifier) -> None:
    # labels 10 and 2: sorted as numbers (2, 10), the network's sorted text has them the other way
    X, y = waves(40, seed=1)
    assert list(fitted.classes_) == [2, 10]
    assert fitted.score(X, y) >= 0.9
    assert fitted.predict(X).dtype == y.dtype
    probabilities = fitted.predict_proba(X)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    # column j is classes_[j]: the sine waves (label 10) score high in column 1
    assert probabilities[y == 10, 1].mean() > 0.7 and probabilities[y == 2, 0].mean() > 0.7


@pytest.mark.slow  # trains a network (seconds)
def test_aeon_layouts_give_the_same_answers(fitted: RecurrentClassifier) -> None:
    X, _ = waves(6, seed=2)
    as_2d = fitted.predict_proba(X)
    aeon_3d = fitted.predict_proba(X[:, None, :])  # (n_cases, n_channels, n_timepoints)
    aeon_list = fitted.predict_proba([row[None, :] for row in X])  # 2-D (channels, timepoints) each
    one_d = fitted.predict_proba(list(X))
    # the same float32 values through the same network: only summation order may differ
    for other in (aeon_3d, aeon_list, one_d):
        assert np.allclose(as_2d, other, atol=1e-5)
    # unequal lengths are fine in a list
    ragged = [X[0][:30][None, :], X[1][None, :]]
    assert fitted.predict_proba(ragged).shape == (2, 2)


@pytest.mark.slow  # trains a network (seconds)
def test_history_is_the_run_s_per_epoch_log(fitted: RecurrentClassifier) -> None:
    history = fitted.history_
    record = fitted.pretrained_.training.networks[0]
    assert [row["epoch"] for row in history] == list(range(1, record.epochs_run + 1))
    assert [row["epoch"] for row in history if row["best"]] == [record.best_epoch]
    assert history[-1]["val_loss"] == pytest.approx(record.history[-1].val_loss, rel=1e-9)
    assert {"train_loss", "val_accuracy", "val_macro_f1", "lr", "network"} <= set(history[0])


def test_params_are_the_config_fields_and_clone_keeps_them() -> None:
    estimator = RecurrentClassifier("text", hidden_size=32, cell="lstm", tokens="chars")
    params = estimator.get_params()
    assert params["hidden_size"] == 32 and params["cell"] == "lstm" and params["epochs"] is None
    assert {"num_layers", "bidirectional", "clip_norm", "patience", "patch"} <= set(params)
    assert clone(estimator).get_params() == params
    assert estimator.set_params(hidden_size=8).hidden_size == 8
    with pytest.raises(TypeError, match="hiden_size"):
        RecurrentClassifier("text", hiden_size=3)
    with pytest.raises(ValueError, match="epochs must be an integer, got '3'"):  # as a model field is
        RecurrentClassifier("series", epochs="3").fit(*waves(20, seed=0))
    with pytest.raises(ValueError, match="hidden_size must be at least 1"):
        RecurrentClassifier("series", hidden_size=0).fit(*waves(20, seed=0))


@pytest.mark.slow  # trains a network (seconds)
def test_trains_on_everything_but_the_validation_part(fitted: RecurrentClassifier) -> None:
    sizes = fitted.pretrained_.training.split["sizes"]
    assert sizes["test"] == 0 and sizes["train"] + sizes["validation"] == 80
    assert fitted.pretrained_.training.test is None


@pytest.mark.slow  # trains a network (seconds)
def test_saves_a_model_folder_and_loads_it_back(fitted: RecurrentClassifier, tmp_path: Path) -> None:
    folder = fitted.save(tmp_path / "waves")
    X, _ = waves(10, seed=3)
    again = RecurrentClassifier.from_pretrained(folder)
    assert again.get_params()["hidden_size"] == 16 and again.get_params()["epochs"] == 12
    assert list(again.classes_) == ["10", "2"]  # a folder keeps labels as text
    # the same weights read back: float32 round trip through safetensors is exact
    original = dict(zip(fitted.classes_.astype(str), fitted.predict_proba(X).T, strict=True))
    loaded = dict(zip(again.classes_, again.predict_proba(X).T, strict=True))
    for label in original:
        assert np.allclose(original[label], loaded[label], atol=1e-6)
    # an ordinary model folder: the Predictor, the service and the UI take it as it is
    assert Predictor.from_pretrained(folder, device="cpu").predict(X[0][:, None])[0]["label"] in {"2", "10"}
    card = (folder / "README.md").read_text()
    assert "No test part was held out" in card and "confusion_matrix.png" not in card
    # validation figures are not published as the Hub's evaluation results
    assert "model-index" not in card and "test-set fingerprint" not in card
    # a folder holding files of its own is not written over unasked
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "README.md").write_text("# my project\n")
    with pytest.raises(seqclf.ConfigError, match=r"already holds README\.md"):
        fitted.save(tmp_path / "project")
    assert (tmp_path / "project" / "README.md").read_text() == "# my project\n"
    fitted.save(tmp_path / "project", overwrite=True)
    assert (tmp_path / "project" / "model.safetensors").is_file()
    assert json.loads((folder / "config.json").read_text())["training"]["metrics"]["test"] is None
    # seqclf evaluate rebuilds no test part from it: one line saying what to do instead
    X, y = waves(20, seed=4)
    np.savez(tmp_path / "waves.npz", X=X[:, :, None], y=y.astype(str))
    result = CliRunner().invoke(app, ["evaluate", str(folder), "--data", str(tmp_path / "waves.npz")])
    assert result.exit_code != 0 and "held none out" in result.output and "--split all" in result.output
    result = CliRunner().invoke(
        app, ["evaluate", str(folder), "--data", str(tmp_path / "waves.npz"), "--split", "all", "--json"]
    )
    assert result.exit_code == 0 and json.loads(result.output)["num_examples"] == 20


@pytest.mark.slow  # trains a network (seconds)
def test_text_in_a_pipeline_and_a_grid_search(tmp_path: Path) -> None:
    names = make_names_folder(tmp_path / "names", per_language=30)
    texts, labels = [], []
    for file in sorted(names.glob("*.txt")):
        for line in file.read_text().split():
            texts.append(line)
            labels.append(file.stem)
    pipeline = make_pipeline(
        FunctionTransformer(lambda xs: [x.lower() for x in xs]), RecurrentClassifier("text", **QUICK)
    )
    scores = cross_val_score(pipeline, texts, labels, cv=2)
    assert scores.mean() >= 0.5  # four made-up languages from 60 names each fold; chance is 0.25
    search = GridSearchCV(
        RecurrentClassifier("text", **{**QUICK, "epochs": 4}), {"hidden_size": [8, 16]}, cv=2
    )
    search.fit(pd.DataFrame({"name": texts}), labels)  # a one-column table is its column
    assert search.best_params_["hidden_size"] in (8, 16) and search.best_score_ > 0.25


def test_bad_inputs_are_one_clear_error() -> None:
    X, y = waves(20, seed=0)
    with pytest.raises(ValueError, match="one class"):
        RecurrentClassifier("series").fit(X, np.zeros(20))
    with pytest.raises(ValueError, match="NaN"):
        RecurrentClassifier("series").fit(np.where(X > 0.9, np.nan, X), y)
    with pytest.raises(ValueError, match="sequence of strings"):
        RecurrentClassifier("text").fit([1, 2, 3, 4], [0, 1, 0, 1])
    with pytest.raises(seqclf.ConfigError, match="trains text, audio, series"):
        RecurrentClassifier("names").fit(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="X is one str: give a list of examples"):
        RecurrentClassifier("text").fit("great fun", [0])
    with pytest.raises(ValueError, match="a table of 2 columns"):
        RecurrentClassifier("text").fit(pd.DataFrame({"a": ["x", "y"], "b": ["z", "w"]}), [0, 1])
    # read (and warned about) before the labels are refused, so before any training
    with (
        pytest.warns(UserWarning, match=r"aeon's \(channels, timepoints\)"),
        pytest.raises(ValueError, match="one class"),
    ):
        RecurrentClassifier("series").fit([np.zeros((50, 3))] * 4, [0] * 4)
