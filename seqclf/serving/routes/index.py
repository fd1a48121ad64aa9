"""``GET /``: where to go from here, instead of a bare 404.

A person who opens the server's address in a browser is sent to the demo UI when it is
mounted (``seqclf serve --ui``); anyone else gets a small JSON index of the service.
Open like the health routes: it runs no model and names only public paths.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

router = APIRouter(tags=["operations"])


@router.get("/", summary="An index of the service (browsers go to the UI when there is one)")
async def index(request: Request) -> Response:
    ui = getattr(request.app.state, "ui_path", None)
    if ui and "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(ui.rstrip("/") + "/", status_code=307)
    return JSONResponse(
        {
            "service": "seqclf",
            "models": "/v1/models",
            "predict": "/v1/models/{model_id}/predict",
            "hf_inference_api": "/models/{model_id}",
            "docs": "/docs",
            "health": "/healthz",
            **({"ui": ui.rstrip("/") + "/"} if ui else {}),
        }
    )
