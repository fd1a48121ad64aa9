"""Predictor outputs follow the transformers pipeline convention; bad inputs are clear errors."""

from __future__ import annotations

import pytest
import torch
from tolerances import SAME_SCORES, assert_same_predictions

from seqclf import InvalidInputError, Predictor
from seqclf.config import ModelConfig
from seqclf.encoders import CharEncoder
from seqclf.errors import ConfigError
from seqclf.network.model import SequenceClassifier
from seqclf.network.pretrained import PretrainedClassifier

LABELS = ["a", "b", "c", "d"]


@pytest.fixture(scope="module")
def predictor(tmp_path_factory) -> Predictor:
    torch.manual_seed(0)
    encoder = CharEncoder.fit(["nakamura", "schmidt", "nguyen", "smith"] * 2)
    config = ModelConfig(num_labels=4, **encoder.model_fields(), embedding_dim=8, hidden_size=8)
    folder = tmp_path_factory.mktemp("m") / "model"
    PretrainedClassifier(SequenceClassifier(config), encoder, LABELS, "names").save_pretrained(folder)
    return Predictor.from_pretrained(folder, device="cpu")


def test_batch_gives_sorted_top_k_per_input(predictor):
    results = predictor.predict(["Nakamura", "Schmidt", "Nguyen"], top_k=3)
    assert len(results) == 3
    for predictions in results:
        assert len(predictions) == 3
        assert set(predictions[0]) == {"label", "score"}
        scores = [p["score"] for p in predictions]
        assert scores == sorted(scores, reverse=True)
        assert all(isinstance(p["label"], str) and isinstance(p["score"], float) for p in predictions)


def test_all_labels_sum_to_one_and_match_the_batch_order(predictor):
    everything = predictor.predict(["Nakamura", "Schmidt"], top_k=None)
    for predictions in everything:
        assert sorted(p["label"] for p in predictions) == LABELS
        assert sum(p["score"] for p in predictions) == pytest.approx(1.0, abs=SAME_SCORES)
    assert_same_predictions(predictor.predict(["Schmidt"], top_k=None)[0], everything[1])
    assert predictor.predict(["x"], top_k=100)[0].__len__() == 4


def test_a_single_string_gives_its_own_list(predictor):
    single = predictor.predict("Nakamura", top_k=2)
    assert single == predictor.predict(["Nakamura"], top_k=2)[0]


def test_batching_does_not_change_results(predictor):
    names = [f"name{'x' * (i % 17)}" for i in range(40)]
    predictor.batch_size = 7
    small = predictor.predict(names, top_k=None)
    predictor.batch_size = 256
    for left, right in zip(predictor.predict(names, top_k=None), small, strict=True):
        assert_same_predictions(left, right)


@pytest.mark.parametrize(
    ("inputs", "top_k", "message"),
    [
        ([], 1, "no inputs"),
        (["ok", ""], 1, "input 1: the input is empty"),
        (["ok", 3], 1, "input 1: expected a string"),
        (42, 1, "expected a list of inputs"),
        ({"name": "x"}, 1, "expected a list of inputs"),
        (["ok"], 0, "top_k must be a positive integer"),
        (["ok"], "3", "top_k must be a positive integer"),
    ],
)
def test_bad_inputs_are_clear_errors(predictor, inputs, top_k, message):
    with pytest.raises(InvalidInputError, match=message):
        predictor.predict(inputs, top_k=top_k)


@pytest.mark.parametrize(
    ("device", "message"),
    [
        ("gpu", "unknown device 'gpu'"),
        ("meta", "is not supported"),
        pytest.param(
            "cuda",
            "no usable CUDA GPU",
            marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU"),
        ),
    ],
)
def test_a_device_that_cannot_be_used_is_a_clear_error(device, message):
    # The device is checked before anything is loaded, so no model is needed.
    with pytest.raises(ConfigError, match=message):
        Predictor.from_pretrained("no-such-model", device=device)
