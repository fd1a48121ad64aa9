"""Tiny models for the UI tests, one per modality, and a launched demo serving them.

The names model is trained (a few seconds) on the synthetic surnames of
``tests/conftest.py``, so the browser test can check a real prediction; the other
three carry random weights on fitted encoders, which is enough to drive every code
path of their tabs. The demo uses the repository's own ``examples/`` folder, so the
bundled examples are checked against the models too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from live_server import run_app
from tiny_model import TINY_MODEL, save_untrained
from ui_support import EXAMPLES, KEY, RunningDemo, running_command

from seqclf.audio.io import load_audio
from seqclf.config import TrainConfig
from seqclf.data.frames import read_frames_csv
from seqclf.encoders.audio import AudioEncoder
from seqclf.encoders.features import FeatureEncoder
from seqclf.encoders.words import WordEncoder
from seqclf.training.run import run_training


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory, names_folder: Path) -> Path:
    root = tmp_path_factory.mktemp("models")
    # One intra-op thread: on a busy shared CPU, PyTorch's default thread pool makes this
    # tiny model train twenty times slower than a single thread does.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _build_models(root, names_folder)
    finally:
        torch.set_num_threads(threads)
    return root


def _build_models(root: Path, names_folder: Path) -> None:
    run_training(
        "names",
        names_folder,
        root / "names",
        # a two-network ensemble, as the shipped names model is one: the UI's explanations
        # and unfolding run through it
        model={**TINY_MODEL, "hidden_size": 32, "dropout": 0.0, "ensemble": 2},
        train=TrainConfig(epochs=12, batch_size=16, lr=1e-2, patience=12).to_dict(),
        command="tests/ui",
        device=torch.device("cpu"),
        log=lambda *_: None,
    )
    sentences = (EXAMPLES / "sentiment.txt").read_text(encoding="utf-8").splitlines()
    save_untrained(root / "sentiment", WordEncoder.fit(sentences), ["negative", "positive"], "sentiment")
    recordings = [load_audio(p, 8000, 10.0) for p in sorted((EXAMPLES / "digits").glob("*.wav"))]
    digits = AudioEncoder.fit({"array": r, "sampling_rate": 8000} for r in recordings)
    save_untrained(root / "digits", digits, [str(d) for d in range(10)], "digits")
    frames = [read_frames_csv(p) for p in sorted((EXAMPLES / "vowels").glob("*.csv"))]
    vowels = FeatureEncoder.fit(frames, step_seconds=0.0064)
    save_untrained(root / "vowels", vowels, [str(s) for s in range(1, 10)], "vowels")


@pytest.fixture(scope="session")
def demo(models_dir: Path) -> Iterator[RunningDemo]:
    """The demo over the tiny models, as ``python app.py`` on loopback serves it (no key, any source)."""
    pytest.importorskip("gradio", reason="the UI tests need the ui extra: pip install 'seqclf[ui]'")
    from fastapi import FastAPI

    from seqclf.ui.app import UiSettings, load_tabs, mount
    from seqclf.ui.tabs import TabOptions
    from seqclf.ui.visitor_models import SourcePolicy

    settings = UiSettings(tabs=TabOptions(SourcePolicy("any")))
    running = run_app(mount(FastAPI(), load_tabs(models_dir), EXAMPLES, settings, path="/"))
    try:
        yield RunningDemo(running.url + "/", models_dir)
    finally:
        running.stop()


@pytest.fixture(scope="session")
def guarded(models_dir: Path) -> Iterator[str]:
    """``seqclf serve --ui`` over the tiny models with ``SEQCLF_API_KEY=KEY``: its base URL."""
    command = ["-m", "seqclf", "serve", "--ui", "--models-dir", str(models_dir), "--port", "{port}"]
    with running_command([*command, "--examples-dir", str(EXAMPLES)], "/healthz", SEQCLF_API_KEY=KEY) as base:
        yield base
