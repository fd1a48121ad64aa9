"""FastAPI dependencies: the settings, the served models, and the optional API key.

All are ``async def``: FastAPI runs a plain ``def`` dependency on its thread pool, a
thread hop per dependency per request that cost more than everything they do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from seqclf.api_key import valid_bearer
from seqclf.serving.registry import ServedModel
from seqclf.serving.settings import ServiceSettings

_bearer = HTTPBearer(auto_error=False, description="Needed only when the server sets SEQCLF_API_KEY.")


async def get_settings(request: Request) -> ServiceSettings:
    return request.app.state.settings


async def get_models(request: Request) -> dict[str, ServedModel]:
    return request.app.state.models


async def get_model(
    model_id: Annotated[str, Path(description="A model id from GET /v1/models.")],
    models: Annotated[dict[str, ServedModel], Depends(get_models)],
) -> ServedModel:
    served = models.get(model_id)
    if served is None:
        raise HTTPException(404, f"unknown model {model_id!r}; this server has: {', '.join(sorted(models))}")
    return served


async def require_api_key(
    request: Request,
    settings: Annotated[ServiceSettings, Depends(get_settings)],
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],  # the OpenAPI security scheme
) -> None:
    """401 unless the bearer token is the configured key (:func:`seqclf.api_key.valid_bearer`,
    the check the fast path and the UI's gate make too)."""
    if settings.api_key is None:
        return
    if not valid_bearer(settings.api_key.get_secret_value(), request.headers.get("authorization")):
        raise HTTPException(
            401,
            "missing or wrong API key: send 'Authorization: Bearer <key>'",
            {"WWW-Authenticate": "Bearer"},
        )


SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
ModelsDep = Annotated[dict[str, ServedModel], Depends(get_models)]
ModelDep = Annotated[ServedModel, Depends(get_model)]
