"""``seqclf serve`` installed from a built wheel, not run from a clone: it names the command that
gets it a model, and that command, run as said, gets one it then serves.

The wheel is built by pip from the files a source distribution holds (pyproject.toml,
README.md, seqclf/), installed with ``pip install --target`` into a folder of its own, and
its ``seqclf`` script is run from a folder outside the repository, with only that folder
on the path for seqclf: what a user of ``pip install seqclf-*.whl`` has. Its dependencies
are the ones already installed here (``--no-deps``), so this proves the wheel's contents
(every module and data file serving uses, its console script), not its dependency list.
The Hub is the loopback stand-in of tests/hub_server.py.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hub_server import HubServer
from huggingface_hub import HfApi
from serving_support import NAMES
from tiny_model import save_untrained
from tolerances import assert_same_predictions

from seqclf.encoders import CharEncoder
from seqclf.inference.predictor import Predictor

pytestmark = pytest.mark.slow  # builds and installs a wheel, starts servers

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "hf_stand_in_token"
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]


def run(command: list[str], **options: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **options)


def installed_wheel(root: Path) -> Path:
    """Build seqclf's wheel from its source distribution's files and install it under ``root``."""
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source)
    shutil.copytree(REPO_ROOT / "seqclf", source / "seqclf", ignore=shutil.ignore_patterns("__pycache__"))
    # the installed setuptools builds it, as it would in a build environment of its own
    built = run([*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(root / "dist"), str(source)])
    assert built.returncode == 0, built.stderr
    (wheel,) = (root / "dist").glob("seqclf-*.whl")
    site = root / "site"
    done = run([*PIP, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)])
    assert done.returncode == 0, done.stderr
    return site


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_wheel_without_models_names_the_command_that_gets_one_and_then_serves_it(tmp_path: Path) -> None:
    site = installed_wheel(tmp_path)
    elsewhere = tmp_path / "elsewhere"  # no models/ folder here, and no clone around it
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "SEQCLF_", "PYTHON"))}
    env.update(PYTHONPATH=str(site), HF_HOME=str(tmp_path / "hf"), OMP_NUM_THREADS="1")
    env.update(HF_HUB_ETAG_TIMEOUT="5", HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1")
    where = run([sys.executable, "-c", "import seqclf; print(seqclf.__file__)"], env=env, cwd=elsewhere)
    assert Path(where.stdout.strip()).is_relative_to(site), where  # the wheel's seqclf, not the clone's
    seqclf = [str(site / "bin" / "seqclf")]  # the wheel's console script

    published = save_untrained(
        tmp_path / "made" / "names", CharEncoder.fit(NAMES, min_freq=1), ["ja", "ru"], "names"
    )
    with HubServer(TOKEN) as hub:
        api = HfApi(endpoint=hub.url, token=TOKEN)
        api.create_repo("alice/names")
        api.upload_folder(repo_id="alice/names", folder_path=published)
        env["HF_ENDPOINT"] = hub.url

        refused = run([*seqclf, "serve", "--workers", "1"], env=env, cwd=elsewhere)
        assert refused.returncode == 2
        (line,) = [line for line in refused.stderr.splitlines() if line.startswith("error: ")]
        said = re.search(r"`(seqclf pull OWNER/REPO --out (\S+))`", line)
        assert said and said[2] == "models/NAME" and "`seqclf train TASK" in line, refused.stderr
        # the command as said, its placeholders filled in as a user would
        words = said[1].replace("OWNER/REPO", "alice/names").replace("NAME", "names").split()
        pulled = run([*seqclf, *words[1:]], env=env, cwd=elsewhere)
        assert pulled.returncode == 0, pulled.stderr
    assert (elsewhere / "models" / "names" / "config.json").is_file()

    port = free_port()
    command = [*seqclf, "serve", "--workers", "1", "--port", str(port), "--log-level", "warning"]
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        server = subprocess.Popen(command, env=env, cwd=elsewhere, stderr=stderr)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # importing torch on a busy machine can take a while
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert server.poll() is None, log.read_text()
        assert [m["id"] for m in httpx.get(f"{url}/v1/models").json()["models"]] == ["names"]
        answer = httpx.post(
            f"{url}/v1/models/names/predict", json={"inputs": ["Nakamura"], "parameters": {"top_k": 2}}
        )
        assert answer.status_code == 200, answer.text
        expected = Predictor.from_pretrained(published, device="cpu").predict(["Nakamura"], top_k=2)
        assert_same_predictions(answer.json()["predictions"][0], expected[0])
        icon = httpx.get(f"{url}/favicon.ico")  # package data, which a wheel holds only if declared
        assert (
            icon.status_code == 200
            and icon.content == (REPO_ROOT / "seqclf/serving/favicon.ico").read_bytes()
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
