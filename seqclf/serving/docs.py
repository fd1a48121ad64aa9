"""``/docs``: Swagger UI served from the installed package, so the docs work offline.

FastAPI's default docs page loads Swagger UI's script and stylesheet from a CDN, which
leaves a blank page on an air-gapped server. The ``swagger-ui-bundle-v2`` package ships
Swagger UI 5 (which reads the OpenAPI 3.1 that FastAPI writes); its files are mounted
under ``/docs/assets`` and the page points there (FastAPI documents this way of
self-hosting the docs' assets).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"


def add_offline_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (create the app with ``docs_url=None``) from local assets."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: API docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
