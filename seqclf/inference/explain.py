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
- It needs only gradients, which every :class:`~seqclf.network.model.SequenceClassifier`
  has, unlike attention weights (only some poolings have them, and they say where the
  pooling looked, not what changed the answer).
- Unlike occlusion (delete a step, re-run) it does not feed the model inputs it never
  saw in training, such as a name with a hole in it.

The baseline is the "nothing" input of the same length: every token the padding id
(whose embedding is the zero vector), every frame all zeros (for encoders that
standardise their channels, the training mean). A positive score means the step
pushed the model towards the target class, a negative one away from it.

**Unfolding** asks the model about prefixes: the class probabilities after the first
1, 2, ..., T steps (every prefix of a short input, evenly spaced ones of a long one; see
below). For a bidirectional model a prefix prediction is what the model would answer
*if the input ended there*: its backward direction reads that prefix only, never the
steps still to come, so the curve shows how the answer forms as the sequence arrives,
not what the model "thought" midway through the full input.

**Bounded work.** Both answers run the model over many sequences, and done naively
their work grows with the square of the input's length ``T``: every prefix is
``1 + 2 + ... + T`` steps, and 64 integration points of ``T`` steps each also carry a
backward pass. One click at the demo's longest input then held a CPU for a minute or
more (``benchmarks/ui_click_cost.py``), so a visitor with a loop could take the demo
down. Each answer therefore has a budget in *network-steps* (one step of one sequence
through one network of an ensemble, all its layers), the unit the recurrence's cost
grows with; an ensemble of five pays five per step:

