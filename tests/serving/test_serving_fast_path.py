"""The hot prediction path: the same answers as the FastAPI routes, a bounded queue, lone requests at once."""

from __future__ import annotations

import asyncio
import http.client as http_client
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from live_server import run_app
from serving_support import TEST_LIMITS, LiveServer, forward_passes

from seqclf.serving.app import create_app
from seqclf.serving.registry import load_models
from seqclf.serving.settings import ServiceSettings

PREDICT = "/v1/models/names/predict"
JSON = {"content-type": "application/json"}


def streamed(body: bytes) -> Iterator[bytes]:
    """A body without Content-Length: the hot path leaves it to the FastAPI route."""
    yield body


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (PREDICT, b'{"inputs": ["Nakamura", "Ivanov"], "parameters": {"top_k": 2}}'),
        (PREDICT, b'{"inputs": ["Gonzalez"]}'),
        ("/models/names", b'{"inputs": "Nakamura", "parameters": {"top_k": 1}}'),
        ("/models/names", b'{"inputs": ["Nakamura", "Petrov"]}'),
        ("/models/vowels", b'{"inputs": [[1, 2, 3, 4], [0.5, 0.5, 0.5, 0.5]]}'),
    ],
)
def test_the_hot_path_answers_exactly_as_the_fastapi_route(
    client: httpx.Client, path: str, body: bytes
) -> None:
    hot = client.post(path, content=body, headers={"content-type": "application/json"})
    routed = client.post(path, content=streamed(body), headers={"content-type": "application/json"})
    assert hot.status_code == routed.status_code == 200
    assert hot.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert hot.json() == routed.json()


def test_the_hot_path_counts_its_requests_in_the_metrics(client: httpx.Client) -> None:
    def count() -> float:
        text = client.get("/metrics").text
        line = next(
            (
                x
                for x in text.splitlines()
                if x.startswith("seqclf_requests_total{")
                and 'model="names"' in x
                and 'route="/v1/models/{model_id}/predict"' in x
                and 'status="200"' in x
            ),
            None,
        )
        return float(line.split()[-1]) if line else 0.0

    before = count()
    for _ in range(3):
        assert client.post(PREDICT, json={"inputs": ["Ito"]}).status_code == 200
    assert count() == before + 3


def test_a_lone_request_is_one_pass_of_one_input_at_once(server: LiveServer) -> None:
    # the session server waits 20 ms for company (TEST_LIMITS); the default does not wait at all
    settings = ServiceSettings(models_dir=server.settings.models_dir, **{**TEST_LIMITS, "max_wait_ms": 0})
    running = run_app(create_app(settings))
    try:
        with httpx.Client(base_url=running.url, timeout=30) as http:
            http.post(PREDICT, json={"inputs": ["Ito"]})  # warm up
            passes, inputs = forward_passes(http, "names")
            # http.client sends a request in one write (httpx's two writes meet delayed ACKs: 40 ms)
            host, port = running.url.removeprefix("http://").split(":")
            connection = http_client.HTTPConnection(host, int(port), timeout=30)
            seconds = []
            for name in ("Nakamura", "Ivanov", "Gonzalez", "Smith", "Ito"):
                started = time.perf_counter()
                connection.request("POST", PREDICT, json.dumps({"inputs": [name]}), JSON)
                response = connection.getresponse()
                assert response.status == 200 and json.loads(response.read())["predictions"]
                seconds.append(time.perf_counter() - started)
            connection.close()
            assert forward_passes(http, "names") == (passes + 5, inputs + 5)
            assert min(seconds) < 0.02  # no 20 ms of waiting for company that is not coming
    finally:
        running.stop()


@pytest.fixture(scope="module")
def slow_server(models_dir) -> Iterator[LiveServer]:
    """Passes of one input that take 0.1 s each, and a queue bounded at 0.25 s of work."""
    settings = ServiceSettings(
        models_dir=models_dir, max_batch_size=1, max_queue=1000, max_queue_wait_ms=250, max_wait_ms=0
    )
    served = load_models(settings)
    forward = served["names"].batcher.forward

    def slow(inputs):
        time.sleep(0.1)
        return forward(inputs)

    served["names"].batcher.forward = slow
    running = run_app(create_app(settings, served))
    yield LiveServer(running.url, settings, running)
    running.stop()


def test_a_queue_full_of_time_sheds_at_once_with_retry_after(slow_server: LiveServer) -> None:
    async def scenario() -> tuple[list[tuple[int, float, httpx.Response]], list[int]]:
        async with httpx.AsyncClient(base_url=slow_server.url, timeout=30) as http:
            assert (await http.post(PREDICT, json={"inputs": ["Ito"]})).status_code == 200  # times a pass

            async def timed(name: str) -> tuple[int, float, httpx.Response]:
                started = time.perf_counter()
                response = await http.post(PREDICT, json={"inputs": [name]})
                return response.status_code, time.perf_counter() - started, response

            async def health() -> list[int]:
                statuses = []
                for _ in range(5):
                    statuses.append((await http.get("/healthz")).status_code)
                    await asyncio.sleep(0.05)
                return statuses

            answers, healthz = await asyncio.gather(
                asyncio.gather(*(timed(f"Name{i}") for i in range(12))), health()
            )
            return answers, healthz

    answers, healthz = asyncio.run(scenario())
    accepted = [seconds for status, seconds, _ in answers if status == 200]
    refused = [(seconds, r) for status, seconds, r in answers if status == 503]
    assert len(accepted) + len(refused) == 12
    # 0.25 s of work is about three passes of 0.1 s queued: a few run, the rest are told to come back
    assert 2 <= len(accepted) <= 6 and refused
    assert max(accepted) < 1.0  # what was accepted did not wait behind the excess
    for seconds, response in refused:
        assert response.headers["retry-after"] == "1"
        assert "ms of work" in response.json()["error"]
        assert seconds < 0.2  # refused at once, not after queueing
    assert healthz == [200] * 5
    with httpx.Client(base_url=slow_server.url, timeout=30) as http:  # and it recovers
        assert http.post(PREDICT, json={"inputs": ["Ito"]}).status_code == 200
