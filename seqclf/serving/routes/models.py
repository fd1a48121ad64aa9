"""``/v1/models``: list the models and predict with one of them (JSON or WAV upload)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile

from seqclf.serving.deps import ModelDep, ModelsDep, SettingsDep
from seqclf.serving.prediction import answer_v1, predict
from seqclf.serving.responses import ORJSONResponse
from seqclf.serving.routes import ERROR_RESPONSES
from seqclf.serving.schemas import ModelList, PredictRequest, PredictResponse

PREFIX = "/v1/models"
#: the route most requests take; the fast path (seqclf.serving.hotpath) matches the same template
PREDICT_ROUTE = PREFIX + "/{model_id}/predict"
router = APIRouter(prefix=PREFIX, tags=["models"], responses=ERROR_RESPONSES)


@router.get("", summary="The models this server holds")
async def list_models(models: ModelsDep) -> ModelList:
    return ModelList.model_validate({"models": [m.describe() for m in models.values()]})


@router.post(
    PREDICT_ROUTE.removeprefix(PREFIX),
    summary="Predict labels for one or more inputs",
    response_model=PredictResponse,
)
async def predict_inputs(body: PredictRequest, served: ModelDep, settings: SettingsDep) -> ORJSONResponse:
    return ORJSONResponse(await answer_v1(served, body, settings))


@router.post(
    "/{model_id}/predict/files",
    summary="Predict labels for uploaded WAV files (audio models)",
    response_model=PredictResponse,
)
async def predict_files(
    files: Annotated[list[UploadFile], File(description="One or more WAV files, each answered separately.")],
    served: ModelDep,
    settings: SettingsDep,
    top_k: Annotated[int | None, Form(ge=1, description="Labels per file; all when omitted.")] = None,
) -> ORJSONResponse:
    if not served.modality.accepts_files:
        raise HTTPException(
            415, f"model {served.id!r} takes {served.modality.name}, not audio files: use /predict"
        )
    audio = [served.modality.from_bytes(await upload.read(), i) for i, upload in enumerate(files)]
    predictions = await predict(served, audio, top_k, settings)
    return ORJSONResponse({"model": served.id, "predictions": predictions})
