"""Integrated gradients and prefix predictions: completeness, shapes, targets, JSON, bounded work."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import torch
from tolerances import SAME_LOGITS, SAME_SCORES

from seqclf import InvalidInputError, ModelConfig, Predictor, SequenceClassifier
from seqclf.encoders import CharEncoder
from seqclf.encoders.features import FeatureEncoder
from seqclf.inference.explain import (
    DEFAULT_IG_STEPS,
    IG_BUDGET,
    MAX_PREFIXES,
    UNFOLD_BUDGET,
    UNFOLD_CHUNK_STEPS,
    Unfolding,
    integrated_gradients,
    integration_points,
    prefix_count,
    prefix_lengths,
)
from seqclf.limits import MAX_STEPS
from seqclf.network.ensemble import build_model
from seqclf.network.pretrained import PretrainedClassifier

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
    with pytest.raises(InvalidInputError, match=r"^the input is empty"):  # one input: no "input 0:"
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
    encode = predictor.encoder.encode
    monkeypatch.setattr(predictor.encoder, "encode", lambda example: calls.append(example) or encode(example))
    prepared = predictor.prepare("Kamuramoto")
    encoded = len(calls)  # the encoding and the steps' names (which the encoder validates too)
    explanation, unfolding = predictor.explain(prepared), predictor.unfold(prepared)
    assert calls and len(calls) == encoded  # the UI's check, explanation and unfolding share them
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


def features_predictor(ensemble: int = 1, max_length: int = MAX_STEPS) -> Predictor:
    """Random weights on five-channel frames: any length up to ``max_length``, one network or several."""
    torch.manual_seed(2)
    encoder = FeatureEncoder.fit([np.random.default_rng(0).normal(size=(40, 5))], max_length=max_length)
    config = ModelConfig(
        num_labels=len(LABELS), **encoder.model_fields(), embedding_dim=8, hidden_size=8, ensemble=ensemble
    )
    return Predictor(PretrainedClassifier(build_model(config), encoder, LABELS, "vowels"))


def every_prefix(predictor: Predictor, encoded: torch.Tensor) -> torch.Tensor:
    """The unbounded unfolding: every prefix in one call, as ``unfold`` did for any length."""
    return predictor.probabilities([encoded[:t] for t in range(1, len(encoded) + 1)])


@pytest.mark.parametrize("length", [1, 2, MAX_PREFIXES - 1, MAX_PREFIXES, MAX_PREFIXES + 1, 1000, MAX_STEPS])
@pytest.mark.parametrize("networks", [1, 5])
def test_prefix_lengths_are_all_up_to_the_cap_then_evenly_spaced_from_one_to_the_whole(
    length: int, networks: int
) -> None:
    count = prefix_count(length, networks)
    lengths = prefix_lengths(length, count)
    if length <= MAX_PREFIXES:
        assert lengths == list(range(1, length + 1))  # every prefix, as before the budget
    else:
        assert 2 <= len(lengths) == count <= MAX_PREFIXES
        assert sum(lengths) * networks <= UNFOLD_BUDGET
    assert lengths[0] == 1 and lengths[-1] == length
    gaps = {b - a for a, b in itertools.pairwise(lengths)} or {1}
    assert min(gaps) >= 1 and max(gaps) - min(gaps) <= 1  # rising, and as even as whole steps allow


def test_an_input_up_to_the_cap_unfolds_every_prefix_as_before() -> None:
    predictor = char_predictor()
    name = ("gonzalezanderson" * 4)[:MAX_PREFIXES]
    (encoded,) = predictor.encode([name])
    unfolding = predictor.unfold(name)
    assert unfolding.lengths == list(range(1, MAX_PREFIXES + 1))
    torch.testing.assert_close(
        torch.tensor(unfolding.probabilities), every_prefix(predictor, encoded), rtol=0, atol=SAME_SCORES
    )


def test_a_longer_input_unfolds_the_cap_of_prefixes_the_last_being_the_whole_input() -> None:
    predictor = features_predictor()
    frames = np.random.default_rng(1).normal(size=(300, 5))
    unfolding = predictor.unfold(frames)
    assert prefix_count(300) == MAX_PREFIXES  # one network: the budget pays for the cap
    assert len(unfolding.lengths) == len(unfolding.probabilities) == MAX_PREFIXES
    assert unfolding.lengths[-1] == len(unfolding.steps) == 300
    whole = {p["label"]: p["score"] for p in predictor.predict(frames, top_k=None)}
    assert unfolding.probabilities[-1] == pytest.approx([whole[label] for label in LABELS], abs=SAME_SCORES)
    # every row is its own prefix's answer, whichever chunk of the batch it ran in
    (encoded,) = predictor.encode([frames])
    for i in (0, 17, MAX_PREFIXES - 2):
        alone = predictor.probabilities([encoded[: unfolding.lengths[i]]])[0]
        assert unfolding.probabilities[i] == pytest.approx(alone.tolist(), abs=SAME_SCORES)
    assert json.loads(json.dumps(unfolding.to_dict()))["lengths"] == unfolding.lengths


def test_an_unfolding_made_without_lengths_is_every_prefix() -> None:
    assert Unfolding(["a", "b"], LABELS, [[1.0, 0.0, 0.0]] * 2).lengths == [1, 2]
    with pytest.raises(ValueError, match="3 prefix lengths for 2 rows"):
        Unfolding(["a", "b", "c"], LABELS, [[1.0, 0.0, 0.0]] * 2, lengths=[1, 2, 3])


def test_the_budget_gives_short_inputs_every_point_and_long_ones_fewer_but_one() -> None:
    assert integration_points(8, networks=5) == DEFAULT_IG_STEPS  # a name: the same as before
    assert integration_points(256) == IG_BUDGET // 256  # the sentiment tab's longest input
    assert integration_points(MAX_STEPS) * MAX_STEPS <= IG_BUDGET
    assert integration_points(626, networks=5) == 1  # 10 s of audio, five networks: past the budget


@pytest.mark.parametrize(
    ("cell", "pooling"), [("gru", "max+last"), ("lstm", "mean"), ("rnn", "attention+last")]
)
def test_the_points_a_long_input_gets_still_nearly_add_up_and_match_many_points(
    cell: str, pooling: str
) -> None:
    # The count the budget gives the sentiment tab's longest input (256 words, one network),
    # tried where a 256-point reference is cheap. The midpoint rule's error falls as 1/points^2
    # on a smooth path; the poolings' max and the gates make the path only piecewise smooth,
    # so 16 points stay a few per cent from the reference on these models (measured: <= 5%).
    points = integration_points(256)
    predictor = char_predictor(cell=cell, pooling=pooling)
    (encoded,) = predictor.encode(["gonzalez"])
    reference, logit, baseline_logit = integrated_gradients(predictor.model, encoded, 1, steps=256)
    scores, _, _ = integrated_gradients(predictor.model, encoded, 1, steps=points)
    assert float((scores - reference).norm()) <= 0.1 * float(reference.norm())
    total = abs(logit - baseline_logit)
    assert total > 1e-3
    assert abs(float(scores.sum()) - (logit - baseline_logit)) < 0.05 * total + 1e-3


@pytest.mark.parametrize("ensemble", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_a_click_at_the_step_limit_reads_a_bounded_number_of_steps(ensemble: int, monkeypatch) -> None:
    # Counted where the work is done, in every network's forward pass, not timed: the
    # sequences times the (padded) steps each pass is given, with or without gradients.
    predictor = features_predictor(ensemble)
    forward = SequenceClassifier.forward_embedded
    passes: list[tuple[int, bool]] = []

    def counted(self: SequenceClassifier, embedded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        passes.append((embedded.shape[0] * embedded.shape[1], embedded.requires_grad))
        return forward(self, embedded, lengths)

    monkeypatch.setattr(SequenceClassifier, "forward_embedded", counted)
    prepared = predictor.prepare(np.random.default_rng(3).normal(size=(MAX_STEPS, 5)))

    explanation = predictor.explain(prepared)
    with_gradients = sum(steps for steps, grad in passes if grad)
    assert with_gradients == integration_points(MAX_STEPS, ensemble) * MAX_STEPS * ensemble <= IG_BUDGET
    # and the prediction, the input and the baseline, once each, without gradients
    assert sum(steps for steps, grad in passes if not grad) == 3 * MAX_STEPS * ensemble
    assert len(explanation.scores) == MAX_STEPS

    passes.clear()
    unfolding = predictor.unfold(prepared)
    assert unfolding.lengths[-1] == MAX_STEPS
    assert all(steps <= UNFOLD_CHUNK_STEPS for steps, _ in passes)  # memory: one chunk at a time
    # the prefixes' real steps, where every prefix was MAX_STEPS * (MAX_STEPS + 1) / 2 =
    # 2,098,176 per network; the padded steps the chunks hold, at most the cap's worth
    assert sum(unfolding.lengths) * ensemble <= UNFOLD_BUDGET
    assert sum(steps for steps, _ in passes) <= MAX_PREFIXES * MAX_STEPS * ensemble


def test_the_chart_puts_a_long_inputs_points_at_their_own_prefix_lengths() -> None:
    pytest.importorskip("pandas", reason="the chart's frame needs the ui extra")
    from seqclf.ui import views

    steps = [f"{i / 100:.2f}s" for i in range(300)]
    lengths = prefix_lengths(len(steps), MAX_PREFIXES)
    rows = [[1.0, 0.0, 0.0]] * (len(lengths) - 1) + [[0.0, 1.0, 0.0]]
    frame = views.unfolding_frame(Unfolding(steps, LABELS, rows, lengths))
    beta = frame[frame.label == "Beta"]
    assert beta.step.tolist() == lengths
    assert beta.step_name.iloc[-1] == "300 2.99s"  # the last point is the whole input
    assert beta.probability.tolist()[-2:] == [0.0, 1.0]
