"""Fixtures for the service tests: the served models and a live server shared by the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from live_server import SHARED_TLS
from serving_support import NAMES, TEST_LIMITS, VOWELS_WIDTH, LiveServer, start_server
from speech_data import tone_wav
from tiny_model import save_untrained

from seqclf.encoders import CharEncoder
from seqclf.encoders.audio import AudioEncoder
from seqclf.encoders.features import FeatureEncoder
from seqclf.serving.settings import ServiceSettings


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """names (chars), vowels (features) and digits (audio)."""
    root = tmp_path_factory.mktemp("served")
    save_untrained(
        root / "names", CharEncoder.fit(NAMES, min_freq=1), ["Japanese", "Russian", "Spanish"], "names"
    )
    rng = np.random.default_rng(0)
    encoder = FeatureEncoder.fit([rng.normal(size=(12, VOWELS_WIDTH)) for _ in range(8)], max_length=40)
    save_untrained(root / "vowels", encoder, ["a", "i", "u"], "vowels")
    save_untrained(
        root / "digits",
        AudioEncoder.fit([tone_wav(f) for f in (300, 500, 800, 1200)]),
        [str(d) for d in range(10)],
        "digits",
    )
    return root


@pytest.fixture(scope="session")
def server(models_dir: Path) -> Iterator[LiveServer]:
    live = start_server(ServiceSettings(models_dir=models_dir, **TEST_LIMITS))
    yield live
    live.stop()


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30, verify=SHARED_TLS) as http:
        yield http
