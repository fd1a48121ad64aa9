"""``GET /`` and ``GET /favicon.ico``: what a browser asks a server's root for, instead of a bare 404.

A person who opens the server's address in a browser is sent to the demo UI when it is
mounted (``seqclf serve --ui``); anyone else gets a small JSON index of the service.
Every browser also asks for ``/favicon.ico``, whatever the page: it gets seqclf's icon (a
real ICO from the package's data, so the tab shows it and the access log no 404), not a
204, which would only silence the log. Open like the health routes: they run no model
and name only public paths.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

router = APIRouter(tags=["operations"])

#: 16, 32 and 48 px: a sequence of steps read in order, the last one deciding
FAVICON = files("seqclf.serving").joinpath("favicon.ico").read_bytes()


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    return Response(FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})


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
