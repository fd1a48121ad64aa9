"""Helpers for the service tests: tiny untrained models, WAV tones, a live uvicorn server.

The models have random weights: the service's behaviour does not depend on how
good a model is, and building them takes milliseconds instead of a training run.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from live_server import RunningApp, run_app

from seqclf.serving.app import create_app
from seqclf.serving.settings import ServiceSettings

NAMES = ["Nakamura", "Ivanov", "Gonzalez", "Anderson", "Tanaka", "Petrov", "Fernandez", "Wilson"]
VOWELS_WIDTH = 4


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
