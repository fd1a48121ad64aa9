"""Publishing to and pulling from the Hub, end to end through the real huggingface_hub client.

The Hub is the stand-in server of ``hub_server.py`` on a loopback port. Every Hub
operation runs in a fresh process (the ``seqclf`` command, or ``hub_client.py`` for
the Python API) with HF_ENDPOINT, HF_HOME, HF_TOKEN and HF_HUB_OFFLINE set the way a
user sets them, because huggingface_hub reads them once, at import.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from hub_server import HubServer, stalled_endpoint, unused_endpoint
from huggingface_hub import CommitOperationAdd, HfApi
from safetensors.torch import save_file
from tiny_model import TINY_MODEL
from tolerances import assert_same_prediction_lists
from typer.testing import CliRunner

from seqclf.cli import app
from seqclf.config import TrainConfig
from seqclf.errors import ModelLoadError
from seqclf.inference.predictor import Predictor
from seqclf.training.run import run_training

#: processes, servers or a browser: left out of the edit loop (pytest -m "not slow")
pytestmark = pytest.mark.slow

TOKEN = "hf_stand_in_token"
REPO = "alice/names-tiny"
INPUTS = ["Nakamura", "Ivanov", "Gonzalez", "Anderson", "Qwxz"]
CLIENT = Path(__file__).with_name("hub_client.py")


def hub_env(endpoint: str, home: Path, token: str | None = TOKEN, **extra: str) -> dict[str, str]:
    """The environment of a user whose Hub is ``endpoint`` and whose HF_HOME is ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE_", "TRANSFORMERS_"))}
    env.update(
        {
            "HF_ENDPOINT": endpoint,
            "HF_HOME": str(home),
            "HF_HUB_ETAG_TIMEOUT": "2",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "OMP_NUM_THREADS": "1",  # tiny models: one torch thread, as in conftest.py
            **extra,
        }
    )
    if token:
        env["HF_TOKEN"] = token
    return env


def seqclf(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from seqclf.cli import main; main()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def client(steps: list[list[Any]], env: dict[str, str], cwd: Path | None = None) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, str(CLIENT), json.dumps(steps)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def local_predictions(folder: Path) -> list[Any]:
    return Predictor.from_pretrained(folder, device="cpu").predict(INPUTS, top_k=None)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, names_folder: Path) -> dict[str, Path]:
    """Two tiny names models that predict differently (different seeds)."""
    root = tmp_path_factory.mktemp("models")
    for version, seed in (("v1", 0), ("v2", 1)):
        run_training(
            "names",
            names_folder,
            root / version,
            model=TINY_MODEL,
            train=TrainConfig(epochs=1, seed=seed).to_dict(),
            command=f"seqclf train names --data names --out {version} --epochs 1 --seed {seed}",
            log=lambda *_: None,
        )
    # files a user or an interrupted run may leave next to the model; never published
    (root / "v1" / "notes.txt").write_text("scratch\n")
    (root / "v1" / "checkpoint.pt").write_bytes(b"pickled training state")
    assert local_predictions(root / "v1") != local_predictions(root / "v2")
    return {"v1": root / "v1", "v2": root / "v2"}


class _Bomb:
    """Unpickling this writes a file: proof that something was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "unpickled"))


@pytest.fixture(scope="module")
def pickle_marker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file that unpickling the pickles in the Hub's ``bob/`` repos would write."""
    return tmp_path_factory.mktemp("bob") / "unpickled.txt"


