"""Short training runs of the digits and vowels tasks on synthetic data, then every
Predictor input kind and ``seqclf evaluate`` / ``seqclf predict`` on the saved models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from speech_data import clip, feature_sequence, make_fsdd_folder, write_ts
from tolerances import SAME_METRIC, SAME_SCORES, assert_same_predictions
from typer.testing import CliRunner

from seqclf.cli import app
from seqclf.config import TrainConfig
from seqclf.errors import InvalidInputError
from seqclf.inference.predictor import Predictor
from seqclf.training.run import run_training


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Models this small train fastest on one thread; more only contend on a busy CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SMALL = {"hidden_size": 24, "num_layers": 1, "embedding_dim": 16, "dropout": 0.1}


def train(task: str, data: Path, out: Path, epochs: int, **options):
    config = TrainConfig(epochs=epochs, batch_size=8, lr=1e-2, patience=epochs, warmup_epochs=0.5, **options)
    return run_training(
        task, data, out, model=SMALL, train=config.to_dict(), command=f"test {task}", log=lambda _: None
    )


def assert_learned(pretrained, chance: float) -> None:
    history = pretrained.training.networks[0].history
    assert history[-1].train_loss < 0.5 * history[0].train_loss
    assert pretrained.training.test["accuracy"] >= chance + 0.4


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("digits")
    data = make_fsdd_folder(root / "fsdd", repetitions=14)
    pretrained = train("digits", data, root / "model", epochs=8)
    assert_learned(pretrained, chance=1 / 3)
    return data, root / "model"


@pytest.fixture(scope="module")
def vowels_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("vowels")
    rng = np.random.default_rng(0)
    labels = [str(1 + i % 3) for i in range(60)]
    data = write_ts(root / "JapaneseVowels_TRAIN.ts", [feature_sequence(int(y), rng) for y in labels], labels)
    pretrained = train("vowels", data, root / "model", epochs=10, ties="lower_loss")
    assert_learned(pretrained, chance=1 / 3)
    history = pretrained.training.networks[0].history
    best = max(history, key=lambda e: (e.val_macro_f1, -e.val_loss))
    assert pretrained.training.networks[0].best_epoch == best.epoch
    return data, root / "model"


@pytest.mark.slow  # trains the digits model (5 s)
def test_digits_model_takes_every_audio_input_kind(digits_model, tmp_path):
    _, folder = digits_model
    predictor = Predictor.from_pretrained(folder, device="cpu")
    samples = clip("1", 16000, np.random.default_rng(5))
    path = tmp_path / "one.wav"
    sf.write(path, samples, 16000)
    results = [
        predictor.predict(str(path), top_k=None),
        predictor.predict(path.read_bytes(), top_k=None),
        predictor.predict({"array": sf.read(path, dtype="float32")[0], "sampling_rate": 16000}, top_k=None),
    ]
    for result in results[1:]:
        assert_same_predictions(result, results[0])
    assert sum(p["score"] for p in results[0]) == pytest.approx(1.0, abs=SAME_SCORES)
    at_rate = clip("0", 8000, np.random.default_rng(6))
    from_array = predictor.predict(at_rate, top_k=None)
    assert_same_predictions(predictor.predict(at_rate.tolist(), top_k=None), from_array)
    assert_same_predictions(
        predictor.predict({"array": at_rate, "sampling_rate": 8000}, top_k=None), from_array
    )
    batch = predictor.predict([str(path), path.read_bytes()], top_k=2)
    assert len(batch) == 2 and all(len(r) == 2 for r in batch)
    with pytest.raises(InvalidInputError, match=r"input 1: .*silent"):
        predictor.predict([str(path), np.zeros(8000, np.float32)])


def test_vowels_model_takes_arrays_and_nested_lists(vowels_model):
    _, folder = vowels_model
    predictor = Predictor.from_pretrained(folder, device="cpu")
    sequence = feature_sequence(2, np.random.default_rng(7))
    as_array = predictor.predict(sequence, top_k=None)
    as_lists = predictor.predict(sequence.tolist(), top_k=None)
    assert_same_predictions(as_lists, as_array)
    batch = predictor.predict([sequence, sequence.tolist()[:5]], top_k=1)
    assert len(batch) == 2
    with pytest.raises(InvalidInputError, match="input 0: each frame has 11 channels; this model takes 12"):
        predictor.predict([sequence[:, :11]])


@pytest.mark.parametrize("fixture", [pytest.param("digits_model", marks=pytest.mark.slow), "vowels_model"])
def test_evaluate_reproduces_the_card(fixture, request, tmp_path):
    data, folder = request.getfixturevalue(fixture)
    result = CliRunner().invoke(
        app, ["evaluate", str(folder), "--data", str(data), "--json", "--plot", str(tmp_path / "cm.png")]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    card = json.loads((folder / "config.json").read_text())["training"]["metrics"]["test"]
    assert report["accuracy"] == pytest.approx(card["accuracy"], abs=SAME_METRIC)
    assert report["confusion_matrix"] == card["confusion_matrix"]


@pytest.mark.slow  # trains the digits model (5 s)
def test_predict_command_reads_wav_paths_and_frame_csvs(digits_model, vowels_model, tmp_path):
    _, digits = digits_model
    wav = tmp_path / "zero.wav"
    sf.write(wav, clip("0", 22050, np.random.default_rng(8)), 22050)
    result = CliRunner().invoke(app, ["predict", str(digits), str(wav), "--top-k", "1"])
    assert result.exit_code == 0, result.output
    assert_same_predictions(
        json.loads(result.stdout)[0]["predictions"], Predictor.from_pretrained(digits).predict(str(wav))
    )

    _, vowels = vowels_model
    csv = tmp_path / "frames.csv"
    frames = feature_sequence(1, np.random.default_rng(9))
    np.savetxt(csv, frames, delimiter=",")
    result = CliRunner().invoke(app, ["predict", str(vowels), str(csv), "--top-k", "1"])
    assert result.exit_code == 0, result.output
    expected = Predictor.from_pretrained(vowels).predict(np.loadtxt(csv, delimiter=","))
    assert_same_predictions(json.loads(result.stdout)[0]["predictions"], expected)
    bad = CliRunner().invoke(app, ["predict", str(vowels), str(tmp_path / "missing.csv")])
    assert bad.exit_code == 2 and "no CSV file" in bad.output
