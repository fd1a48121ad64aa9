"""One request, whichever door it came through: counted, encoded, checked, run, answered.

Inputs reach a model by five doors: the REST route and its fast path, the Hugging Face
route, the demo UI and ``seqclf predict``. Each door only decodes its own wire format
(JSON, an upload, a widget's value, a line of a file: the model's modality says how) and
then hands the raw inputs here, so that the limits, the checks and the error a user
reads are the same at every door:

1. :func:`check_count`: no more inputs than the limits allow, refused before any work;
2. :func:`check_steps`: each input encoded by the model's encoder
   (:meth:`Predictor.encode`), then refused if it has no step, more steps than allowed, or
   values beyond 32-bit floats; the error names the input's position;
3. the forward pass: in one batch here (:func:`answer`), or through the service's
   batcher, which joins concurrent requests (:func:`answer_async`);
4. :meth:`Predictor.top`: each input's ``{"label", "score"}`` list, best first.

Encoding audio means decoding a WAV and computing its frames, milliseconds of work, so
the asynchronous path does it on a worker thread and keeps the event loop free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from seqclf.errors import InvalidInputError, SeqclfError
from seqclf.inference.predictor import Prediction, Predictor
from seqclf.limits import MAX_INPUTS, MAX_STEPS


@dataclass(frozen=True)
class Limits:
    """What one request may ask of a model; ``None``: no limit beyond the encoder's own.

    The service and the UI take theirs from the operator's settings (defaults in
    :mod:`seqclf.limits`); ``seqclf predict`` runs on the user's own machine, without.
    """

    max_inputs: int | None = MAX_INPUTS
    max_steps: int | None = MAX_STEPS


#: for a user's own inputs on their own machine
NO_LIMITS = Limits(max_inputs=None, max_steps=None)


def count_message(count: int, max_inputs: int) -> str:
    """The refusal of a request of ``count`` inputs, more than ``max_inputs``, at every door."""
    return f"{count:,} inputs in one request; this server takes at most {max_inputs}: split them over several requests"


def check_count(count: int, limits: Limits) -> None:
    if limits.max_inputs is not None and count > limits.max_inputs:
        raise InvalidInputError(count_message(count, limits.max_inputs))


def check_steps(sequence: torch.Tensor, limits: Limits, what: str = "the input") -> None:
    """Refuse what the encoder let through but the model should not see; ``what`` names the input."""
    if len(sequence) == 0:
        raise InvalidInputError(f"{what} has nothing the model can read")
    if limits.max_steps is not None and len(sequence) > limits.max_steps:
        raise InvalidInputError(
            f"{what} is {len(sequence)} steps long; this server takes at most {limits.max_steps}"
        )
    if sequence.is_floating_point() and not bool(torch.isfinite(sequence).all()):
        raise InvalidInputError(f"{what} has values too large for the model (beyond 32-bit floats)")


def _encoded(predictor: Predictor, inputs: Sequence[Any], limits: Limits) -> list[torch.Tensor]:
    encoded = predictor.encode(inputs)  # an encoder's refusal names the input's position
    for i, sequence in enumerate(encoded):
        check_steps(sequence, limits, f"input {i}")
    return encoded


def encode(predictor: Predictor, inputs: Sequence[Any], limits: Limits) -> list[torch.Tensor]:
    """Every input of a request, counted, encoded and checked (the first problem is raised)."""
    check_count(len(inputs), limits)
    return _encoded(predictor, inputs, limits)


def encode_each(
    predictor: Predictor,
    inputs: Iterable[Any],
    limits: Limits,
    read: Callable[[Any], Any] | None = None,
) -> list[torch.Tensor | str]:
    """Each input encoded and checked on its own: its sequence, or the one line saying why not.

    For a user's own data in bulk (``seqclf predict --input``, a Spark column), where one
    bad input must cost only its own answer. ``read`` turns what arrives (a line of a
    file, a cell of a table) into the encoder's input and may refuse it, as the encoder may.
    """
    encoded: list[torch.Tensor | str] = []
    for value in inputs:
        try:
            sequence = predictor.encoder.encode(read(value) if read else value)
            check_steps(sequence, limits)
            encoded.append(sequence)
        except SeqclfError as err:
            encoded.append(str(err))
    return encoded


def answer_each(
    predictor: Predictor, encoded: Sequence[torch.Tensor | str], top_k: int | None
) -> list[Prediction | str]:
    """:func:`encode_each`'s inputs answered: the sequences in one forward pass, the refusals as they are."""
    sequences = [e for e in encoded if isinstance(e, torch.Tensor)]
    rows = iter(predictor.top(predictor.probabilities(sequences), top_k) if sequences else [])
    return [next(rows) if isinstance(e, torch.Tensor) else e for e in encoded]


def answer(
    predictor: Predictor, inputs: Sequence[Any], top_k: int | None, limits: Limits
) -> list[Prediction]:
    """The predictions for a request, in one forward pass in this thread."""
    return predictor.top(predictor.probabilities(encode(predictor, inputs, limits)), top_k)


async def answer_async(
    predictor: Predictor,
    inputs: Sequence[Any],
    top_k: int | None,
    limits: Limits,
    forward: Callable[[list[torch.Tensor]], Awaitable[torch.Tensor]],
) -> list[Prediction]:
    """The predictions for a request, with ``forward`` (a batcher's ``submit``) running the model."""
    check_count(len(inputs), limits)  # before a thread is taken for the encoding
    if predictor.modality.costly_to_encode:
        encoded = await asyncio.to_thread(_encoded, predictor, inputs, limits)
    else:  # strings and matrices encode in microseconds, less than a thread hop costs
        encoded = _encoded(predictor, inputs, limits)
    return predictor.top(await forward(encoded), top_k)
