"""Why a model decided, step by step: integrated gradients and prefix ("unfolding") predictions.

**Per-step importance** uses integrated gradients (Sundararajan, Taly & Yan, 2017,
"Axiomatic Attribution for Deep Networks"). The model's first layer turns each step
into a vector (an embedding row for a token, a linear projection of a frame); we walk
in a straight line from a *baseline* input to the real one in that vector space, add
up the gradients of the target class's logit along the way, and multiply by the
distance travelled. Summing over the vector's components gives one score per step.
Why this method:

- *Completeness*: the scores add up to ``logit(input) - logit(baseline)``, so they
  split the model's evidence for the class among the steps; we report the gap left by
  the numerical integral (``delta``) so a caller can see how exact the split is.
- It needs only gradients, which every :class:`~seqclf.model.SequenceClassifier`
  has, unlike attention weights (only some poolings have them, and they say where the
  pooling looked, not what changed the answer).
- Unlike occlusion (delete a step, re-run) it does not feed the model inputs it never
  saw in training, such as a name with a hole in it.

The baseline is the "nothing" input of the same length: every token the padding id
(whose embedding is the zero vector), every frame all zeros (for encoders that
standardise their channels, the training mean). A positive score means the step
pushed the model towards the target class, a negative one away from it.

**Unfolding** asks the model about every prefix: the class probabilities after the
first 1, 2, ..., T steps, in one batched pass. For a bidirectional model a prefix
prediction is what the model would answer *if the input ended there*: its backward
direction reads that prefix only, never the steps still to come, so the curve shows
how the answer forms as the sequence arrives, not what the model "thought" midway
through the full input.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch

from seqclf.ensemble import Classifier
from seqclf.errors import InvalidInputError

if TYPE_CHECKING:
    from seqclf.predictor import Predictor

METHOD = "integrated-gradients"
DEFAULT_IG_STEPS = 64

# cuDNN's RNN kernels only run backward in training mode; explanations switch cuDNN off
# for their own pass, and the switch is process-wide, so GPU explanations take turns.
_CUDNN_SWITCH = threading.Lock()


@dataclass(frozen=True)
class Explanation:
    """Per-step importance for one prediction; :meth:`to_dict` is JSON-ready.

    ``scores[i]`` is step ``steps[i]``'s share of ``logit - baseline_logit`` for
    ``label``; ``delta`` is what the numerical integral left unexplained.
    """

    steps: list[str]
    scores: list[float]
    label: str
    probability: float
    logit: float
    baseline_logit: float
    delta: float
    method: str = METHOD

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Unfolding:
    """Class probabilities after each prefix; ``probabilities[t][c]`` is after ``t + 1`` steps."""

    steps: list[str]
    labels: list[str]
    probabilities: list[list[float]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def _gradients_through(model: Classifier) -> Iterator[None]:
    if next(model.parameters()).device.type != "cuda":
        yield
        return
    with _CUDNN_SWITCH, torch.backends.cudnn.flags(enabled=False):
        yield


def integrated_gradients(
    model: Classifier, encoded: torch.Tensor, target: int, steps: int = DEFAULT_IG_STEPS
) -> tuple[torch.Tensor, float, float]:
    """Attribute ``target``'s logit to the steps of one encoded sequence.

    Returns ``(scores, logit, baseline_logit)``, ``scores`` of shape ``(time,)``. The
    path integral uses the midpoint rule over ``steps`` points, all in one batch.
    """
    if steps < 1:
        raise ValueError("integrated gradients needs at least one step")
    device = next(model.parameters()).device
    inputs = encoded.unsqueeze(0).to(device)
    baseline_inputs = (
        torch.full_like(inputs, model.config.padding_idx)
        if model.config.input_kind == "tokens"
        else torch.zeros_like(inputs)
    )
    length = torch.tensor([encoded.shape[0]])
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            embedded = model.embed(inputs)
            baseline = model.embed(baseline_inputs)
            ends = model.forward_embedded(torch.cat([embedded, baseline]), length.repeat(2))[:, target]
        alphas = ((torch.arange(steps, device=device, dtype=embedded.dtype) + 0.5) / steps).view(-1, 1, 1)
        path = (baseline + alphas * (embedded - baseline)).requires_grad_(True)
        with torch.enable_grad(), _gradients_through(model):
            logits = model.forward_embedded(path, length.repeat(steps))[:, target]
            (gradients,) = torch.autograd.grad(logits.sum(), path)
    finally:
        model.train(was_training)
    scores = ((embedded - baseline)[0] * gradients.mean(dim=0)).sum(dim=-1)
    return scores.detach().float().cpu(), float(ends[0]), float(ends[1])


def _target_index(predictor: Predictor, target: str | int | None, probabilities: torch.Tensor) -> int:
    if target is None:
        return int(probabilities.argmax())
    if isinstance(target, str):
        if target not in predictor.labels:
            raise InvalidInputError(f"unknown label {target!r}: choose one of {', '.join(predictor.labels)}")
        return predictor.labels.index(target)
    if isinstance(target, bool) or not isinstance(target, int) or not 0 <= target < len(predictor.labels):
        raise InvalidInputError(
            f"target must be a label or a class index in [0, {len(predictor.labels)}), got {target!r}"
        )
    return target


@dataclass(frozen=True)
class Prepared:
    """One example encoded once, with its steps' names: what :func:`explain` and :func:`unfold` need.

    A caller that explains, unfolds and checks the length of one input (the UI) prepares
    it once, so an audio file is decoded and turned into frames once, not once for each.
    """

    encoded: torch.Tensor
    steps: list[str]


def prepare(predictor: Predictor, example: Any) -> Prepared:
    """``example`` encoded for ``predictor``'s model, with the names of its steps."""
    if isinstance(example, Prepared):
        return example
    (encoded,) = predictor.encode([example])
    return Prepared(encoded, predictor.encoder.steps(example))


def explain(
    predictor: Predictor, example: Any, target: str | int | None = None, steps: int = DEFAULT_IG_STEPS
) -> Explanation:
    """Per-step importance for ``example`` (or a :class:`Prepared` one) towards ``target``.

    ``target`` defaults to the predicted class.
    """
    prepared = prepare(predictor, example)
    encoded = prepared.encoded
    probabilities = predictor.probabilities([encoded])[0]
    index = _target_index(predictor, target, probabilities)
    scores, logit, baseline_logit = integrated_gradients(predictor.model, encoded, index, steps)
    return Explanation(
        steps=prepared.steps,
        scores=scores.tolist(),
        label=predictor.labels[index],
        probability=float(probabilities[index]),
        logit=logit,
        baseline_logit=baseline_logit,
        delta=logit - baseline_logit - float(scores.sum()),
    )


def unfold(predictor: Predictor, example: Any) -> Unfolding:
    """Class probabilities after each prefix of ``example`` (or a :class:`Prepared` one), in one batch."""
    prepared = prepare(predictor, example)
    prefixes = [prepared.encoded[:t] for t in range(1, len(prepared.encoded) + 1)]
    return Unfolding(
        steps=prepared.steps,
        labels=list(predictor.labels),
        probabilities=predictor.probabilities(prefixes).tolist(),
    )
