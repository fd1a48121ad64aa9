"""The float tolerances the tests compare with, each named for what it protects.

Float32 results differ in their last bits between CPUs (AMD and Intel kernels), BLAS
builds, thread counts and batch sizes: a batch pads its inputs, which changes the shapes
of the matrix products and so the order of their sums. None of that is a bug, so no test
compares computed floats with ``==``. The exceptions are named where they stand: the
resume test needs bit-exact weights and keeps the conditions that give them (the same
machine, process layout and thread count), and a few tests compare a value with a copy of
itself (saved and reloaded, or sent through JSON) where the bits must survive.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

#: Probabilities of one input computed by two paths (alone or in a batch, by REST, the HF
#: route, the CLI or the UI against ``Predictor.predict``). Softmax outputs lie in [0, 1];
#: float32 carries about 7 significant digits, so last-bit differences in the logits move
#: a probability by ~1e-7. 1e-6 allows for that and still catches any change of model,
#: input handling or label order.
SAME_SCORES = 1e-6

#: Logits and attributions of the tests' tiny models (magnitudes about 1, sums over a few
#: dozen terms): reordered float32 sums agree to ~1e-6; 1e-5 is the bound we hold them to.
SAME_LOGITS = 1e-5

#: A metric that training recorded, read back (e.g. from config.json) or recomputed on the
#: same predictions: a ratio of counts, so any flipped prediction moves it by 1/n >= 1e-4.
SAME_METRIC = 1e-9

#: Probabilities of one input from ONNX Runtime and from ``Predictor`` (PyTorch). The two
#: run the same float32 arithmetic with different kernels (GEMM blocking, fused gates,
#: exp/tanh approximations), so the recurrences' last bits drift apart over the steps;
#: the differences measured here are below 1e-7. 1e-5 allows for that and for longer
#: sequences, while the test models' answers move by over 1e-2 from input to input
#: (each comparison checks this), so a wrong gate order, bias, mask or average shows.
ONNX_SCORES = 1e-5


def assert_same_predictions(got: Sequence[dict], expected: Sequence[dict], atol: float = SAME_SCORES) -> None:
    """``got`` is ``expected`` (or its top-k) label by label and score by score within ``atol``.

    Two labels whose scores are within ``atol`` of each other may come out in either order,
    and a top-k cut may pick either of them; anything else must match.
    """
    reference = {p["label"]: p["score"] for p in expected}
    labels = [p["label"] for p in got]
    assert len(set(labels)) == len(labels), f"a label appears twice: {labels}"
    assert set(labels) <= set(reference), f"labels {set(labels) - set(reference)} are not expected"
    for p in got:
        assert abs(p["score"] - reference[p["label"]]) <= atol, (
            f"{p['label']}: {p['score']} vs {reference[p['label']]} (tolerance {atol})"
        )
    scores = [p["score"] for p in got]
    assert all(a >= b for a, b in pairwise(scores)), "scores are not sorted"
    left_out = [score for label, score in reference.items() if label not in labels]
    if got and left_out:
        assert min(scores) >= max(left_out) - atol, "the top-k cut left out a higher-scoring label"


def assert_same_prediction_lists(got: Sequence[Sequence[dict]], expected: Sequence[Sequence[dict]]) -> None:
    """One :func:`assert_same_predictions` per input, and as many inputs."""
    assert len(got) == len(expected)
    for one, reference in zip(got, expected, strict=True):
        assert_same_predictions(one, reference)
