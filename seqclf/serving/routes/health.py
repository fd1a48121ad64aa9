"""Liveness, readiness and Prometheus metrics: open even when an API key is set."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from seqclf.serving.deps import ModelsDep
from seqclf.serving.errors import error_response

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Every model is loaded and its batcher running",
    responses={503: {"description": "Not ready yet, or a batcher has stopped."}},
)
async def readyz(models: ModelsDep) -> Response:
    stopped = sorted(m.id for m in models.values() if not m.batcher.running)
    if not models or stopped:
        return error_response(503, f"not ready: models not running: {', '.join(stopped) or 'none loaded'}")
    return Response('{"status":"ready"}', media_type="application/json")


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
