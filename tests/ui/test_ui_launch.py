"""``python app.py`` as a newcomer runs it: host and port from the environment, models from a folder.

A subprocess, because Gradio reads ``GRADIO_SERVER_PORT`` when it is imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from ui_support import REPO, free_port

# importing torch and gradio takes seconds on an idle machine, minutes on a crowded one
STARTUP_SECONDS = 300


def test_app_py_serves_the_models_on_the_port_from_the_environment(models_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    app = subprocess.Popen(
        [sys.executable, str(REPO / "app.py"), "--models", str(models_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert app.poll() is None, f"app.py exited: {app.stderr.read()}"
            try:
                config = httpx.get(f"http://127.0.0.1:{port}/config", timeout=5).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "app.py did not start listening"
                time.sleep(1)
        api_names = {dep.get("api_name") for dep in config["dependencies"]}
        assert {"names", "sentiment", "digits", "vowels"} <= api_names
        assert config["analytics_enabled"] is False
    finally:
        app.terminate()
        app.wait(timeout=30)


def test_seqclf_serve_ui_answers_rest_and_the_demo_from_one_process(models_dir: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "seqclf", "serve", "--ui", "--models-dir", str(models_dir)]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--examples-dir", str(REPO / "examples")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert server.poll() is None, f"seqclf serve exited: {server.stderr.read()}"
            try:
                ready = httpx.get(f"{base}/readyz", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "seqclf serve did not start listening"
                time.sleep(1)
        assert ready.status_code == 200
        answer = httpx.post(f"{base}/v1/models/names/predict", json={"inputs": ["Kamura"]}, timeout=30)
        assert answer.status_code == 200 and answer.json()["predictions"][0][0]["label"]
        config = httpx.get(f"{base}/ui/config", timeout=30).json()
        assert {"names", "sentiment", "digits", "vowels"} <= {
            d.get("api_name") for d in config["dependencies"]
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_malformed_model_option_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seqclf.ui.app import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--models", str(tmp_path), "--model", "owner/repo"])
    assert exit_info.value.code == 2
    assert "expected ID=PATH_OR_REPO[@REVISION]" in capsys.readouterr().err
