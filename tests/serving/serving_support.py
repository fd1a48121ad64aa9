"""Helpers for the service tests: tiny untrained models, WAV tones, a live uvicorn server.

The models have random weights: the service's behaviour does not depend on how
good a model is, and building them takes milliseconds instead of a training run.
Audio and feature models are built when their encoders are importable.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import socket
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import torch
import uvicorn

from seqclf.config import ModelConfig
from seqclf.encoders import Encoder
from seqclf.model import SequenceClassifier
from seqclf.pretrained import PretrainedClassifier
from seqclf.serving.app import create_app
from seqclf.serving.settings import ServiceSettings

HAS_AUDIO = importlib.util.find_spec("seqclf.encoders.audio") is not None
HAS_FEATURES = importlib.util.find_spec("seqclf.encoders.features") is not None
NAMES = ["Nakamura", "Ivanov", "Gonzalez", "Anderson", "Tanaka", "Petrov", "Fernandez", "Wilson"]
VOWELS_WIDTH = 4


def wav_bytes(frequency: float, seconds: float = 0.4, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV of a sine tone with a little noise (so MFCCs vary)."""
    t = np.arange(int(seconds * rate)) / rate
    noise = np.random.default_rng(int(frequency)).normal(0, 0.05, t.size)
    samples = (0.5 * np.sin(2 * np.pi * frequency * t) + noise) * 32767
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def save_model(folder: Path, encoder: Encoder, labels: list[str], task: str) -> Path:
    torch.manual_seed(0)
    config = ModelConfig(
        num_labels=len(labels), **encoder.model_fields(), embedding_dim=8, hidden_size=16, num_layers=1
    )
    PretrainedClassifier(SequenceClassifier(config), encoder, labels, task).save_pretrained(folder)
    return folder


@dataclass
class LiveServer:
    url: str
    settings: ServiceSettings
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def start_server(settings: ServiceSettings, timeout: float = 60.0) -> LiveServer:
    """Run the app under uvicorn in a thread, on a free loopback port, until it is ready."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    live = LiveServer(f"http://127.0.0.1:{port}", settings, server, thread)
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            live.stop()
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return live


#: limits small enough that tests can exceed each one cheaply
TEST_LIMITS = {"max_inputs": 8, "max_steps": 50, "max_body_bytes": 64 * 1024, "max_wait_ms": 20.0}


def forward_passes(http: httpx.Client, model: str) -> tuple[float, float]:
    """(forward passes, inputs) run so far for ``model``, read from /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    count = total = 0.0
    for family in text_string_to_metric_families(http.get("/metrics").text):
        for sample in family.samples:
            if sample.labels.get("model") == model and sample.name == "seqclf_batch_size_count":
                count = sample.value
            if sample.labels.get("model") == model and sample.name == "seqclf_batch_size_sum":
                total = sample.value
    return count, total
