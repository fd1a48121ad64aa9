"""Integrated gradients and prefix predictions: completeness, shapes, targets, JSON."""

from __future__ import annotations

import json

import pytest
import torch
from tolerances import SAME_LOGITS, SAME_SCORES

from seqclf import InvalidInputError, ModelConfig, Predictor, SequenceClassifier
from seqclf.encoders import CharEncoder
from seqclf.explain import integrated_gradients
from seqclf.pretrained import PretrainedClassifier

LABELS = ["Alpha", "Beta", "Gamma"]


def char_predictor(**overrides) -> Predictor:
    torch.manual_seed(0)
    encoder = CharEncoder.fit(["kamura", "ivanov", "gonzalez", "anderson"], min_freq=1)
    config = ModelConfig(
        num_labels=len(LABELS), **encoder.model_fields(), embedding_dim=8, hidden_size=8, **overrides
    )
    return Predictor(PretrainedClassifier(SequenceClassifier(config), encoder, LABELS, "names"))


def completeness_gap(model: SequenceClassifier, encoded: torch.Tensor, steps: int) -> tuple[float, float]:
    """|sum(scores) - (logit - baseline_logit)| and the logit gap itself."""
    scores, logit, baseline_logit = integrated_gradients(model, encoded, target=1, steps=steps)
    assert scores.shape == (len(encoded),)
    return abs(float(scores.sum()) - (logit - baseline_logit)), abs(logit - baseline_logit)


@pytest.mark.parametrize(
    ("cell", "pooling"), [("gru", "max+last"), ("lstm", "mean"), ("rnn", "attention+last")]
)
def test_token_attributions_add_up_to_the_logit_difference(cell: str, pooling: str) -> None:
    predictor = char_predictor(cell=cell, pooling=pooling)
    (encoded,) = predictor.encode(["gonzalez"])
    gap, total = completeness_gap(predictor.model, encoded, steps=256)
    assert total > 1e-3  # the check below would be empty for a model that ignores its input
    assert gap < 0.02 * total + 1e-4


def test_feature_attributions_add_up_and_the_integral_converges() -> None:
    torch.manual_seed(1)
    model = SequenceClassifier(
        ModelConfig(num_labels=3, input_kind="features", num_features=5, embedding_dim=8, hidden_size=8)
    )
    frames = torch.randn(11, 5)
    coarse, total = completeness_gap(model, frames, steps=4)
    fine, _ = completeness_gap(model, frames, steps=256)
    assert total > 1e-3
    assert fine < 0.02 * total + 1e-4
    assert fine <= coarse


def test_the_baseline_itself_gets_no_credit() -> None:
    # An all-padding input is the baseline: nothing differs from it, so nothing is credited.
    predictor = char_predictor()
    padding = torch.zeros(4, dtype=torch.int64)
    scores, logit, baseline_logit = integrated_gradients(predictor.model, padding, target=0)
    # the two logits are rows of one batch: equal up to the batch's summation order
    assert logit == pytest.approx(baseline_logit, abs=SAME_LOGITS)
    # exact: every score is (input - baseline) * gradient, and input - baseline is exactly 0
    assert torch.count_nonzero(scores) == 0


def test_explain_names_each_step_and_defaults_to_the_predicted_class() -> None:
    predictor = char_predictor()
    explanation = predictor.explain("Gonzalez")
    assert explanation.steps == list("gonzalez")
    assert len(explanation.scores) == len(explanation.steps)
    assert explanation.label == predictor.predict("Gonzalez")[0]["label"]
    assert explanation.method == "integrated-gradients"
    assert abs(explanation.delta) < 0.05 * abs(explanation.logit - explanation.baseline_logit) + 1e-3
    assert json.loads(json.dumps(explanation.to_dict()))["steps"] == explanation.steps


def test_explain_accepts_a_label_or_index_and_rejects_others() -> None:
    predictor = char_predictor()
    assert predictor.explain("ivanov", target="Gamma").label == "Gamma"
    assert predictor.explain("ivanov", target=1).label == "Beta"
    with pytest.raises(InvalidInputError, match="unknown label"):
        predictor.explain("ivanov", target="Omega")
    with pytest.raises(InvalidInputError, match="class index"):
        predictor.explain("ivanov", target=3)
    with pytest.raises(InvalidInputError, match="empty"):
        predictor.explain("   ")


def test_unfold_gives_each_prefix_its_own_prediction() -> None:
    predictor = char_predictor()
    unfolding = predictor.unfold("Kamura")
    assert unfolding.steps == list("kamura")
    assert unfolding.labels == LABELS
    probabilities = torch.tensor(unfolding.probabilities)
    assert probabilities.shape == (6, 3)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(6), rtol=0, atol=SAME_SCORES)
    for t in (1, 3, 6):
        expected = predictor.predict("Kamura"[:t], top_k=None)
        by_label = {p["label"]: p["score"] for p in expected}
        assert probabilities[t - 1].tolist() == pytest.approx(
            [by_label[label] for label in LABELS], abs=SAME_SCORES
        )
    assert json.loads(json.dumps(unfolding.to_dict()))["labels"] == LABELS


def test_a_prepared_example_is_encoded_once_and_answers_as_the_raw_one(tiny_names, monkeypatch) -> None:
    predictor = Predictor.from_pretrained(tiny_names.folder, device="cpu")
    raw_explanation, raw_unfolding = predictor.explain("Kamuramoto"), predictor.unfold("Kamuramoto")
    calls: list[object] = []
    encode = predictor.encode
    monkeypatch.setattr(predictor, "encode", lambda inputs: calls.append(inputs) or encode(inputs))
    prepared = predictor.prepare("Kamuramoto")
    explanation, unfolding = predictor.explain(prepared), predictor.unfold(prepared)
    assert len(calls) == 1  # the UI's check, explanation and unfolding share one encoding
    assert explanation.steps == raw_explanation.steps == list("kamuramoto")
    assert explanation.label == raw_explanation.label == "Alpha"
    torch.testing.assert_close(
        torch.tensor(explanation.scores), torch.tensor(raw_explanation.scores), rtol=0, atol=SAME_LOGITS
    )
    torch.testing.assert_close(
        torch.tensor(unfolding.probabilities),
        torch.tensor(raw_unfolding.probabilities),
        rtol=0,
        atol=SAME_SCORES,
    )
