"""A new kind of input and a new task are one module each: every door serves them.

tests/made_up_kind.py (an encoder and a modality for runs of counts) and
tests/made_up_task.py (a task that reads them) touch no other file. In a fresh
interpreter (the request schema is built when the service is first imported, from the
modalities registered by then), this trains the made-up task and asks the REST route, the
fast path, the Hugging Face route, ``seqclf predict --input`` and a UI tab, checking each
answer against ``Predictor.predict``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    import made_up_kind, made_up_task  # the two modules; nothing else knows of counts or tallies
    import numpy as np, torch
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner
    from seqclf import Predictor
    from seqclf.cli import app as cli
    from seqclf.serving.app import create_app
    from seqclf.serving.settings import ServiceSettings
    from seqclf.training.run import run_training
    from seqclf.ui.app import build_demo
    from seqclf.ui.tabs import ModelTab, TabOptions, analyse_fn

    root = Path({root!r})
    rng = np.random.default_rng(0)
    rows = []
    for i in range(160):
        run = np.cumsum(rng.integers(1, 3, size=int(rng.integers(3, 8)))).tolist()
        label = "rising" if i % 2 else "falling"
        rows.append({{"counts": run if label == "rising" else run[::-1], "label": label}})
    (root / "tallies.jsonl").write_text("".join(json.dumps(r) + "\\n" for r in rows))
    torch.set_num_threads(1)
    run_training("tallies", root / "tallies.jsonl", root / "model", log=lambda *_: None)
    predictor = Predictor.from_pretrained(root / "model", device="cpu")
    inputs = [[1, 2, 5, 8], [8, 5, 2, 1]]
    expected = predictor.predict(inputs, top_k=None)
    assert [p[0]["label"] for p in expected] == ["rising", "falling"], expected

    def same(got, want):
        assert [p["label"] for p in got] == [p["label"] for p in want], (got, want)
        assert all(abs(a["score"] - b["score"]) < 1e-4 for a, b in zip(got, want)), (got, want)

    with TestClient(create_app(ServiceSettings(models=[f"tally={{root / 'model'}}"]))) as client:
        answer = client.post("/v1/models/tally/predict", json={{"inputs": inputs}})  # the fast path
        assert answer.status_code == 200, answer.text
        for got, want in zip(answer.json()["predictions"], expected):
            same(got, want)
        refused = client.post("/v1/models/tally/predict", json={{"inputs": [[1, -2]]}})  # the route's 422
        assert refused.status_code == 422 and "counts" in refused.json()["error"], refused.text
        one = client.post("/models/tally", json={{"inputs": inputs[0]}})  # the Hugging Face route
        assert one.status_code == 200, one.text
        same(one.json(), expected[0])
        listed = client.get("/v1/models").json()["models"]
        assert [(m["id"], m["task"], m["input"]) for m in listed] == [("tally", "tallies", "counts")]

    lines = root / "counts.txt"
    lines.write_text("1 2 5 8\\n8 5 2 1\\n")
    result = CliRunner().invoke(cli, ["predict", str(root / "model"), "--input", str(lines), "--top-k", "2"])
    assert result.exit_code == 0, result.output
    for line, want in zip(result.stdout.splitlines(), expected):
        same(json.loads(line)["predictions"], want)

    tab = ModelTab("tally", predictor, str(root / "model"))
    label, why, unfolding = analyse_fn(tab, TabOptions())("1 2 5 8")
    assert max(label, key=label.get) == "rising" and len(why) == 4, (label, why)
    demo = build_demo([tab], root)
    assert any(c.get("props", {{}}).get("label") == "Counts" for c in demo.config["components"])
    print("every door answered")
    """
)


@pytest.mark.slow  # a fresh interpreter and a few seconds of training
def test_a_new_kind_and_task_in_one_module_each_are_served_by_every_door(tmp_path: Path) -> None:
    script = SCRIPT.format(tests=str(TESTS), root=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("every door answered")
