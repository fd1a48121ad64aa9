"""Build the FastAPI app from :class:`ServiceSettings`; ``service/app.py`` deploys it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.types import Receive, Scope, Send

from seqclf.install import VERSION
from seqclf.serving.deps import require_api_key
from seqclf.serving.docs import add_offline_docs
from seqclf.serving.errors import install_error_handlers
from seqclf.serving.hotpath import HotPath
from seqclf.serving.limits import BodyLimitMiddleware
from seqclf.serving.metrics import Metrics, MetricsMiddleware
from seqclf.serving.registry import ServedModel, load_models
from seqclf.serving.routes import health, hf, index, models
from seqclf.serving.settings import ServiceSettings
from seqclf.threads import apply_threads, choose_threads

logger = logging.getLogger("seqclf.serving")

DESCRIPTION = """Predictions from seqclf recurrent sequence classifiers.

Concurrent requests for one model are batched into one forward pass. `POST /models/{model_id}`
speaks the Hugging Face Inference API, so `huggingface_hub.InferenceClient` works against it.
Errors are JSON `{"error": message}`."""


class ServiceApp(FastAPI):
    """FastAPI, with well-formed JSON predictions answered in front of its middleware and router.

    See :mod:`seqclf.serving.hotpath`; every other request, and every invalid one, is
    FastAPI's as before.
    """

    hot: HotPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and self.hot is not None:
            receive = await self.hot(scope, receive, send)
            if receive is None:
                return
        await super().__call__(scope, receive, send)


def create_app(
    settings: ServiceSettings | None = None, served: dict[str, ServedModel] | None = None
) -> FastAPI:
    """The service app; models load at startup unless already loaded ones are passed in."""
    settings = settings or ServiceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # SEQCLF_TORCH_THREADS, else OMP_NUM_THREADS, else the CPUs free of other work
        said = apply_threads(choose_threads(settings.torch_threads))
        if said:
            logger.info(said)
        app.state.models = served if served is not None else load_models(settings)
        app.state.metrics.watch(app.state.models.values())
        for model in app.state.models.values():
            await model.batcher.start()
        logger.info("serving %s", ", ".join(app.state.models))
        try:
            yield
        finally:
            for model in app.state.models.values():
                await model.batcher.stop()

    app = ServiceApp(
        title="seqclf inference service",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from local assets below, not a CDN
        redoc_url=None,
    )
    add_offline_docs(app)
    app.state.settings = settings
    app.state.models = {}
    app.state.metrics = Metrics()
    app.hot = HotPath(app.state)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.include_router(index.router)
    app.include_router(health.router)
    # Only a server with a key asks for one, so its OpenAPI schema says so and no other does.
    protected = [Depends(require_api_key)] if settings.api_key is not None else []
    app.include_router(models.router, dependencies=protected)
    app.include_router(hf.router, dependencies=protected)
    return app
