"""One prediction request, whichever route it came by: limit, encode, batch, shape.

Encoding (which for audio means reading a WAV) runs on a worker thread so a slow
input never stalls the event loop; the forward pass goes through the model's
:class:`~seqclf.serving.batcher.DynamicBatcher`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from starlette.concurrency import run_in_threadpool

from seqclf.errors import InvalidInputError
from seqclf.inference.predictor import Prediction
from seqclf.serving.errors import count_message
from seqclf.serving.registry import ServedModel
from seqclf.serving.schemas import HFRequest, PredictRequest, is_one_input
from seqclf.serving.settings import ServiceSettings


def check_count(count: int, settings: ServiceSettings) -> None:
    if count > settings.max_inputs:
        raise InvalidInputError(count_message(count, settings.max_inputs))


def check_encoded(encoded: Sequence[torch.Tensor], settings: ServiceSettings) -> None:
    """Refuse what the encoder let through but the model should not see."""
    for i, sequence in enumerate(encoded):
        if len(sequence) == 0:
            raise InvalidInputError(f"input {i} has nothing the model can read")
        if len(sequence) > settings.max_steps:
            raise InvalidInputError(
                f"input {i} is {len(sequence)} steps long; this server takes at most {settings.max_steps}"
            )
        if sequence.is_floating_point() and not bool(torch.isfinite(sequence).all()):
            raise InvalidInputError(f"input {i} has values too large for the model (beyond 32-bit floats)")


async def predict(
    served: ServedModel, inputs: Sequence[Any], top_k: int | None, settings: ServiceSettings
) -> list[Prediction]:
    """Predictions for raw ``inputs`` (already decoded from the request), one list each."""
    check_count(len(inputs), settings)
    if served.modality.costly_to_encode:  # e.g. reading WAVs and their MFCCs: off the event loop
        encoded = await run_in_threadpool(served.predictor.encode, inputs)
    else:  # strings and matrices encode in microseconds, less than a thread hop costs
        encoded = served.predictor.encode(inputs)
    check_encoded(encoded, settings)
    probabilities = await served.batcher.submit(encoded)
    return served.predictor.top(probabilities, top_k)


async def predict_json(
    served: ServedModel, inputs: Sequence[Any], top_k: int | None, settings: ServiceSettings
) -> list[Prediction]:
    """:func:`predict` for inputs as JSON carries them (audio as base64)."""
    check_count(len(inputs), settings)
    decoded = [served.modality.from_json(item, i) for i, item in enumerate(inputs)]
    return await predict(served, decoded, top_k, settings)


async def answer_v1(served: ServedModel, body: PredictRequest, settings: ServiceSettings) -> dict[str, Any]:
    """The body of ``POST /v1/models/{id}/predict``: ``{"model", "predictions"}``."""
    predictions = await predict_json(served, body.inputs, body.parameters.top_k, settings)
    return {"model": served.id, "predictions": predictions}


async def answer_hf(served: ServedModel, payload: HFRequest, settings: ServiceSettings) -> Any:
    """The body of ``POST /models/{id}`` for JSON: one list per input, or one flat list for
    a single input where the modality answers so (``Modality.flat_single_answer``)."""
    single = is_one_input(payload.inputs)
    inputs = [payload.inputs] if single else payload.inputs
    predictions = await predict_json(served, inputs, payload.parameters.top_k, settings)
    return predictions[0] if single and served.modality.flat_single_answer else predictions
