"""``seqclf serve``: load the models, then run the service under uvicorn.

Models load before uvicorn starts, so a wrong path or repo id ends the command
with a one-line error instead of a traceback from inside the server's startup.
Flags win over ``SEQCLF_*`` environment variables; the API key is read from
``SEQCLF_API_KEY`` only, so it never shows in a process list.

On a CPU the command starts one server process per usable CPU, at most
:data:`AUTO_WORKERS`: the forward pass of these small networks leaves most of a
request's cost in HTTP, JSON and validation, which one interpreter (one GIL) cannot
overlap with the model, so a second process on a second core buys what a second torch
thread cannot (the measurements are in docs/serving.md, "Benchmark"). Each process holds
its own copy of the models, hence the cap; ``--workers 1`` keeps one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from seqclf.cli.flags import field_values, with_fields
from seqclf.cli.support import fail
from seqclf.errors import SeqclfError
from seqclf.install import pip_install
from seqclf.threads import choose_threads, usable_cpus
from seqclf.ui.visitor_models import DEFAULT_MAX_DOWNLOAD_BYTES

if TYPE_CHECKING:
    from seqclf.serving.settings import ServiceSettings

#: most server processes chosen without --workers (each holds its own copy of the models)
AUTO_WORKERS = 4
#: settings whose flag has another name: --model ID=SOURCE, repeated
FLAG_NAMES = {"models": "model"}
#: settings that are not flags: a flag shows in process lists
NOT_FLAGS = {"api_key"}


def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    workers: Annotated[
        int | None,
        typer.Option(
            help="Server processes, each with its own copy of the models, batcher and torch threads "
            f"(default: one per usable CPU, at most {AUTO_WORKERS}; one with --ui or a GPU; see docs/serving.md).",
            min=1,
        ),
    ] = None,
    ui: Annotated[
        bool, typer.Option("--ui/--no-ui", help="Also serve the Gradio demo at /ui (needs seqclf\\[ui]).")
    ] = False,
    examples_dir: Annotated[Path, typer.Option(help="The demo's example inputs (with --ui).")] = Path(
        "examples"
    ),
    ui_model_source: Annotated[
        Literal["off", "hub", "any"],
        typer.Option(
            help="With --ui: what visitors may load in a tab's Model source box. off: only the "
            "models served here; hub: Hub repo ids only (never server paths), up to --ui-max-download-mb; "
            "any: server folders too (trusted networks only).",
        ),
    ] = "off",
    ui_max_download_mb: Annotated[
        float, typer.Option(help="With --ui-model-source hub: the largest model a visitor may load.", min=0)
    ] = DEFAULT_MAX_DOWNLOAD_BYTES / 2**20,
    **flags: Any,
) -> None:
    """Serve models over HTTP: REST, Hugging Face Inference API, metrics (see docs/serving.md).

    Every setting of the service is a flag here (made from ``ServiceSettings``) and a
    ``SEQCLF_*`` variable; a flag wins. The API key is a variable only.
    """
    try:
        import uvicorn
        from pydantic import ValidationError

        from seqclf.serving.app import create_app
        from seqclf.serving.registry import load_models
        from seqclf.serving.settings import ServiceSettings
    except ImportError as err:
        raise fail(f"{err.name} is missing: {pip_install('serve')}") from None

    given: dict[str, Any] = field_values(flags, FLAG_NAMES)
    try:
        settings = ServiceSettings(**given)
        chosen = workers is None
        workers = workers or _choose_workers(settings, ui)
        settings = _choose_threads(settings, workers)
        served = load_models(settings)
    except ValidationError as err:
        raise fail(_describe(err, given)) from None
    except SeqclfError as err:
        raise fail(err) from None
    if workers > 1:
        if ui:
            raise fail("--ui runs in one process: drop --workers, or serve the UI apart")
        del served  # checked; each worker loads its own copy from the same settings
        if chosen:
            typer.echo(
                f"serving from {workers} processes, one per usable CPU (at most {AUTO_WORKERS}), "
                "each with its own copy of the models; --workers 1 for one"
            )
        given["torch_threads"] = settings.torch_threads
        _settings_to_environment(given)
        uvicorn.run(
            "seqclf.serving.app:create_app",
            factory=True,
            host=host,
            port=port,
            log_level=log_level,
            workers=workers,
        )
        return
    app = create_app(settings, served)
    if ui:
        app = _with_ui(app, served, examples_dir, settings, ui_model_source, ui_max_download_mb)
        typer.echo(f"demo UI at http://{host}:{port}/ui")
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def _choose_workers(settings: ServiceSettings, ui: bool) -> int:
    """Server processes when ``--workers`` is not given: one per usable CPU, capped.

    One with ``--ui`` (the demo runs in one process) or on a GPU (each process would hold
    its own CUDA context and models, and the batcher already fills the device).
    """
    from seqclf.inference.predictor import resolve_device  # lazy: imports torch

    if ui or resolve_device(settings.device).type != "cpu":
        return 1
    return min(usable_cpus(), AUTO_WORKERS)


def _choose_threads(settings: ServiceSettings, workers: int) -> ServiceSettings:
    """Choose torch's threads once, here, and say so (:mod:`seqclf.threads`); workers share the CPUs.

    The choice is written into the settings, so the app (and each worker) applies it as
    asked, rather than choosing again after loading the models has raised the load.
    """
    if settings.torch_threads is not None or os.environ.get("OMP_NUM_THREADS"):
        return settings
    free = choose_threads()
    per = max(1, (free.threads or 1) // workers)
    each = " per worker" if workers > 1 else ""
    typer.echo(
        f"torch: {per} thread{'s' if per != 1 else ''}{each} ({free.reason}; SEQCLF_TORCH_THREADS to change)"
    )
    return settings.model_copy(update={"torch_threads": per})


def _settings_to_environment(given: dict[str, Any]) -> None:
    """Hand the flags to worker processes, which read their settings from ``SEQCLF_*`` alone."""
    for name, value in given.items():
        if value is not None:
            os.environ[f"SEQCLF_{name.upper()}"] = ",".join(value) if isinstance(value, list) else str(value)


def _describe(err: Any, flags: dict[str, Any]) -> str:
    """pydantic's report as one line, naming the flag or ``SEQCLF_*`` variable to fix."""
    problems = []
    for problem in err.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        message = problem["msg"].removeprefix("Value error, ")
        if flags.get(field) is not None:
            problems.append(f"--{FLAG_NAMES.get(field, field).replace('_', '-')}: {message}")
        elif field and f"SEQCLF_{field.upper()}" not in message:
            problems.append(f"SEQCLF_{field.upper()}: {message}")
        else:
            problems.append(message)
    return "; ".join(problems)


