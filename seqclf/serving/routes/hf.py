"""``POST /models/{id}``: the Hugging Face Inference API, so ``InferenceClient`` works unchanged.

``InferenceClient(model="http://HOST:PORT/models/ID")`` posts here. Text arrives as
JSON ``{"inputs": "...", "parameters": {...}}`` and is answered with one list per
input (``[[{"label", "score"}, ...]]``, what ``text_classification`` unpacks). Audio
arrives as the raw WAV body when there are no parameters, or as JSON with base64
``inputs`` when there are; one audio input is answered with a flat list, as
``audio_classification`` expects.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from seqclf.serving.deps import ModelDep, SettingsDep
from seqclf.serving.errors import NOT_JSON, is_json
from seqclf.serving.prediction import answer_hf, predict
from seqclf.serving.responses import ORJSONResponse
from seqclf.serving.routes import ERROR_RESPONSES
from seqclf.serving.schemas import HFRequest, LabelScore

#: what huggingface_hub.InferenceClient posts to; the fast path matches the same template
HF_ROUTE = "/models/{model_id}"
router = APIRouter(tags=["hugging face"], responses=ERROR_RESPONSES)

_BODY_SCHEMA = HFRequest.model_json_schema(ref_template="#/components/schemas/{model}")
_BODY_SCHEMA.pop("$defs", None)  # Parameters is already a component, shared with /v1
_OPENAPI_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _BODY_SCHEMA},
            "audio/wav": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _parse(body: bytes, declared_json: bool) -> HFRequest:
    """The JSON request; a body without a JSON content-type is still read as JSON if it is."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as err:
        if declared_json:
            raise HTTPException(400, "the body is not valid JSON") from err
        raise HTTPException(415, NOT_JSON) from err
    try:
        return HFRequest.model_validate(payload)
    except ValidationError as err:
        raise RequestValidationError(err.errors(include_url=False, include_input=False)) from err


@router.post(
    HF_ROUTE,
    summary="Hugging Face Inference API (text and audio classification)",
    openapi_extra=_OPENAPI_BODY,
    response_model=list[list[LabelScore]] | list[LabelScore],
)
async def hf_predict(request: Request, served: ModelDep, settings: SettingsDep) -> ORJSONResponse:
    body = await request.body()
    declared_json = is_json(request.headers.get("content-type"))
    if served.modality.accepts_files and not declared_json:  # the body is the file itself
        return ORJSONResponse((await predict(served, [served.modality.from_bytes(body)], None, settings))[0])
    return ORJSONResponse(await answer_hf(served, _parse(body, declared_json), settings))
