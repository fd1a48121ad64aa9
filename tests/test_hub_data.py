"""Hub datasets as --data: fetched from the stand-in Hub (data files only), pinned, cached.

The commands run in fresh processes with HF_ENDPOINT pointing at the stand-in Hub on
loopback (huggingface_hub reads it once, at import), as test_hub.py does for models.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hub_server import HubServer, Repo
from names_data import make_names_folder
from test_hub import TOKEN, hub_env, seqclf
from tolerances import SAME_METRIC

from seqclf.data.hub_data import HubDataset, _choose, parse
from seqclf.errors import ConfigError, DataError


def test_references_name_a_repo_a_revision_and_a_path() -> None:
    assert parse("hf://datasets/carol/names") == HubDataset("carol/names", None, None)
    assert parse("hf://datasets/carol/names@v1/data/train.csv") == HubDataset(
        "carol/names", "v1", "data/train.csv"
    )
    assert parse("names/train.csv") is None  # a local path
    for bad in ("hf://datasets/carol", "hf://datasets/carol/na me", "hf://datasets/carol/names@"):
        with pytest.raises(ConfigError, match="hf://datasets/OWNER/NAME"):
            parse(bad)


def test_without_a_path_the_data_is_the_one_file_the_train_file_or_the_folder(tmp_path: Path) -> None:
    lines: list[str] = []
    ref = HubDataset("carol/d", None, None)
    one = tmp_path / "one"
    (one / "data").mkdir(parents=True)
    (one / "data" / "all.parquet").write_bytes(b"")
    assert _choose(one, ref, lines.append) == "data/all.parquet"
    (one / "data" / "train.csv").write_text("")
    (one / "data" / "test.csv").write_text("")
    (one / "data" / "all.parquet").unlink()
    assert _choose(one, ref, lines.append) == "data/train.csv"
    assert "also there: data/test.csv" in lines[-1]
    (one / "data" / "more.csv").write_text("")
    (one / "data" / "train.csv").unlink()
    with pytest.raises(DataError, match=r"several data files \(data/more.csv, data/test.csv\): name one"):
        _choose(one, ref, lines.append)
    make_names_folder(tmp_path / "labels", per_language=3)
    assert _choose(tmp_path / "labels", ref, lines.append) is None  # <label>.txt: the whole folder


def _csv(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([("text", "label"), *rows])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    """carol/surnames: train.csv, test.csv and a loader script nothing may fetch."""
    folder = make_names_folder(tmp_path_factory.mktemp("names"), per_language=40)
    rows = [(n, p.stem) for p in sorted(folder.glob("*.txt")) for n in p.read_text().split()]
    train, test = rows[::2], rows[1::2]
    with HubServer(TOKEN) as server:
        repo = server.hub.repos["datasets/carol/surnames"] = Repo(private=False)
        files = {"train.csv": _csv(train), "test.csv": _csv(test), "surnames.py": b"raise SystemExit(1)\n"}
        server.first = server.hub.commit(repo, "main", "data", files)
        server.test_rows = len(test)
        yield server


def _config(folder: Path) -> dict:
    return json.loads((folder / "config.json").read_text(encoding="utf-8"))["training"]


@pytest.mark.slow  # fresh processes that train
def test_a_hub_csv_trains_is_pinned_and_evaluates_later_from_the_pinned_commit(hub, tmp_path: Path) -> None:
    env = hub_env(hub.url, tmp_path / "home")
    out = tmp_path / "m"
    done = seqclf(
        "train",
        "text",
        "--data",
        "hf://datasets/carol/surnames",
        "--test",
        "hf://datasets/carol/surnames/test.csv",
        "--out",
        str(out),
        "--epochs",
        "8",
        "--ensemble",
        "1",
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    training = _config(out)
    sha = hub.first.sha
    assert training["data"]["path"] == f"hf://datasets/carol/surnames@{sha}/train.csv"
    assert training["split"]["test_file"] == f"hf://datasets/carol/surnames@{sha}/test.csv"
    assert training["metrics"]["test"]["num_examples"] == hub.test_rows
    assert training["metrics"]["test"]["accuracy"] >= 0.7  # four classes: it learnt from the Hub's rows
    assert not any(path.endswith("surnames.py") for path in hub.downloads)  # data files only
    assert f"hf://datasets/carol/surnames@{sha}/train.csv" in (out / "README.md").read_text()

    # main moves on; the recorded reference still reads the files the model learnt from
    with hub.hub.lock:
        repo = hub.hub.repos["datasets/carol/surnames"]
        hub.hub.commit(
            repo, "main", "relabel", {**repo.commits[sha].files, "test.csv": _csv([("Ito", "Beta")])}
        )
    for extra in ({}, {"HF_HUB_OFFLINE": "1"}):  # online, then from the cache alone
        scored = seqclf(
            "evaluate", str(out), "--data", training["data"]["path"], "--json", env={**env, **extra}
        )
        assert scored.returncode == 0, scored.stderr[-2000:]
        report = json.loads(scored.stdout)
        assert report["num_examples"] == hub.test_rows
        assert report["accuracy"] == pytest.approx(training["metrics"]["test"]["accuracy"], abs=SAME_METRIC)


@pytest.mark.slow  # fresh processes
def test_a_missing_dataset_or_file_is_one_line(hub, tmp_path: Path) -> None:
    env = hub_env(hub.url, tmp_path / "home")
    for data, message in (
        ("hf://datasets/carol/nothing", "no dataset repo 'carol/nothing'"),
        ("hf://datasets/carol/surnames@v9", "has no revision 'v9'"),
        ("hf://datasets/carol/surnames/dev.csv", "has no 'dev.csv'; its data files: test.csv, train.csv"),
    ):
        done = seqclf("train", "text", "--data", data, "--out", str(tmp_path / "x"), env=env)
        assert done.returncode != 0, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
        assert not (tmp_path / "x").exists()
