"""The real ``huggingface_hub.InferenceClient`` against ``POST /models/{id}``."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import httpx
import pytest
from huggingface_hub import InferenceClient
from huggingface_hub.errors import HfHubHTTPError
from serving_support import LiveServer, start_server
from speech_data import tone_wav
from tolerances import assert_same_predictions

from seqclf.serving.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]


def v1_predictions(http: httpx.Client, model: str, inputs: list, top_k: int | None = None) -> list:
    body = {"inputs": inputs, "parameters": {"top_k": top_k}}
    return http.post(f"/v1/models/{model}/predict", json=body).json()["predictions"]


def test_text_classification(server: LiveServer, client: httpx.Client) -> None:
    hf = InferenceClient(model=f"{server.url}/models/names")
    result = hf.text_classification("Nakamura", top_k=3)
    as_dicts = [{"label": r.label, "score": r.score} for r in result]
    assert_same_predictions(as_dicts, v1_predictions(client, "names", ["Nakamura"], 3)[0])


def test_text_classification_without_parameters(server: LiveServer) -> None:
    result = InferenceClient(model=f"{server.url}/models/names").text_classification("Ivanov")
    assert len(result) == 3 and result[0].score >= result[-1].score


def test_errors_reach_the_client_as_http_errors(server: LiveServer) -> None:
    with pytest.raises(HfHubHTTPError) as raised:
        InferenceClient(model=f"{server.url}/models/nope").text_classification("Ivanov")
    assert raised.value.response.status_code == 404


def test_a_list_of_texts_gets_one_list_each(client: httpx.Client) -> None:
    response = client.post("/models/names", json={"inputs": ["Tanaka", "Petrov"], "parameters": {"top_k": 1}})
    assert response.status_code == 200
    assert [len(p) for p in response.json()] == [1, 1]


def test_audio_classification_raw_bytes_and_base64_json(server: LiveServer, client: httpx.Client) -> None:
    wav = tone_wav(700)
    hf = InferenceClient(model=f"{server.url}/models/digits")
    raw = hf.audio_classification(wav)  # no parameters: the WAV is the body
    with_top_k = hf.audio_classification(wav, top_k=2)  # parameters: JSON with base64 inputs
    expected = v1_predictions(client, "digits", [base64.b64encode(wav).decode()])[0]
    assert_same_predictions([{"label": r.label, "score": r.score} for r in raw], expected)
    assert len(with_top_k) == 2
    assert_same_predictions([{"label": r.label, "score": r.score} for r in with_top_k], expected)


def test_the_readme_s_inference_client_lines_run_as_written_from_a_clone(monkeypatch) -> None:
    """Each README line, run in the repository's root against the shipped models, answers rightly.

    The digits line once named a recording.wav nobody has (FileNotFoundError); it must name a
    file the repository ships, and the shipped model must hear the digit its name says.
    """
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    lines = [line.split("  #")[0] for line in readme.splitlines() if line.startswith("InferenceClient(")]
    models = {re.search(r"/models/(\w+)\"", line)[1]: line for line in lines}
    assert sorted(models) == ["digits", "names"]
    live = start_server(ServiceSettings(models=[f"{m}={REPO / 'models' / m}" for m in models]))
    monkeypatch.chdir(REPO)
    try:
        answers = {
            model: eval(line.replace("http://127.0.0.1:8000", live.url), {"InferenceClient": InferenceClient})
            for model, line in models.items()
        }
    finally:
        live.stop()
    assert answers["names"][0].label == "Japanese"  # "Nakamura"
    spoken = re.search(r'audio_classification\("examples/digits/(\d)_', models["digits"])
    assert spoken and answers["digits"][0].label == spoken[1] and answers["digits"][0].score > 0.9
