"""The optional API key: prediction routes need it, health routes stay open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from huggingface_hub import InferenceClient
from huggingface_hub.errors import HfHubHTTPError
from live_server import SHARED_TLS
from serving_support import LiveServer, start_server

from seqclf.serving.settings import ServiceSettings

KEY = "s3cret-key"


@pytest.fixture(scope="module")
def locked(models_dir: Path) -> Iterator[LiveServer]:
    live = start_server(ServiceSettings(models_dir=models_dir, api_key=KEY))
    yield live
    live.stop()


@pytest.fixture
def http(locked: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=locked.url, timeout=30, verify=SHARED_TLS) as client:
        yield client


PROTECTED = [
    ("GET", "/v1/models", None),
    ("POST", "/v1/models/names/predict", {"inputs": ["Ito"]}),
    ("POST", "/models/names", {"inputs": "Ito"}),
]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {KEY[:-1]}"},
    ],
    ids=["none", "wrong-key", "wrong-scheme", "no-token", "prefix"],
)
def test_prediction_routes_refuse_missing_or_wrong_keys(
    http: httpx.Client, method: str, path: str, body: dict | None, headers: dict
) -> None:
    response = http.request(method, path, json=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "API key" in response.json()["error"]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_the_right_key_opens_them(http: httpx.Client, method: str, path: str, body: dict | None) -> None:
    assert (
        http.request(method, path, json=body, headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    )


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json", "/favicon.ico"])
def test_health_metrics_and_docs_stay_open(http: httpx.Client, path: str) -> None:
    assert http.get(path).status_code == 200


def test_an_unknown_model_is_not_revealed_without_the_key(http: httpx.Client) -> None:
    assert http.post("/v1/models/nope/predict", json={"inputs": ["Ito"]}).status_code == 401


def test_inference_client_sends_its_token(locked: LiveServer) -> None:
    result = InferenceClient(model=f"{locked.url}/models/names", token=KEY).text_classification(
        "Ito", top_k=1
    )
    assert len(result) == 1
    with pytest.raises(HfHubHTTPError) as refused:
        InferenceClient(model=f"{locked.url}/models/names", token="wrong").text_classification("Ito")
    assert refused.value.response.status_code == 401


def test_an_empty_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        ServiceSettings(api_key="  ")
