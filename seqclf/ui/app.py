"""The Gradio demo over the shipped models: ``python app.py`` at the repository root.

Run settings, and why:

- **Offline**: analytics and Gradio's version check are off (they would call home),
  the default theme's fonts are served locally, and nothing is fetched from a CDN.
- **Host and port** come from ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT`` (defaults
  ``127.0.0.1:7860``), as for any Gradio app, so a container sets ``0.0.0.0``.
- **One door** (:mod:`seqclf.ui.access`): with ``SEQCLF_API_KEY`` set, the page, its API
  and its files need the key, as ``seqclf serve --ui`` does. So ``python app.py`` runs the
  demo as ``seqclf serve --ui`` does, mounted on a FastAPI app under uvicorn, where the
  gate sits in front of every Gradio route.
- **The operator chooses the models** (:mod:`seqclf.ui.visitor_models`): the Model source box
  is on for a demo on loopback (a person on their own machine) and off otherwise, unless
  ``--model-source`` says so.
- **Uploads** are bounded as REST bodies are (:data:`seqclf.limits.MAX_BODY_BYTES`), and
  inputs by their encoded length (:data:`seqclf.limits.MAX_STEPS`).
- **Queue and concurrency**: every tab's event has its own pool of
  ``CONCURRENCY_LIMIT`` workers, so a slow audio request never waits behind names
  requests, and a few requests per tab run at once (the models only read their weights,
  and PyTorch releases the GIL while it computes). More would not be faster: one
  request already keeps a CPU core busy. ``QUEUE_SIZE`` bounds the waiting line, so
  an overloaded demo says "busy" instead of piling up work.
- **Models load once**, at start-up (see :mod:`seqclf.ui.visitor_models`).
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, NoReturn

import gradio as gr
from fastapi import FastAPI
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import CliApp, NoDecode, SettingsConfigDict, SettingsError

from seqclf.api_key import EMPTY_KEY
from seqclf.api_key import ENV as API_KEY_ENV
from seqclf.errors import ConfigError, SeqclfError
from seqclf.inference.predictor import Predictor
from seqclf.limits import MAX_BODY_BYTES
from seqclf.network.sources import ModelSpec, discover, split_specs
from seqclf.threads import apply_threads, choose_threads
from seqclf.ui.access import KeyGate, login_routes
from seqclf.ui.settings import DemoSettings
from seqclf.ui.tabs import ModelTab, TabOptions, build_tab
from seqclf.ui.visitor_models import SourceMode

CONCURRENCY_LIMIT = 2
QUEUE_SIZE = 64
#: runs in the browser: closes Gradio's toasts (their close buttons' test id is the handle)
CLOSE_TOASTS = "() => document.querySelectorAll('[data-testid=toast-close]').forEach((b) => b.click())"
TITLE = "seqclf: recurrent sequence classifiers"
INTRO = (
    "# seqclf demo\n"
    "Each tab is one bidirectional recurrent model. Type, record or pick an example: you "
    "get the most likely classes, **why** the model decided (which characters, words or "
    "frames drove it) and how the answer **unfolds** as the input arrives."
)


def load_tabs(models_dir: Path, overrides: Sequence[str] = ()) -> list[ModelTab]:
    """The shipped models under ``models_dir``, plus or replaced by ``NAME=SOURCE[@REV]`` options."""
    specs = {spec.id: spec for spec in discover(models_dir)}
    specs.update((spec.id, spec) for spec in map(ModelSpec.parse, overrides))
    return [
        ModelTab(spec.id, Predictor.from_pretrained(spec.source, revision=spec.revision), str(spec))
        for spec in specs.values()
    ]


@dataclass(frozen=True)
class UiSettings:
    """How the operator runs the demo: the key that guards it, and what visitors may do."""

    api_key: str | None = None
    tabs: TabOptions = field(default_factory=TabOptions)
    max_upload_bytes: int = MAX_BODY_BYTES


def build_demo(tabs: Sequence[ModelTab], examples_dir: Path, options: TabOptions | None = None) -> gr.Blocks:
    """The Blocks app, queued; serve it with :func:`mount`."""
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(INTRO)
        if not tabs:
            gr.Markdown(
                "No models found. Train one (`seqclf train names --data ... --out models/names`) "
                "or start with `--model NAME=FOLDER_OR_REPO`."
            )
        with gr.Tabs() as tab_set:
            for tab in tabs:
                build_tab(tab, examples_dir, options or TabOptions())
        # An error is a toast (gr.Error) for as long as it lasts; it is about the tab it came
        # from, so switching tabs closes it rather than leave it over another model's tab.
        tab_set.select(None, js=CLOSE_TOASTS)
    return demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)


def mount(
    app: FastAPI,
    tabs: Sequence[ModelTab],
    examples_dir: Path,
    settings: UiSettings | None = None,
    path: str = "/ui",
) -> FastAPI:
    """Serve the demo from a FastAPI app at ``path``, behind the API key when one is set.

    ``seqclf serve --ui`` mounts it on the REST service, so one process answers both over
    the same loaded models; ``python app.py`` mounts it at ``/`` of an app of its own.
    """
    settings = settings or UiSettings()
    app.state.ui_path = path  # GET / of the service sends browsers here
    if settings.api_key is not None:
        # the login routes come before the mount, which would otherwise take every path under "/"
        app.router.routes.extend(login_routes(settings.api_key, path))
        app.add_middleware(KeyGate, key=settings.api_key, prefix=path)
    demo = build_demo(tabs, examples_dir, settings.tabs)
    # Gradio checks that a file an API call names was uploaded to it only once the app has
    # "launched" (gradio/processing_utils.py, _check_allowed), and mount_gradio_app never
    # says so: a call naming /etc/passwd got it copied into the upload folder and served
    # back. A mounted demo is as live as a launched one. tests/ui/test_ui_server_files.py
    # sends such calls to every file tab, so a Gradio that moves this check fails there.
    demo.has_launched = True
    return gr.mount_gradio_app(
        app,
        demo,
        path=path,
        allowed_paths=[str(examples_dir)],
        footer_links=["api", "settings"],
        max_file_size=settings.max_upload_bytes,
        # File URLs (example audio) must carry the mount path: inferred, they lose it and 404.
        root_path=path.rstrip("/") or None,
    )


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_source_mode(host: str) -> SourceMode:
    """``any`` for a demo only this machine reaches (a person trying models), ``off`` otherwise."""
    return "any" if is_loopback(host) else "off"


def api_key_from_env() -> str | None:
    """``SEQCLF_API_KEY``, the variable ``seqclf serve`` reads; set but empty is a mistake."""
    key = os.environ.get(API_KEY_ENV)
    if key is not None and not key.strip():
        raise ConfigError(EMPTY_KEY)
    return key


class DemoCommand(DemoSettings):
    """The seqclf demo, a tab per model (GRADIO_SERVER_NAME and GRADIO_SERVER_PORT: where it listens)."""

    # python app.py's flags: the demo's settings, and the models that get a tab
    model_config = SettingsConfigDict(
        env_prefix="SEQCLF_UI_",
        frozen=True,
        cli_prog_name="python app.py",
        cli_kebab_case=True,
        cli_hide_none_type=True,
        cli_avoid_json=True,
    )

    models_dir: Path | None = Field(
        None, description="Folder of model folders (default: models/ next to app.py)."
    )
    model: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Add or replace a tab: NAME=FOLDER_OR_REPO[@REVISION], e.g. names=owner/names@v1 "
        "(repeatable; SEQCLF_UI_MODEL is comma-separated).",
    )

    @field_validator("model", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        return split_specs(value)  # a variable holds several, as SEQCLF_MODELS does; a flag repeats


def main(argv: Sequence[str] | None = None, root: Path | None = None) -> None:
    """``python app.py [--models-dir DIR] [--examples-dir DIR] [--model NAME=SOURCE[@REV]]... [--model-source MODE]``.

    Host and port are Gradio's variables; the flags are :class:`DemoSettings`' fields (and
    the models), parsed by pydantic-settings, so they and ``seqclf serve --ui``'s cannot drift.
    """
    import uvicorn

    root = root or Path.cwd()
    try:
        args = CliApp.run(DemoCommand, cli_args=list(sys.argv[1:] if argv is None else argv))
    except ValidationError as err:
        _refuse("; ".join(map(_problem, err.errors())))
    except SettingsError as err:  # a value that is not what its flag or variable takes
        _refuse(str(err))
    said = apply_threads(choose_threads())  # SEQCLF_TORCH_THREADS overrides
    if said:
        print(said, file=sys.stderr)
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port_text = os.environ.get("GRADIO_SERVER_PORT", "7860")
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        _refuse(f"GRADIO_SERVER_PORT={port_text!r} is not a port number (1-65535)")
    policy = args.source_policy(default=default_source_mode(host))
    try:
        settings = UiSettings(api_key=api_key_from_env(), tabs=TabOptions(policy))
        tabs = load_tabs(args.models_dir or root / "models", args.model)
    except SeqclfError as err:
        _refuse(str(err))
    # the shipped examples sit next to app.py, as the models do, wherever it is run from
    examples = args.examples_dir if "examples_dir" in args.model_fields_set else root / "examples"
    app = mount(FastAPI(), tabs, examples, settings, path="/")
    print(f"demo at http://{host}:{port_text} (model source: {policy.mode})", flush=True)
    uvicorn.run(app, host=host, port=int(port_text), log_level="warning")


def _problem(problem: Any) -> str:
    """One of pydantic's problems, naming the flag and the variable that may have set it."""
    field = str(problem["loc"][0]) if problem["loc"] else ""
    return f"--{field.replace('_', '-')} (or SEQCLF_UI_{field.upper()}): {problem['msg']}"


def _refuse(message: str) -> NoReturn:
    """One line on stderr and exit status 2, as for any other wrong option (argparse's own)."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)
