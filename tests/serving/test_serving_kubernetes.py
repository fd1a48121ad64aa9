"""What can be checked of deploy/kubernetes/ without a cluster: schemas, and the facts that can drift.

Every manifest is validated against the Kubernetes API's own JSON schemas, strictly (an unknown
field is an error), as shipped offline by kubernetes-validate. The rest checks the manifests
against their sources of truth: the probes against the app's routes, the port against the
image's CMD, the environment against ServiceSettings, the CPU against the thread setting, the
user against the Dockerfile, and the writable mounts against where the service writes (a slow
test runs it and records every write). Nothing here talks to a cluster: what the manifests do
when applied (scheduling, probes timing out, the autoscaler acting) is unproven.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import kubernetes_validate
import pytest
import yaml
from fastapi.testclient import TestClient
from hub_server import HubServer
from huggingface_hub import HfApi
from serving_support import NAMES
from test_serving_dockerfile import DOCKERFILE, MODELS_DOCKERFILE, last, target
from test_serving_dockerfile import env as image_env
from tiny_model import save_untrained

from seqclf.encoders import CharEncoder
from seqclf.network.sources import ModelSpec
from seqclf.serving.app import create_app
from seqclf.serving.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "kubernetes"
HUB = ROOT / "deploy" / "kubernetes-hub"
#: the oldest Kubernetes the manifests are checked against, and the newest whose schemas are shipped
VERSIONS = ["1.30", kubernetes_validate.utils.latest_version()]


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def kustomization(folder: Path) -> dict[str, Any]:
    (doc,) = documents(folder / "kustomization.yaml")
    return doc


def manifests() -> list[Path]:
    return [BASE / name for name in kustomization(BASE)["resources"]]


def resource(kind: str) -> dict[str, Any]:
    (doc,) = [doc for path in manifests() for doc in documents(path) if doc["kind"] == kind]
    return doc


def container(deployment: dict[str, Any] | None = None) -> dict[str, Any]:
    (only,) = (deployment or resource("Deployment"))["spec"]["template"]["spec"]["containers"]
    return only


def literal_env(deployment: dict[str, Any] | None = None) -> dict[str, str]:
    """The container's variables with a literal value (those from Secrets are left out)."""
    return {var["name"]: var["value"] for var in container(deployment)["env"] if "value" in var}


def cpus(quantity: str) -> float:
    """A Kubernetes CPU quantity ("2", "500m") in CPUs."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def mebibytes(quantity: str) -> float:
    """A Kubernetes memory quantity in the binary units used here ("512Mi", "1Gi") in MiB."""
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


def built_tag(dockerfile: Path) -> str:
    """The image name the Dockerfile's header builds it as (``docker build -t NAME ...``)."""
    own = "" if dockerfile == DOCKERFILE else f" -f {dockerfile.name}"
    tags = re.findall(rf"docker build -t (\S+){re.escape(own)} \.\n", dockerfile.read_text(encoding="utf-8"))
    assert tags, f"{dockerfile.name}'s header shows no `docker build -t NAME{own} .`"
    return tags[0]


