"""Every way in gives the library's answer: REST, the HF route, ``seqclf predict`` and the UI's API.

On the trained names model (a two-network ensemble whose answers are far from uniform),
each route's labels and scores are compared with ``Predictor.predict`` on the same
inputs, score by score within ``SAME_SCORES``: a stub, a uniform model or a route that
reorders labels fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from huggingface_hub import InferenceClient
from live_server import RunningApp, run_app
from tolerances import SAME_SCORES, assert_same_prediction_lists, assert_same_predictions
from typer.testing import CliRunner

from seqclf import Predictor
from seqclf.cli import app

SURNAMES = ["Kamuramoto", "Ivanenko", "Gonzalez", "Wilford"]


@pytest.fixture(scope="module")
def service(models_dir: Path) -> Iterator[RunningApp]:
    from seqclf.serving.app import create_app
    from seqclf.serving.settings import ServiceSettings
    from seqclf.ui.app import mount
    from seqclf.ui.tabs import ModelTab

    settings = ServiceSettings(models_dir=models_dir)
    predictor = Predictor.from_pretrained(models_dir / "names", device="cpu")
    fastapi_app = mount(create_app(settings), [ModelTab("names", predictor, "names")], models_dir)
    running = run_app(fastapi_app)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def expected(models_dir: Path) -> list[list[dict]]:
    answers = Predictor.from_pretrained(models_dir / "names", device="cpu").predict(SURNAMES, top_k=None)
    # the comparisons below mean something only for a model that tells the inputs apart
    assert all(answer[0]["score"] > 0.6 for answer in answers)
    assert len({answer[0]["label"] for answer in answers}) == len(SURNAMES)
    return answers


def test_rest_answers_as_the_library(service: RunningApp, expected: list[list[dict]]) -> None:
    body = {"inputs": SURNAMES, "parameters": {"top_k": None}}
    answer = httpx.post(f"{service.url}/v1/models/names/predict", json=body, timeout=30)
    assert answer.status_code == 200
    assert_same_prediction_lists(answer.json()["predictions"], expected)


def test_the_hf_route_answers_as_the_library(service: RunningApp, expected: list[list[dict]]) -> None:
    client = InferenceClient(model=f"{service.url}/models/names")
    for surname, want in zip(SURNAMES, expected, strict=True):
        got = client.text_classification(surname, top_k=len(want))
        assert_same_predictions([{"label": r.label, "score": r.score} for r in got], want)


def test_seqclf_predict_answers_as_the_library(models_dir: Path, expected: list[list[dict]]) -> None:
    result = CliRunner().invoke(app, ["predict", str(models_dir / "names"), *SURNAMES, "--top-k", "4"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert [item["input"] for item in printed] == SURNAMES
    assert_same_prediction_lists([item["predictions"] for item in printed], expected)


def test_the_ui_api_answers_as_the_library(service: RunningApp, expected: list[list[dict]]) -> None:
    client = Client(f"{service.url}/ui/", verbose=False)
    for surname, want in zip(SURNAMES, expected, strict=True):
        label, _, _ = client.predict(surname, api_name="/names")
        assert label["label"] == want[0]["label"]
        shown = {c["label"]: c["confidence"] for c in label["confidences"]}
        for prediction in want:
            assert shown[prediction["label"]] == pytest.approx(prediction["score"], abs=SAME_SCORES)