@pytest.fixture(scope="module")
def hub(pickle_marker: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    """The stand-in Hub, holding two repos that are not seqclf models.

    ``bob/bert-like`` has a transformers-style config.json, safetensors weights and a
    pickle; ``bob/pickles`` has only a pickle. Unpickling either pickle would write
    ``pickle_marker``.
    """
    weights = pickle_marker.with_name("model.safetensors")
    save_file({"encoder.weight": torch.zeros(2, 2)}, weights)
    bomb = pickle.dumps(_Bomb(pickle_marker))
    with HubServer(TOKEN) as server:
        api = HfApi(endpoint=server.url, token=TOKEN)
        for repo_id, files in (
            ("bob/bert-like", {"config.json": b'{"model_type": "bert"}', "model.safetensors": weights}),
            ("bob/pickles", {}),
        ):
            api.create_repo(repo_id)
            operations = [CommitOperationAdd(name, content) for name, content in files.items()]
            operations.append(CommitOperationAdd("pytorch_model.bin", bomb))
            api.create_commit(repo_id, operations=operations, commit_message="not a seqclf model")
        yield server


@pytest.fixture(scope="module")
def published(hub: HubServer, models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """``models`` v1 then v2 pushed to REPO's main branch with ``seqclf push``."""
    env = hub_env(hub.url, tmp_path_factory.mktemp("pusher"))
    first = seqclf("push", str(models["v1"]), "--repo-id", REPO, "--private", env=env)
    assert first.returncode == 0, first.stderr
    second = seqclf("push", str(models["v2"]), "--repo-id", REPO, "--commit-message", "Retrain", env=env)
    assert second.returncode == 0, second.stderr
    shas = [re.search(r"commit ([0-9a-f]{40})", done.stdout).group(1) for done in (first, second)]
    return {"v1": shas[0], "v2": shas[1], "stdout": first.stdout}


def test_push_publishes_the_model_files_only(hub: HubServer, published: dict) -> None:
    repo = hub.hub.repos[REPO]
    assert repo.private
    assert repo.branches["main"] == published["v2"]
    assert sorted(repo.commits[published["v1"]].files) == [
        ".gitattributes",
        "README.md",
        "config.json",
        "confusion_matrix.png",
        "model.safetensors",
        "training_curves.png",
    ]
    assert repo.commits[published["v2"]].message == "Retrain"
    assert (
        "pushed README.md, config.json, confusion_matrix.png, model.safetensors, training_curves.png"
        in published["stdout"]
    )


def test_pull_at_the_first_commit_gives_the_first_model(
    hub: HubServer, published: dict, models: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "pulled"
    done = seqclf(
        "pull", REPO, "--revision", published["v1"], "--out", str(out), env=hub_env(hub.url, tmp_path)
    )
    assert done.returncode == 0, done.stderr
    for name in ("config.json", "model.safetensors", "README.md"):
        assert (out / name).read_bytes() == (models["v1"] / name).read_bytes()
    assert not (out / "notes.txt").exists() and not (out / "checkpoint.pt").exists()
    assert_same_prediction_lists(local_predictions(out), local_predictions(models["v1"]))


@pytest.fixture(scope="module")
def loaded(hub: HubServer, published: dict, models: dict[str, Path], tmp_path_factory) -> dict:
    """Predictor.from_pretrained by repo id at several revisions, online, then offline from the cache."""
    home = tmp_path_factory.mktemp("user")
    future = Path(shutil.copytree(models["v1"], tmp_path_factory.mktemp("future") / "model"))
    config = json.loads((future / "config.json").read_text(encoding="utf-8"))
    (future / "config.json").write_text(json.dumps({**config, "format_version": 99}), encoding="utf-8")
    api = HfApi(endpoint=hub.url, token=TOKEN)
    api.create_repo("carol/future")
    api.upload_folder(repo_id="carol/future", folder_path=future)
    online = {
        "latest": ["load", REPO, None, INPUTS],
        "pinned": ["load", REPO, published["v1"], INPUTS],
        "push_branch": ["push", str(models["v1"]), REPO, "stable"],
        "branch": ["load", REPO, "stable", INPUTS],
        "no_branch": ["load", REPO, "no-such-branch", INPUTS],
        "no_repo": ["load", "alice/no-such-repo", None, INPUTS],
        "bert_like": ["load", "bob/bert-like", None, INPUTS],
        "pickles": ["load", "bob/pickles", None, INPUTS],
        "future": ["load", "carol/future", None, INPUTS],
    }
    offline = {
        "latest": ["load", REPO, None, INPUTS],
        "pinned": ["load", REPO, published["v1"], INPUTS],
        "never_pulled": ["load", REPO, "dev", INPUTS],
    }
    return {
        "online": dict(zip(online, client(list(online.values()), hub_env(hub.url, home)), strict=True)),
        "offline": dict(
            zip(
                offline,
                client(list(offline.values()), hub_env(hub.url, home, HF_HUB_OFFLINE="1")),
                strict=True,
            )
        ),
        "home": home,
    }


def test_repo_id_loads_the_latest_push_and_pinned_revisions(loaded: dict, models: dict[str, Path]) -> None:
    latest, pinned, pushed, branch = (
        loaded["online"][k] for k in ("latest", "pinned", "push_branch", "branch")
    )
    assert_same_prediction_lists(latest["predictions"], local_predictions(models["v2"]))
    assert_same_prediction_lists(pinned["predictions"], local_predictions(models["v1"]))
    assert re.fullmatch(r"[0-9a-f]{40}", pushed["commit"])
    assert_same_prediction_lists(branch["predictions"], local_predictions(models["v1"]))


def test_unknown_repo_or_revision_is_a_clear_error(loaded: dict) -> None:
    no_branch, no_repo = loaded["online"]["no_branch"], loaded["online"]["no_repo"]
    assert no_branch["error"] == "ModelLoadError"
    assert "has no revision 'no-such-branch'" in no_branch["message"]
    assert no_repo["error"] == "ModelLoadError"
    assert "no model repo 'alice/no-such-repo'" in no_repo["message"]


def test_offline_mode_loads_from_the_cache(loaded: dict, models: dict[str, Path]) -> None:
    latest, pinned, never_pulled = loaded["offline"].values()
    assert_same_prediction_lists(latest["predictions"], local_predictions(models["v2"]))
    assert_same_prediction_lists(pinned["predictions"], local_predictions(models["v1"]))
    assert never_pulled["error"] == "ModelLoadError"
    assert "HF_HUB_OFFLINE is set" in never_pulled["message"]
    assert "not in the local cache" in never_pulled["message"]


def test_a_repo_that_is_not_a_seqclf_model_is_refused_without_running_anything(
    hub: HubServer, loaded: dict, pickle_marker: Path
) -> None:
    bert_like, pickles = loaded["online"]["bert_like"], loaded["online"]["pickles"]
    assert bert_like["error"] == "ModelLoadError"
    assert 'no "library_name": "seqclf"' in bert_like["message"]
    assert pickles["error"] == "ModelLoadError"
    assert (
        "bob/pickles is not a seqclf model: it has no config.json or model.safetensors" in pickles["message"]
    )
    fetched = sorted(path for path in hub.downloads if path.startswith("bob/"))
    assert fetched == ["bob/bert-like/config.json", "bob/bert-like/model.safetensors"]
    assert not pickle_marker.exists()


def test_a_newer_format_version_asks_for_an_upgrade(loaded: dict) -> None:
    future = loaded["online"]["future"]
    assert future["error"] == "ModelLoadError"
    assert "uses format version 99" in future["message"] and "Upgrade seqclf" in future["message"]


def test_a_hub_that_is_down_fails_fast_but_cached_models_still_load_and_push_needs_a_token(
    loaded: dict, models: dict[str, Path]
) -> None:
    cached, uncached, push = client(
        [
            ["load", REPO, None, INPUTS],
            ["load", "alice/never-pulled", None, INPUTS],
            ["push", str(models["v1"]), REPO, None],
        ],
        hub_env(unused_endpoint(), loaded["home"], token=None),
    )
    assert_same_prediction_lists(cached["predictions"], local_predictions(models["v2"]))
    assert uncached["error"] == "ModelLoadError"
    assert "cannot reach the Hub" in uncached["message"] and "not in the local cache" in uncached["message"]
    assert "There is no local folder" in uncached["message"]  # a mistyped path reads the same way
    assert uncached["seconds"] < 10
    assert push["error"] == "HubError" and "set HF_TOKEN or run `hf auth login`" in push["message"]


def test_a_hub_that_is_down_is_said_once_by_the_command_line(loaded: dict, models: dict[str, Path]) -> None:
    """Once as the error when the model is not cached; once as a warning when the cached copy serves."""
    env = hub_env(unused_endpoint(), loaded["home"], token=None)
    pulled = seqclf("pull", "alice/never-pulled", env=env)
    assert pulled.returncode == 2 and pulled.stdout == ""
    (line,) = pulled.stderr.splitlines()
    assert line.startswith("error: cannot reach the Hub at http://127.0.0.1:")
    assert line.endswith(
        "alice/never-pulled is not in the local cache. Check your connection and "
        "HF_ENDPOINT, or pull the model once while online."
    )
    cached = seqclf("predict", REPO, *INPUTS, "--top-k", "18", env=env)
    assert cached.returncode == 0, cached.stderr
    assert_same_prediction_lists(
        [item["predictions"] for item in json.loads(cached.stdout)], local_predictions(models["v2"])
    )
    said = [line for line in cached.stderr.splitlines() if "cannot reach the Hub" in line]
    assert len(said) == 1 and said[0].endswith(f"using the copy of {REPO} in the local cache"), cached.stderr


def test_a_stalled_hub_gives_up_after_the_timeout(loaded: dict, models: dict[str, Path]) -> None:
    with stalled_endpoint() as url:
        cached, uncached, push = client(
            [
                ["load", REPO, None, INPUTS],
                ["load", "alice/never-pulled", None, INPUTS],
                ["push", str(models["v1"]), REPO, None],
            ],
            hub_env(url, loaded["home"], HF_HUB_ETAG_TIMEOUT="1"),
        )
    assert_same_prediction_lists(cached["predictions"], local_predictions(models["v2"]))
    assert "no answer within 1 s" in uncached["message"]
    assert push["error"] == "HubError" and "no answer within 1 s" in push["message"]
    assert "nothing was pushed" in push["message"]
    # each waits about 1 s (the first step also absorbs huggingface_hub's own 3 s lookup);
    # unbounded, they would hang until the subprocess timeout
    assert uncached["seconds"] < 10 and push["seconds"] < 10


def test_push_refuses_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# not a model\n")
    result = CliRunner().invoke(app, ["push", str(tmp_path), "--repo-id", REPO])
    assert result.exit_code == 2
    assert "not a seqclf model folder" in result.output


@pytest.mark.parametrize("text", ["no-such-folder", "a/b/c", "..x/y", "owner/na--me"])
def test_neither_a_folder_nor_a_repo_id_is_refused_before_any_request(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelLoadError, match="neither a model folder nor a Hub repo id"):
        Predictor.from_pretrained(text)


def test_the_ui_hub_source_loads_hub_repos_only_within_the_size_limit(
    hub: HubServer, published: dict, models: dict[str, Path], tmp_path: Path
) -> None:
    # a folder here spelled like the repo id, holding the other model: the Hub's must win
    decoy = tmp_path / REPO
    shutil.copytree(models["v2"], decoy)
    size = sum((models["v1"] / name).stat().st_size for name in ("config.json", "model.safetensors"))
    steps = [
        ["visitor", "hub", 64 * 2**20, REPO, published["v1"], INPUTS],
        ["visitor", "hub", size // 2, REPO, published["v1"], INPUTS],
        ["visitor", "hub", 64 * 2**20, str(models["v1"]), None, INPUTS],
        ["visitor", "hub", 64 * 2**20, "/no/such/folder", None, INPUTS],
        ["visitor", "off", 64 * 2**20, REPO, None, INPUTS],
    ]
    fits, too_big, a_path, no_path, off = client(steps, hub_env(hub.url, tmp_path / "home"), cwd=tmp_path)
    assert fits["commit"] == published["v1"]
    assert_same_prediction_lists(fits["predictions"], local_predictions(models["v1"]))
    assert "MiB, more than the" in too_big["message"]
    # a path is refused in the same words whether it exists or not
    assert a_path["error"] == no_path["error"] == "SourceRefused"
    assert a_path["message"] == no_path["message"] and "repo id" in a_path["message"]
    assert off["error"] == "SourceRefused" and "only the models it was started with" in off["message"]
