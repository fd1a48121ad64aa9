"""FastAPI dependencies: the settings, the served models, and the optional API key.

All are ``async def``: FastAPI runs a plain ``def`` dependency on its thread pool, a
thread hop per dependency per request that cost more than everything they do.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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
    settings: Annotated[ServiceSettings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the bearer token matches the configured key (compared in constant time)."""
    if settings.api_key is None:
        return
    expected = settings.api_key.get_secret_value().encode()
    given = credentials.credentials.encode() if credentials is not None else b""
    if credentials is None or not hmac.compare_digest(given, expected):
        raise HTTPException(
            401,
            "missing or wrong API key: send 'Authorization: Bearer <key>'",
            {"WWW-Authenticate": "Bearer"},
        )


SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
ModelsDep = Annotated[dict[str, ServedModel], Depends(get_models)]
ModelDep = Annotated[ServedModel, Depends(get_model)]