def _with_ui(
    app: Any,
    served: dict[str, Any],
    examples_dir: Path,
    settings: Any,
    model_source: str,
    max_download_mb: float,
) -> Any:
    """Mount the Gradio demo on the service, reusing the models (and the key and limits) of the service."""
    try:
        from seqclf.ui.app import UiSettings, mount
        from seqclf.ui.tabs import ModelTab, TabOptions
        from seqclf.ui.visitor_models import SourcePolicy
    except ImportError as err:
        raise fail(f"{err.name} is missing: {pip_install('ui')}") from None
    tabs = [ModelTab(model.id, model.predictor, str(model.spec)) for model in served.values()]
    key = settings.api_key.get_secret_value() if settings.api_key is not None else None
    ui_settings = UiSettings(
        api_key=key,
        tabs=TabOptions(SourcePolicy(model_source, int(max_download_mb * 2**20)), settings.limits),
        max_upload_bytes=settings.max_body_bytes,
    )
    return mount(app, tabs, examples_dir, ui_settings)


def serve_command() -> Any:
    """``serve`` with a flag per service setting, or as it is when the serve extra is missing
    (it then says how to install it)."""
    try:
        from seqclf.serving.settings import ServiceSettings
    except ImportError:
        return serve
    return with_fields(serve, ServiceSettings, exclude=NOT_FLAGS, renames=FLAG_NAMES)
