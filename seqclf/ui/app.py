"""The Gradio demo over the shipped models: ``python app.py`` at the repository root.

Run settings, and why:

- **Offline**: analytics and Gradio's version check are off (they would call home),
  the default theme's fonts are served locally, and nothing is fetched from a CDN.
- **Host and port** come from ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT`` (Gradio
  reads them; defaults ``127.0.0.1:7860``), so a container sets ``0.0.0.0``.
- **Queue and concurrency**: every tab's event has its own pool of
  ``CONCURRENCY_LIMIT`` workers, so a slow audio request never waits behind names
  requests, and a few requests per tab run at once (the models only read their weights,
  and PyTorch releases the GIL while it computes). More would not be faster: one
  request already keeps a CPU core busy. ``QUEUE_SIZE`` bounds the waiting line, so
  an overloaded demo says "busy" instead of piling up work.
- **Models load once**, at start-up (see :mod:`seqclf.ui.sources`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import gradio as gr
from fastapi import FastAPI

from seqclf.errors import SeqclfError
from seqclf.sources import ModelSpec, discover
from seqclf.ui.sources import load_predictor
from seqclf.ui.tabs import ModelTab, build_tab

CONCURRENCY_LIMIT = 2
QUEUE_SIZE = 64
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
        ModelTab(spec.id, load_predictor(spec.source, spec.revision), str(spec)) for spec in specs.values()
    ]


def build_demo(tabs: Sequence[ModelTab], examples_dir: Path) -> gr.Blocks:
    """The Blocks app, queued; launch it with :func:`launch`."""
    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        gr.Markdown(INTRO)
        if not tabs:
            gr.Markdown(
                "No models found. Train one (`seqclf train names --data ... --out models/names`) "
                "or start with `--model NAME=FOLDER_OR_REPO`."
            )
        with gr.Tabs():
            for tab in tabs:
                build_tab(tab, examples_dir)
    return demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)


def mount(app: FastAPI, tabs: Sequence[ModelTab], examples_dir: Path, path: str = "/ui") -> FastAPI:
    """Serve the demo from an existing FastAPI app (``seqclf serve --ui``) at ``path``.

    One process then answers both the REST API and the UI, over the same loaded models.
    """
    return gr.mount_gradio_app(
        app,
        build_demo(tabs, examples_dir),
        path=path,
        allowed_paths=[str(examples_dir)],
        footer_links=["api", "settings"],
    )


def launch(demo: gr.Blocks, examples_dir: Path, **kwargs) -> None:
    """Serve the demo; host and port come from the GRADIO_SERVER_* variables unless given."""
    demo.launch(allowed_paths=[str(examples_dir)], footer_links=["api", "settings"], **kwargs)


def main(argv: Sequence[str] | None = None, root: Path | None = None) -> None:
    """``python app.py [--models DIR] [--examples DIR] [--model NAME=SOURCE[@REV]]...``."""
    root = root or Path.cwd()
    parser = argparse.ArgumentParser(description="The seqclf Gradio demo.")
    parser.add_argument("--models", type=Path, default=root / "models", help="folder of model folders")
    parser.add_argument("--examples", type=Path, default=root / "examples", help="folder of examples")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="NAME=SOURCE[@REVISION]",
        help="add or replace a tab: a model folder or Hub repo id (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        tabs = load_tabs(args.models, args.model)
    except SeqclfError as err:
        parser.exit(2, f"error: {err}\n")
    launch(build_demo(tabs, args.examples), args.examples)