def test_the_kustomization_lists_every_manifest_in_its_folder() -> None:
    listed = kustomization(BASE)["resources"]
    assert sorted(listed) == sorted(p.name for p in BASE.glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(doc["kind"] for path in manifests() for doc in documents(path)) == [
        "Deployment",
        "HorizontalPodAutoscaler",
        "Service",
    ]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", manifests(), ids=lambda path: path.name)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(path: Path, version: str) -> None:
    for doc in documents(path):
        assert kubernetes_validate.validate(doc, version, strict=True)


def test_the_schema_check_refuses_a_misspelt_field() -> None:
    """Strict: a probe under a wrong name would be ignored by a lenient check, and never run."""
    deployment = resource("Deployment")
    probes = container(deployment)
    probes["readinesProbe"] = probes.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


def test_the_probes_ask_routes_that_say_what_each_probe_means(models_dir: Path) -> None:
    """Readiness is the route that waits for the models; liveness is not (an unready pod leaves the
    Service and is not restarted).

    The paths are looked up in the app's own route table (its OpenAPI schema), and asked of the
    app with no model loaded and with its models loaded.
    """
    probes = container()
    paths = {
        name: probes[name]["httpGet"]["path"] for name in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    app = create_app(ServiceSettings(models_dir=models_dir))
    served = {path for path, methods in app.openapi()["paths"].items() if "get" in methods}
    assert set(paths.values()) <= served, f"probes ask {paths}; the app serves {sorted(served)}"
    with TestClient(create_app(ServiceSettings(models_dir=models_dir), served={})) as empty:
        assert empty.get(paths["readinessProbe"]).status_code == 503  # no model loaded: not ready
        assert empty.get(paths["livenessProbe"]).status_code == 200  # but alive: no restart
    with TestClient(app) as loaded:
        assert all(loaded.get(path).status_code == 200 for path in paths.values())


def test_the_container_port_is_the_one_the_image_listens_on() -> None:
    service_image = target()
    command = json.loads(last("CMD", service_image))
    listens = int(command[command.index("--port") + 1])
    assert str(listens) in last("EXPOSE", service_image).split()
    (port,) = container()["ports"]
    assert port["containerPort"] == listens
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container()[probe]["httpGet"]["port"] == port["name"]
    (service_port,) = resource("Service")["spec"]["ports"]
    assert service_port["targetPort"] == port["name"] and service_port["port"] == 80


def test_every_seqclf_variable_is_a_setting_and_its_value_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefix = ServiceSettings.model_config["env_prefix"]
    known = {prefix + name.upper() for name in ServiceSettings.model_fields}
    base = resource("Deployment")
    overlay = documents(HUB / kustomization(HUB)["patches"][0]["path"])[0]
    for name in [name for name in os.environ if name.startswith(prefix)]:
        monkeypatch.delenv(name)
    for deployment in (base, overlay):  # the overlay's variables join the base's (merged by name)
        named = {var["name"] for var in container(deployment)["env"] if var["name"].startswith(prefix)}
        assert named <= known, f"not settings: {sorted(named - known)}"
        for name, value in literal_env(deployment).items():
            monkeypatch.setenv(name, value)
        settings = ServiceSettings()  # the values parse and pass the settings' checks
    # the overlay names Hub repos (OWNER/NAME, not a path in the image) at a pinned revision
    specs = [ModelSpec.parse(text) for text in settings.models]
    assert specs and all(re.fullmatch(r"[\w.-]+/[\w.-]+", spec.source) and spec.revision for spec in specs)


def test_the_cpu_request_is_the_thread_count_and_the_limit_adds_the_event_loop() -> None:
    threads = ServiceSettings(torch_threads=literal_env()["SEQCLF_TORCH_THREADS"]).torch_threads
    resources = container()["resources"]
    assert cpus(resources["requests"]["cpu"]) == threads
    assert cpus(resources["limits"]["cpu"]) == threads + 1
    assert mebibytes(resources["requests"]["memory"]) <= mebibytes(resources["limits"]["memory"])
    # the autoscaler measures utilisation against that request
    (metric,) = resource("HorizontalPodAutoscaler")["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"


def test_the_pod_runs_as_the_image_user_with_a_read_only_root_and_writable_caches() -> None:
    deployment = resource("Deployment")
    pod = deployment["spec"]["template"]["spec"]["securityContext"]
    user = last("USER", target()).strip()
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == int(user)
    own = container(deployment)["securityContext"]
    assert own["readOnlyRootFilesystem"] is True and own["allowPrivilegeEscalation"] is False
    assert own["capabilities"]["drop"] == ["ALL"]
    empty_dirs = {v["name"] for v in deployment["spec"]["template"]["spec"]["volumes"] if "emptyDir" in v}
    writable = [
        PurePosixPath(m["mountPath"])
        for m in container(deployment)["volumeMounts"]
        if m["name"] in empty_dirs
    ]
    settings = image_env(target())
    for place in [
        "/tmp",
        *(settings[name] for name in ("HOME", "XDG_CACHE_HOME", "HF_HOME", "MPLCONFIGDIR")),
    ]:
        assert any(PurePosixPath(place).is_relative_to(mount) for mount in writable), f"{place} is read-only"
    # and the models the image holds stay on the read-only image
    assert not any(PurePosixPath(settings["SEQCLF_MODELS_DIR"]).is_relative_to(mount) for mount in writable)


def test_the_objects_find_each_other_and_the_images_are_the_dockerfiles() -> None:
    deployment, service, hpa = (
        resource(kind) for kind in ("Deployment", "Service", "HorizontalPodAutoscaler")
    )
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    target_ref = hpa["spec"]["scaleTargetRef"]
    assert (target_ref["apiVersion"], target_ref["kind"], target_ref["name"]) == (
        deployment["apiVersion"],
        "Deployment",
        deployment["metadata"]["name"],
    )
    # the base runs the image with the models baked in, the Hub overlay the one without
    (image,) = kustomization(BASE)["images"]
    assert container(deployment)["image"] == image["name"]
    assert image["newName"] == built_tag(MODELS_DOCKERFILE)
    (hub_image,) = kustomization(HUB)["images"]
    assert hub_image["name"] == image["name"] and hub_image["newName"] == built_tag(DOCKERFILE)


@pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl (its built-in kustomize) is not installed"
)
@pytest.mark.parametrize("folder", [BASE, HUB], ids=lambda folder: folder.name)
def test_kustomize_builds_each_folder_into_valid_objects(folder: Path) -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(folder)], capture_output=True, text=True, timeout=60, check=False
    )
    assert built.returncode == 0, built.stderr
    objects = [doc for doc in yaml.safe_load_all(built.stdout) if doc]
    assert sorted(doc["kind"] for doc in objects) == ["Deployment", "HorizontalPodAutoscaler", "Service"]
    for doc in objects:
        assert kubernetes_validate.validate(doc, VERSIONS[-1], strict=True)
    (deployment,) = [doc for doc in objects if doc["kind"] == "Deployment"]
    (image,) = kustomization(folder)["images"]
    assert container(deployment)["image"] == f"{image['newName']}:{image['newTag']}"
    names = [var["name"] for var in container(deployment)["env"]]
    assert "SEQCLF_TORCH_THREADS" in names and ("SEQCLF_MODELS" in names) == (folder == HUB)


