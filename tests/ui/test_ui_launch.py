"""``python app.py`` as a newcomer runs it: host and port from the environment, models from a folder.

Subprocesses, as a user starts them: the port comes from the environment or a flag, and
each route's answer is checked against ``Predictor.predict``.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from ui_support import LANGUAGE, REPO, SURNAME, running_command

from seqclf import Predictor

#: processes, servers or a browser: left out of the edit loop (pytest -m "not slow")
pytestmark = pytest.mark.slow


def library_answer(models_dir: Path, text: str) -> dict:
    """The top prediction ``Predictor.predict`` gives: what every route must answer."""
    return Predictor.from_pretrained(models_dir / "names", device="cpu").predict(text)[0]


def test_app_py_serves_the_models_on_the_port_from_the_environment(models_dir: Path) -> None:
    env = {"GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": "{port}"}
    with running_command([str(REPO / "app.py"), "--models-dir", str(models_dir)], "/config", **env) as base:
        config = httpx.get(f"{base}/config", timeout=30).json()
        api_names = {dep.get("api_name") for dep in config["dependencies"]}
        assert {"names", "sentiment", "digits", "vowels"} <= api_names
        assert config["analytics_enabled"] is False
        # on loopback, a person on their own machine may try other models: the box is there
        assert any(
            c.get("props", {}).get("label") == "Model folder or Hub repo id"
            and c["props"].get("visible") is not False
            for c in config["components"]
        )
        answer = Client(base + "/", verbose=False).predict(SURNAME, api_name="/names")[0]
        assert answer["label"] == library_answer(models_dir, SURNAME)["label"]


def test_seqclf_serve_ui_answers_rest_and_the_demo_from_one_process(models_dir: Path) -> None:
    command = ["-m", "seqclf", "serve", "--ui", "--models-dir", str(models_dir), "--port", "{port}"]
    with running_command([*command, "--examples-dir", str(REPO / "examples")], "/readyz") as base:
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        expected = library_answer(models_dir, SURNAME)
        answer = httpx.post(f"{base}/v1/models/names/predict", json={"inputs": [SURNAME]}, timeout=30)
        assert answer.status_code == 200
        assert answer.json()["predictions"][0][0]["label"] == expected["label"] == LANGUAGE
        config = httpx.get(f"{base}/ui/config", timeout=30).json()
        assert {"names", "sentiment", "digits", "vowels"} <= {
            d.get("api_name") for d in config["dependencies"]
        }
        label = Client(f"{base}/ui/", verbose=False).predict(SURNAME, api_name="/names")[0]
        assert label["label"] == LANGUAGE


def test_a_malformed_model_option_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seqclf.ui.app import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--models-dir", str(tmp_path), "--model", "owner/repo"])
    assert exit_info.value.code == 2
    assert "expected ID=PATH_OR_REPO[@REVISION]" in capsys.readouterr().err