- Integrated gradients takes ``clamp(IG_BUDGET // (T * networks), 1, 64)``
  interpolation points (:func:`integration_points`): all 64 for a name or a review
  of everyday length, 19 to 45 for the bundled spoken digits (five networks), fewer
  for longer inputs, down to one (the gradient half-way along the path times
  the input's distance from the baseline). Fewer points make the integral coarser, never the split dishonest:
  ``delta`` still reports what the scores leave unexplained. The points run as one
  batch: the budget that bounds their work bounds their memory too, and splitting the
  batch would pay the recurrence's per-step overhead once per piece.
- An unfolding asks about every prefix of an input of up to :data:`MAX_PREFIXES`
  steps, exactly as before; of a longer one, evenly spaced prefix lengths from 1 to
  ``T``, the whole input always among them, as many as :data:`UNFOLD_BUDGET` pays for
  but at most :data:`MAX_PREFIXES` (:func:`prefix_count`; :attr:`Unfolding.lengths`
  says which). 64 points show how the answer forms as well as a thousand do on a chart
  a few hundred pixels wide. The prefixes go through the model in chunks of at most
  :data:`UNFOLD_CHUNK_STEPS` padded steps, so memory stays bounded too.

The budgets are set so that one demo click at each shipped model's longest input costs
under 1.5 s of CPU on a 2-core machine with one torch thread (``docs/ui.md`` has the
table, and what two threads cost). Offline, where time is no one else's, ``steps=64`` for :func:`explain` and
``prefixes=len(input)`` for :func:`unfold` ask for the full answers at any length.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from seqclf.errors import InvalidInputError
from seqclf.network.ensemble import Classifier

if TYPE_CHECKING:
    from seqclf.inference.predictor import Predictor

METHOD = "integrated-gradients"
#: integration points of an explanation whose input is short enough for all of them
DEFAULT_IG_STEPS = 64
#: network-steps (points x length x networks) the integration points may cost together
IG_BUDGET = 4096
#: the most prefixes an unfolding asks about; up to this length, every one of them
MAX_PREFIXES = 64
#: network-steps (the prefixes' steps together x networks) an unfolding of a longer input may cost
UNFOLD_BUDGET = 32768
#: the most padded steps (prefixes x the longest of them) one forward batch of an unfolding holds
UNFOLD_CHUNK_STEPS = 8192

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
    """Class probabilities after some prefixes; ``probabilities[i][c]`` is after ``lengths[i]`` steps.

    ``lengths`` rises from 1 to ``len(steps)``: every length for an input of up to
    :data:`MAX_PREFIXES` steps, evenly spaced ones for a longer input. Left out, it is
    every length from 1 to ``len(probabilities)``.
    """

    steps: list[str]
    labels: list[str]
    probabilities: list[list[float]]
    lengths: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.lengths:
            object.__setattr__(self, "lengths", list(range(1, len(self.probabilities) + 1)))
        if len(self.lengths) != len(self.probabilities):
            raise ValueError(f"{len(self.lengths)} prefix lengths for {len(self.probabilities)} rows")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def _gradients_through(model: Classifier) -> Iterator[None]:
    if next(model.parameters()).device.type != "cuda":
        yield
        return
    with _CUDNN_SWITCH, torch.backends.cudnn.flags(enabled=False):
        yield


def network_count(model: Classifier) -> int:
    """How many networks read every step: the ensemble's size, or 1."""
    return model.config.ensemble


def integration_points(length: int, networks: int = 1, budget: int = IG_BUDGET) -> int:
    """How many points integrated gradients takes for an input of ``length`` steps.

    As many as ``budget`` network-steps pay for, between 1 and :data:`DEFAULT_IG_STEPS`.
    """
    return max(1, min(DEFAULT_IG_STEPS, budget // (length * networks)))


def integrated_gradients(
    model: Classifier, encoded: torch.Tensor, target: int, steps: int = DEFAULT_IG_STEPS
) -> tuple[torch.Tensor, float, float]:
    """Attribute ``target``'s logit to the steps of one encoded sequence.

    Returns ``(scores, logit, baseline_logit)``, ``scores`` of shape ``(time,)``. The
    path integral uses the midpoint rule over ``steps`` points, all in one batch: its
    work is ``steps * time * networks`` network-steps, which :func:`explain` keeps
    within :data:`IG_BUDGET`.
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
    """``example`` encoded for ``predictor``'s model, with the names of its steps.

    One input, so the encoder's refusal is said as it is: a batch's ``input 0:`` would
    point at a position the caller never gave (the demo shows this message to people).
    """
    if isinstance(example, Prepared):
        return example
    encoded = predictor.encoder.encode(example)
    return Prepared(encoded, predictor.encoder.steps(example))


def explain(
    predictor: Predictor, example: Any, target: str | int | None = None, steps: int | None = None
) -> Explanation:
    """Per-step importance for ``example`` (or a :class:`Prepared` one) towards ``target``.

    ``target`` defaults to the predicted class; ``steps``, the integration points, to
    what :data:`IG_BUDGET` pays for at this length (:func:`integration_points`).
    """
    prepared = prepare(predictor, example)
    encoded = prepared.encoded
    probabilities = predictor.probabilities([encoded])[0]
    index = _target_index(predictor, target, probabilities)
    if steps is None:
        steps = integration_points(len(encoded), network_count(predictor.model))
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


def prefix_count(length: int, networks: int = 1, budget: int = UNFOLD_BUDGET) -> int:
    """How many prefixes an unfolding of an input of ``length`` steps asks about.

    Every one up to :data:`MAX_PREFIXES` steps. Beyond, as many evenly spaced ones as
    ``budget`` network-steps pay for (they average ``(length + 1) / 2`` steps), between
    2 (the first step and the whole input) and :data:`MAX_PREFIXES`.
    """
    if length <= MAX_PREFIXES:
        return length
    return max(2, min(MAX_PREFIXES, 2 * budget // ((length + 1) * networks)))


def prefix_lengths(length: int, count: int) -> list[int]:
    """``count`` prefix lengths from 1 to ``length``, evenly spaced; every one if ``count >= length``."""
    if count >= length:
        return list(range(1, length + 1))
    if count < 2:
        raise ValueError("an unfolding of a longer input needs at least two prefixes: 1 and the full length")
    # the spacing (length - 1) / (count - 1) exceeds 1, so no two lengths coincide
    return [1 + k * (length - 1) // (count - 1) for k in range(count)]


def _chunks(lengths: list[int], max_steps: int) -> Iterator[list[int]]:
    """``lengths`` (rising) cut, longest first, into runs whose count times longest is at most
    ``max_steps``, or a single length where that alone is longer."""
    chunk: list[int] = []
    for length in reversed(lengths):
        if chunk and (len(chunk) + 1) * chunk[0] > max_steps:
            yield chunk
            chunk = []
        chunk.append(length)
    if chunk:
        yield chunk


def unfold(predictor: Predictor, example: Any, prefixes: int | None = None) -> Unfolding:
    """Class probabilities after prefixes of ``example`` (or a :class:`Prepared` one).

    ``prefixes`` evenly spaced ones (every one if that is at least the length), by
    default what :data:`UNFOLD_BUDGET` pays for at this length (:func:`prefix_count`);
    they run in chunks of at most :data:`UNFOLD_CHUNK_STEPS` padded steps.
    """
    prepared = prepare(predictor, example)
    length = len(prepared.encoded)
    if prefixes is None:
        prefixes = prefix_count(length, network_count(predictor.model))
    lengths = prefix_lengths(length, prefixes)
    rows: dict[int, list[float]] = {}
    for chunk in _chunks(lengths, UNFOLD_CHUNK_STEPS):
        chunk_rows = predictor.probabilities([prepared.encoded[:t] for t in chunk]).tolist()
        rows.update(zip(chunk, chunk_rows, strict=True))
    return Unfolding(
        steps=prepared.steps,
        labels=list(predictor.labels),
        probabilities=[rows[t] for t in lengths],
        lengths=lengths,
    )
