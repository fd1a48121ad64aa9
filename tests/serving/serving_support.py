"""Helpers for the service tests: tiny untrained models, WAV tones, a live uvicorn server.

The models have random weights: the service's behaviour does not depend on how
good a model is, and building them takes milliseconds instead of a training run.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import torch
from live_server import RunningApp, run_app

from seqclf.config import ModelConfig
from seqclf.encoders import Encoder
from seqclf.network.model import SequenceClassifier
from seqclf.network.pretrained import PretrainedClassifier
from seqclf.serving.app import create_app
from seqclf.serving.settings import ServiceSettings

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
    running: RunningApp

    def stop(self) -> None:
        self.running.stop()


def start_server(settings: ServiceSettings) -> LiveServer:
    """Run the service app under uvicorn in a thread, on a free loopback port, until it is ready."""
    running = run_app(create_app(settings))
    return LiveServer(running.url, settings, running)


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
