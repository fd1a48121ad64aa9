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
from typing import TYPE_CHECKING, Annotated, Any

import typer

from seqclf.cli.flags import field_values, with_fields
from seqclf.cli.support import fail
from seqclf.errors import SeqclfError
from seqclf.install import pip_install
from seqclf.threads import choose_threads, usable_cpus

if TYPE_CHECKING:
    from seqclf.serving.settings import ServiceSettings
    from seqclf.ui.settings import DemoSettings

#: most server processes chosen without --workers (each holds its own copy of the models)
AUTO_WORKERS = 4
#: settings whose flag has another name: --model ID=SOURCE, repeated
FLAG_NAMES = {"models": "model"}
#: settings that are not flags: a flag shows in process lists
NOT_FLAGS = {"api_key"}
#: the demo's settings (seqclf.ui.settings) and their flags here, beside the service's
DEMO_FLAGS = {
    "examples_dir": "examples_dir",
    "model_source": "ui_model_source",
    "max_download_mb": "ui_max_download_mb",
}


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
    **flags: Any,
) -> None:
    """Serve models over HTTP: REST, Hugging Face Inference API, metrics (see docs/serving.md).

    Every setting of the service is a flag here (made from ``ServiceSettings``) and a
    ``SEQCLF_*`` variable, every setting of the demo too (from ``DemoSettings``, ``SEQCLF_UI_*``);
    a flag wins. The API key is a variable only.
    """
    try:
        import uvicorn
        from pydantic import ValidationError

        from seqclf.serving.app import create_app
        from seqclf.serving.registry import load_models
        from seqclf.serving.settings import ServiceSettings
    except ImportError as err:
        raise fail(f"{err.name} is missing: {pip_install('serve')}") from None

    demo_flags = {flag: flags.pop(flag) for flag in DEMO_FLAGS.values() if flag in flags}
    demo = _demo_settings(field_values(demo_flags, DEMO_FLAGS)) if ui else None
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
    if demo is not None:
        app = _with_ui(app, served, settings, demo)
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


def _describe(
    err: Any, flags: dict[str, Any], renames: dict[str, str] = FLAG_NAMES, env: str = "SEQCLF_"
) -> str:
    """pydantic's report as one line, naming the flag or the ``env``-prefixed variable to fix."""
    problems = []
    for problem in err.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        message = problem["msg"].removeprefix("Value error, ")
        variable = f"{env}{field.upper()}"
        if flags.get(field) is not None:
            problems.append(f"--{renames.get(field, field).replace('_', '-')}: {message}")
        elif field and variable not in message:
            problems.append(f"{variable}: {message}")
        else:
            problems.append(message)
    return "; ".join(problems)


def _demo_settings(given: dict[str, Any]) -> DemoSettings:
    """The demo's settings from its flags and ``SEQCLF_UI_*``, checked (and the ui extra found)
    before any model loads."""
    try:
        import gradio  # noqa: F401  (the ui extra; _with_ui mounts it)
        from pydantic import ValidationError

        from seqclf.ui.settings import DemoSettings
    except ImportError as err:
        raise fail(f"{err.name} is missing: {pip_install('ui')}") from None
    try:
        return DemoSettings(**given)
    except ValidationError as err:
        raise fail(_describe(err, given, DEMO_FLAGS, env="SEQCLF_UI_")) from None


def _with_ui(app: Any, served: dict[str, Any], settings: ServiceSettings, demo: DemoSettings) -> Any:
    """Mount the Gradio demo on the service, reusing the models (and the key and limits) of the service.

    The demo's model source defaults to off here, wherever the service listens: a service is
    often reached through a proxy on loopback, so loopback says nothing about who visits.
    """
    try:
        from seqclf.ui.app import UiSettings, mount
        from seqclf.ui.tabs import ModelTab, TabOptions
    except ImportError as err:
        raise fail(f"{err.name} is missing: {pip_install('ui')}") from None
    tabs = [ModelTab(model.id, model.predictor, str(model.spec)) for model in served.values()]
    key = settings.api_key.get_secret_value() if settings.api_key is not None else None
    ui_settings = UiSettings(
        api_key=key,
        tabs=TabOptions(demo.source_policy(default="off"), settings.limits),
        max_upload_bytes=settings.max_body_bytes,
    )
    return mount(app, tabs, demo.examples_dir, ui_settings)


def serve_command() -> Any:
    """``serve`` with a flag per service setting, or as it is when the serve extra is missing
    (it then says how to install it)."""
    try:
        from seqclf.serving.settings import ServiceSettings
        from seqclf.ui.settings import DemoSettings
    except ImportError:
        return serve
    with_fields(serve, ServiceSettings, exclude=NOT_FLAGS, renames=FLAG_NAMES)
    return with_fields(serve, DemoSettings, exclude=set(), renames=DEMO_FLAGS, prefix="--ui: ")
