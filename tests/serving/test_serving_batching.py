"""Dynamic batching over HTTP: concurrent requests share forward passes and get the same answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from serving_support import LiveServer, forward_passes, start_server
from tolerances import assert_same_predictions

from seqclf.serving.settings import ServiceSettings

SURNAMES = [
    f"{stem}{end}"
    for stem in ("Naka", "Iva", "Gonza", "Ander", "Peto", "Fer")
    for end in ("mura", "nov", "lez", "son", "ri")
]


async def post_concurrently(url: str, path: str, bodies: list[dict]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        return await asyncio.gather(*(http.post(path, json=body) for body in bodies))


def test_concurrent_requests_share_forward_passes_and_match_one_at_a_time(
    server: LiveServer, client: httpx.Client
) -> None:
    path = "/v1/models/names/predict"
    passes_before, _ = forward_passes(client, "names")
    # one at a time: each request is its own forward pass
    alone = [client.post(path, json={"inputs": [name]}).json()["predictions"][0] for name in SURNAMES]
    assert forward_passes(client, "names")[0] == passes_before + len(SURNAMES)

    passes_before, inputs_before = forward_passes(client, "names")
    responses = asyncio.run(post_concurrently(server.url, path, [{"inputs": [name]} for name in SURNAMES]))
    passes, inputs = forward_passes(client, "names")

    assert [r.status_code for r in responses] == [200] * len(SURNAMES)
    assert inputs - inputs_before == len(SURNAMES)
    assert passes - passes_before < len(SURNAMES) / 2, "concurrent requests were not batched"
    for response, expected in zip(responses, alone, strict=True):
        # equal up to float rounding: batched matrix products may sum in another order
        assert_same_predictions(response.json()["predictions"][0], expected)


def test_requests_with_several_inputs_are_split_back_correctly(
    server: LiveServer, client: httpx.Client
) -> None:
    bodies = [{"inputs": SURNAMES[i : i + 3], "parameters": {"top_k": 1}} for i in range(0, 15, 3)]
    expected = [client.post("/v1/models/names/predict", json=body).json() for body in bodies]
    responses = asyncio.run(post_concurrently(server.url, "/v1/models/names/predict", bodies))
    for response, want in zip(responses, expected, strict=True):
        got = response.json()
        assert [[p["label"] for p in row] for row in got["predictions"]] == [
            [p["label"] for p in row] for row in want["predictions"]
        ]


@pytest.fixture(scope="module")
def busy_server(models_dir) -> Iterator[LiveServer]:
    """A queue of two inputs, and a first input that waits a second for company."""
    settings = ServiceSettings(models_dir=models_dir, max_queue=2, max_inputs=2, max_wait_ms=1000)
    live = start_server(settings)
    yield live
    live.stop()


@pytest.mark.slow  # waits out two 1 s batching windows; the time-bounded 503 stays in the edit loop
def test_a_full_queue_answers_503_with_retry_after(busy_server: LiveServer) -> None:
    bodies = [{"inputs": [name]} for name in SURNAMES[:3]]
    responses = asyncio.run(post_concurrently(busy_server.url, "/v1/models/names/predict", bodies))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 503]
    refused = next(r for r in responses if r.status_code == 503)
    assert refused.headers["retry-after"] == "1" and "queued" in refused.json()["error"]
    with httpx.Client(base_url=busy_server.url) as http:
        assert http.post("/v1/models/names/predict", json={"inputs": ["Ito"]}).status_code == 200