#: runs the service as the pod does (its environment given by the test), with every Python-level
#: write recorded, asks each kind of request that could write, and prints what was written
RECORD_WRITES = """
import io, json, os, sys, wave
WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
# event: (index of a path it changes, index of the folder descriptor that path is relative to)
CHANGES = {
    "os.mkdir": [(0, 2)], "os.remove": [(0, 1)], "os.rmdir": [(0, 1)], "os.chmod": [(0, 2)],
    "os.chown": [(0, 3)], "os.utime": [(0, 3)], "os.truncate": [(0, None)], "shutil.rmtree": [(0, 1)],
    "os.rename": [(0, 2), (1, 3)], "os.replace": [(0, 2), (1, 3)],  # both folders change
    "os.symlink": [(1, 2)], "os.link": [(1, 3)], "shutil.copyfile": [(1, None)],  # only the new name
}
written = set()

def absolute(path, folder_fd=None):
    folder = os.getcwd() if folder_fd is None or folder_fd < 0 else os.readlink(f"/proc/self/fd/{folder_fd}")
    return os.path.normpath(os.path.join(folder, os.fsdecode(path)))

def record(event, args):
    if event == "open":
        path, mode, flags = args
        writes = any(c in (mode or "") for c in "wax+") or (mode is None and flags & WRITES)
        if writes and not isinstance(path, int):
            written.add(absolute(path))
    for at, folder_at in CHANGES.get(event, ()):
        folder_fd = args[folder_at] if folder_at is not None and folder_at < len(args) else None
        if not isinstance(args[at], int):
            written.add(absolute(args[at], folder_fd))

sys.addaudithook(record)
from fastapi.testclient import TestClient
import service.app

recording = io.BytesIO()
with wave.open(recording, "wb") as wav:  # 2 MB, over the 1 MiB a multipart upload keeps in memory
    wav.setnchannels(1), wav.setsampwidth(2), wav.setframerate(8000)
    wav.writeframes(b"\\x01\\x00" * 1_000_000)
with TestClient(service.app.app) as client:
    assert client.get("/readyz").status_code == 200, client.get("/readyz").text
    for model in [m["id"] for m in client.get("/v1/models").json()["models"] if m["input"] == "text"]:
        answer = client.post(f"/v1/models/{model}/predict", json={"inputs": ["Nakamura"]})
        assert answer.status_code == 200, answer.text
    upload = client.post(
        "/v1/models/digits/predict/files", files={"files": ("long.wav", recording.getvalue(), "audio/wav")}
    )
    assert upload.status_code == 422, upload.text  # too long for the model, after it was spooled
    assert all(client.get(path).status_code == 200 for path in ("/metrics", "/docs", "/openapi.json", "/"))
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"written": sorted(written), "peak_kib": peak}))
"""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads the peak RSS from /proc")
def test_the_service_writes_only_to_the_pods_empty_dirs_and_fits_its_memory_request(tmp_path: Path) -> None:
    """The pod's file system, laid out under tmp_path: the read-only root with the baked models,
    the emptyDir mounts, and the image's and the manifest's environment; then the shipped models
    (what Dockerfile.models bakes in) and a model from the stand-in Hub (the overlay's way).

    Writes are recorded by an audit hook, so those made in Python (tempfile, huggingface_hub,
    Starlette's uploads) are seen and any made inside torch's or safetensors' native code are not.
    """
    deployment = resource("Deployment")
    mounts = [m["mountPath"] for m in container(deployment)["volumeMounts"]]
    models_dir = image_env(target())["SEQCLF_MODELS_DIR"]

    def on_this_machine(path: str) -> Path:
        if PurePosixPath(path).is_relative_to(models_dir):
            return ROOT / "models" / PurePosixPath(path).relative_to(models_dir)
        return tmp_path / "pod" / path.lstrip("/")

    for mount in mounts:
        on_this_machine(mount).mkdir(parents=True)
    pod_env = {**image_env(target()), **literal_env(deployment)}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "SEQCLF_", "PYTHON", "XDG_"))}
    env.update(
        {
            name: str(on_this_machine(value)) if value.startswith("/") else value
            for name, value in pod_env.items()
        }
    )
    env.update(TMPDIR=str(on_this_machine("/tmp")), PYTHONPATH=str(ROOT), HF_HUB_DISABLE_TELEMETRY="1")

    baked = sorted(p.name for p in (ROOT / "models").iterdir() if (p / "config.json").is_file())
    published = save_untrained(
        tmp_path / "made" / "names", CharEncoder.fit(NAMES, min_freq=1), ["ja", "ru"], "names"
    )
    with HubServer("hf_stand_in_token") as hub:
        api = HfApi(endpoint=hub.url, token="hf_stand_in_token")
        api.create_repo("alice/names")
        api.upload_folder(repo_id="alice/names", folder_path=published)
        models = [f"{name}={on_this_machine(f'{models_dir}/{name}')}" for name in baked] + ["hub=alice/names"]
        env.update(HF_ENDPOINT=hub.url, SEQCLF_MODELS=",".join(models))
        ran = subprocess.run(
            [sys.executable, "-c", RECORD_WRITES],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert ran.returncode == 0, ran.stderr[-3000:]
        assert any(path.startswith("alice/names/") for path in hub.downloads)
    result = json.loads(ran.stdout.splitlines()[-1])
    writable = [on_this_machine(mount) for mount in mounts]
    outside = [path for path in result["written"] if not any(Path(path).is_relative_to(w) for w in writable)]
    assert not outside, f"the service writes outside the pod's emptyDir mounts {mounts}: {outside}"
    # the Hub download and the spooled upload did land in the mounts, so the hook saw them
    assert any(Path(path).is_relative_to(on_this_machine(pod_env["HF_HOME"])) for path in result["written"])
    assert any(Path(path).is_relative_to(on_this_machine("/tmp")) for path in result["written"])
    request = mebibytes(container(deployment)["resources"]["requests"]["memory"])
    assert result["peak_kib"] / 1024 <= request, (
        f"peak RSS {result['peak_kib'] / 1024:.0f} MiB over the request"
    )
