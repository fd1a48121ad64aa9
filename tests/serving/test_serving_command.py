"""``seqclf serve`` and the settings it builds: model specs, environment, start-up errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from seqclf.cli import app
from seqclf.errors import ConfigError
from seqclf.network.sources import discover
from seqclf.serving.registry import load_models
from seqclf.serving.settings import ServiceSettings


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEQCLF_MODELS", "names=models/names, digits=user/digits@v2")
    monkeypatch.setenv("SEQCLF_MAX_BATCH_SIZE", "16")
    monkeypatch.setenv("SEQCLF_API_KEY", "k3y-v4lue")
    settings = ServiceSettings()
    assert settings.models == ["names=models/names", "digits=user/digits@v2"]
    assert settings.max_batch_size == 16 and settings.api_key is not None
    assert "k3y-v4lue" not in repr(settings)  # the key never shows in logs
    assert ServiceSettings(max_batch_size=4).max_batch_size == 4  # arguments (flags) win


def test_inconsistent_limits_are_refused() -> None:
    with pytest.raises(ValidationError, match="max_queue"):
        ServiceSettings(max_queue=4, max_inputs=8)


def test_models_dir_is_discovered_and_duplicates_refused(models_dir: Path) -> None:
    assert "names" in [spec.id for spec in discover(models_dir)]
    with pytest.raises(ConfigError, match="repeated: names"):
        load_models(ServiceSettings(models=[f"names={models_dir / 'names'}"] * 2))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "names=/no/such/folder"], "neither a model folder nor a Hub repo id"),
        (["--models-dir", "/no/such/folder"], "no models to serve"),
        (["--model", "names"], "expected ID=PATH_OR_REPO"),
        (["--max-batch-size", "0"], "--max-batch-size: Input should be greater than or equal to 1"),
        (["--max-wait-ms", "-1"], "--max-wait-ms: Input should be greater than or equal to 0"),
        (["--models-dir", "models", "--device", "meta"], "is not supported: use cpu, cuda, cuda:N or mps"),
        (["--models-dir", "models", "--device", "gpu"], "unknown device 'gpu'"),
        (["--models-dir", "models", "--workers", "2", "--ui"], "--ui runs in one process"),
    ],
)
def test_serve_fails_with_a_one_line_error(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_serve_refuses_a_port_outside_the_tcp_range() -> None:
    result = CliRunner().invoke(app, ["serve", "--port", "99999"])
    assert result.exit_code == 2 and "--port" in result.output


def test_a_settings_error_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEQCLF_MAX_INPUTS", "2000")  # over the default queue of 1,024
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "SEQCLF_MAX_QUEUE" in result.output and "SEQCLF_MAX_INPUTS" in result.output


@pytest.mark.slow
def test_serve_starts_a_working_server(models_dir: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    seqclf = [sys.executable, "-c", "from seqclf.cli import main; main()"]
    command = [
        *seqclf,
        "serve",
        "--port",
        str(port),
        "--models-dir",
        str(models_dir),
        "--log-level",
        "warning",
    ]
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, env={**os.environ, "SEQCLF_MAX_WAIT_MS": "1"}, stderr=stderr)
    try:
        deadline = time.monotonic() + 120  # importing torch on a busy machine can take a while
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert process.poll() is None, log.read_text()
        response = httpx.post(f"http://127.0.0.1:{port}/v1/models/names/predict", json={"inputs": ["Ito"]})
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_workers_get_the_flags_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from seqclf.cli.serve import _settings_to_environment
    from seqclf.serving.settings import ServiceSettings

    for name in ("MODELS", "MODELS_DIR", "MAX_BATCH_SIZE", "MAX_WAIT_MS", "DEVICE"):
        monkeypatch.delenv(f"SEQCLF_{name}", raising=False)
    given = {
        "models": ["a=x", "b=y@v1"],
        "models_dir": None,
        "max_batch_size": 8,
        "max_wait_ms": 1.5,
        "device": "cpu",
    }
    with monkeypatch.context() as patched:
        patched.setattr("os.environ", dict(os.environ))
        _settings_to_environment(given)
        settings = ServiceSettings()
    assert (settings.models, settings.max_batch_size, settings.max_wait_ms, settings.device) == (
        ["a=x", "b=y@v1"],
        8,
        1.5,
        "cpu",
    )


def test_serve_chooses_threads_once_and_workers_share_them(capsys, monkeypatch) -> None:
    from seqclf.cli import serve as command
    from seqclf.threads import ThreadChoice

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("SEQCLF_TORCH_THREADS", raising=False)
    monkeypatch.setattr(command, "choose_threads", lambda: ThreadChoice(2, "2 CPUs, idle", chosen=True))
    one = command._choose_threads(ServiceSettings(models_dir=Path("models")), workers=1)
    assert one.torch_threads == 2 and "torch: 2 threads (2 CPUs, idle" in capsys.readouterr().out
    shared = command._choose_threads(ServiceSettings(models_dir=Path("models")), workers=2)
    assert shared.torch_threads == 1 and "1 thread per worker" in capsys.readouterr().out
    asked = command._choose_threads(ServiceSettings(models_dir=Path("models"), torch_threads=3), workers=2)
    assert asked.torch_threads == 3 and capsys.readouterr().out == ""  # asked: applied as given, silently


@pytest.mark.parametrize(
    ("cpus", "args", "processes"),
    [(2, [], 2), (16, [], 4), (1, [], 1), (8, ["--workers", "1"], 1), (2, ["--workers", "3"], 3)],
)
def test_serve_starts_one_process_per_cpu_unless_told(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch, cpus: int, args: list[str], processes: int
) -> None:
    # one interpreter cannot overlap HTTP work with the model; each process copies the models
    import uvicorn

    from seqclf.cli import serve as command

    started: list[dict] = []
    monkeypatch.setattr(command, "usable_cpus", lambda: cpus)
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(options))
    with monkeypatch.context() as patched:
        patched.setattr("os.environ", dict(os.environ))  # the workers' settings go there
        result = CliRunner().invoke(app, ["serve", "--models-dir", str(models_dir), "--device", "cpu", *args])
    assert result.exit_code == 0, result.output
    assert started[0].get("workers", 1) == processes
    # a choice made for the user is said once; one asked for is not
    assert ("serving from" in result.output) is (not args and processes > 1)


def test_the_ui_keeps_one_process(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seqclf.cli import serve as command
    from seqclf.serving.settings import ServiceSettings

    monkeypatch.setattr(command, "usable_cpus", lambda: 8)
    settings = ServiceSettings(models_dir=models_dir, device="cpu")
    assert command._choose_workers(settings, ui=True) == 1
    assert command._choose_workers(settings, ui=False) == 4
