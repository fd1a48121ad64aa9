"""The documented contract of the /v1 routes, health routes and OpenAPI docs, over real HTTP."""

from __future__ import annotations

import base64
import math

import httpx
from serving_support import NAMES, VOWELS_WIDTH, LiveServer
from speech_data import tone_wav
from tolerances import assert_same_predictions


def test_health_and_readiness(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_lists_models_with_their_description(client: httpx.Client, server: LiveServer) -> None:
    models = {m["id"]: m for m in client.get("/v1/models").json()["models"]}
    names = models["names"]
    assert names == {
        "id": "names",
        "task": "names",
        "input": "text",
        "labels": ["Japanese", "Russian", "Spanish"],
        "source": str(server.settings.models_dir / "names"),
        "revision": None,
    }
    assert models["vowels"]["input"] == "features"
    assert models["digits"]["input"] == "audio"


def test_predict_returns_one_sorted_list_per_input(client: httpx.Client) -> None:
    response = client.post("/v1/models/names/predict", json={"inputs": NAMES[:3], "parameters": {"top_k": 2}})
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "names" and len(body["predictions"]) == 3
    for predictions in body["predictions"]:
        assert len(predictions) == 2
        assert predictions[0]["score"] >= predictions[1]["score"]
        assert {p["label"] for p in predictions} <= {"Japanese", "Russian", "Spanish"}


def test_without_top_k_every_label_is_scored_and_scores_sum_to_one(client: httpx.Client) -> None:
    predictions = client.post("/v1/models/names/predict", json={"inputs": ["Tanaka"]}).json()["predictions"][
        0
    ]
    assert sorted(p["label"] for p in predictions) == ["Japanese", "Russian", "Spanish"]
    assert math.isclose(sum(p["score"] for p in predictions), 1.0, rel_tol=1e-5)


def test_top_k_larger_than_the_labels_gives_every_label(client: httpx.Client) -> None:
    body = client.post("/v1/models/names/predict", json={"inputs": ["Tanaka"], "parameters": {"top_k": 99}})
    assert len(body.json()["predictions"][0]) == 3


def test_same_input_same_answer_whatever_the_case(client: httpx.Client) -> None:
    """The char encoder lower-cases, so the service must not add its own differences."""
    body = client.post("/v1/models/names/predict", json={"inputs": ["Nakamura", "NAKAMURA"]}).json()
    assert_same_predictions(body["predictions"][0], body["predictions"][1])


def test_feature_model_takes_matrices_of_any_length(client: httpx.Client) -> None:
    short = [[0.1] * VOWELS_WIDTH] * 3
    long = [[float(i % 5)] * VOWELS_WIDTH for i in range(30)]
    body = client.post("/v1/models/vowels/predict", json={"inputs": [short, long]})
    assert body.status_code == 200 and len(body.json()["predictions"]) == 2


def test_audio_model_takes_base64_wav_and_uploads_alike(client: httpx.Client) -> None:
    wav = tone_wav(440)
    as_json = client.post("/v1/models/digits/predict", json={"inputs": [base64.b64encode(wav).decode()]})
    uploaded = client.post(
        "/v1/models/digits/predict/files",
        files=[("files", ("one.wav", wav, "audio/wav")), ("files", ("two.wav", tone_wav(900), "audio/wav"))],
        data={"top_k": "3"},
    )
    assert as_json.status_code == 200 and uploaded.status_code == 200
    assert len(uploaded.json()["predictions"]) == 2 and len(uploaded.json()["predictions"][0]) == 3
    # the first WAV scored alone (JSON) and in a batch of two (upload): the batch pads it,
    # which may move its scores in the last bits, never by more than SAME_SCORES
    assert_same_predictions(uploaded.json()["predictions"][0], as_json.json()["predictions"][0])


def test_openapi_documents_every_route(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/v1/models",
        "/v1/models/{model_id}/predict",
        "/models/{model_id}",
        "/healthz",
        "/metrics",
    } <= set(paths)
    assert client.get("/docs").status_code == 200


def test_the_root_is_an_index_of_the_service_not_a_404(client: httpx.Client) -> None:
    index = client.get("/")
    assert index.status_code == 200 and "ui" not in index.json()
    assert client.get(index.json()["models"]).json()["models"]
    assert client.get(index.json()["docs"]).status_code == 200


def test_the_favicon_every_browser_asks_for_is_an_icon_not_a_404(client: httpx.Client) -> None:
    import io

    from PIL import Image  # matplotlib's dependency: decodes the icon as a browser would

    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    image = Image.open(io.BytesIO(icon.content))
    assert image.format == "ICO" and {(16, 16), (32, 32)} <= set(image.info["sizes"])
    colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 2  # a picture, not a blank square
    assert "/favicon.ico" not in client.get("/openapi.json").json()["paths"]
