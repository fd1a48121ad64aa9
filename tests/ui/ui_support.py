"""Shared helpers for the UI tests: where the examples are, and the tiny models' shape."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SURNAME, LANGUAGE = "Kamuramoto", "Alpha"  # built from the synthetic Alpha syllables
#: the API key of the guarded server (tests/ui/conftest.py)
KEY = "s3cret-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RunningDemo:
    url: str
    models_dir: Path


def audio_example() -> Path:
    return sorted((EXAMPLES / "digits").glob("*.wav"))[0]


def frames_example() -> Path:
    return sorted((EXAMPLES / "vowels").glob("*.csv"))[0]


#: importing torch and gradio takes seconds on an idle machine, minutes on a crowded one
STARTUP_SECONDS = 300


@contextmanager
def running_command(args: list[str], probe: str, **env: str) -> Iterator[str]:
    """Run ``python ARGS`` (with ``env`` added) until ``probe`` answers; yield its base URL.

    ``args`` may name the port as ``{port}``; a free one is filled in.
    """
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, *(a.format(port=port) for a in args)],
        env={**os.environ, **env, **{k: v.format(port=port) for k, v in env.items()}},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, f"{args} exited: {process.stderr.read()}"
            try:
                httpx.get(base + probe, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"{args} did not start listening"
                time.sleep(1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
