"""The service's side of a prediction: the request bodies' shapes in, the answers' shapes out.

What happens to the inputs in between (counted, encoded, checked, batched through the
model's :class:`~seqclf.inference.batcher.DynamicBatcher`, answered) is the one request
path every door shares, :mod:`seqclf.inference.requests`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seqclf.inference.predictor import Prediction
from seqclf.inference.requests import answer_async
from seqclf.serving.registry import ServedModel
from seqclf.serving.schemas import HFRequest, PredictRequest, is_one_input
from seqclf.serving.settings import ServiceSettings


async def predict(
    served: ServedModel, inputs: Sequence[Any], top_k: int | None, settings: ServiceSettings
) -> list[Prediction]:
    """Predictions for raw ``inputs`` (already decoded from the request), one list each."""
    return await answer_async(served.predictor, inputs, top_k, settings.limits, served.batcher.submit)


async def predict_json(
    served: ServedModel, inputs: Sequence[Any], top_k: int | None, settings: ServiceSettings
) -> list[Prediction]:
    """:func:`predict` for inputs as JSON carries them (audio as base64; the schema caps their count)."""
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
