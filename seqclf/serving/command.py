"""``seqclf serve``: load the models, then run the service under uvicorn.

Models load before uvicorn starts, so a wrong path or repo id ends the command
with a one-line error instead of a traceback from inside the server's startup.
Flags win over ``SEQCLF_*`` environment variables; the API key is read from
``SEQCLF_API_KEY`` only, so it never shows in a process list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from seqclf.errors import SeqclfError


def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    model: Annotated[
        list[str] | None,
        typer.Option(
            help="ID=PATH_OR_REPO, or ID=REPO@REVISION; repeat for more "
            "(default: every model folder in --models-dir)."
        ),
    ] = None,
    models_dir: Annotated[
        Path | None, typer.Option(help="Folder of model folders (default: models).")
    ] = None,
    max_batch_size: Annotated[int | None, typer.Option(help="Most inputs per forward pass.")] = None,
    max_wait_ms: Annotated[
        float | None, typer.Option(help="How long an input waits for others to share its forward pass.")
    ] = None,
    device: Annotated[
        str | None, typer.Option(help="cpu, cuda or cuda:N (default: CUDA when available).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve models over HTTP: REST, Hugging Face Inference API, metrics (see docs/serving.md)."""
    try:
        import uvicorn
        from pydantic import ValidationError

        from seqclf.serving.app import create_app
        from seqclf.serving.registry import load_models
        from seqclf.serving.settings import ServiceSettings
    except ImportError as err:
        typer.secho(f"error: {err.name} is missing: pip install 'seqclf[serve]'", err=True, fg="red")
        raise typer.Exit(code=2) from None

    given: dict[str, Any] = {
        "models": model or None,
        "models_dir": models_dir,
        "max_batch_size": max_batch_size,
        "max_wait_ms": max_wait_ms,
        "device": device,
    }
    try:
        settings = ServiceSettings(**{k: v for k, v in given.items() if v is not None})
        served = load_models(settings)
    except (SeqclfError, ValidationError) as err:
        typer.secho(f"error: {err}", err=True, fg="red")
        raise typer.Exit(code=2) from None
    uvicorn.run(create_app(settings, served), host=host, port=port, log_level=log_level)
