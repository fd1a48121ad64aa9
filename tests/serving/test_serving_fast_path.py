"""The hot prediction path: the same answers as the FastAPI routes, a bounded queue, lone requests at once."""

from __future__ import annotations

import asyncio
import http.client as http_client
import json
import socket
import threading
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


def slowed(models_dir, seconds: float, **settings) -> tuple[LiveServer, dict, threading.Event]:
    """A live server whose names passes take one input and ``seconds`` each, its models, and
    an event set when a pass starts."""
    service = ServiceSettings(models_dir=models_dir, max_batch_size=1, max_wait_ms=0, **settings)
    served = load_models(service)
    forward = served["names"].batcher.forward

    started = threading.Event()

    def slow(inputs):
        started.set()
        time.sleep(seconds)
        return forward(inputs)

    served["names"].batcher.forward = slow
    running = run_app(create_app(service, served))
    return LiveServer(running.url, service, running), served, started


@pytest.fixture(scope="module")
def slow_server(models_dir) -> Iterator[LiveServer]:
    """Passes of one input that take 0.1 s each, and a queue bounded at 0.25 s of work."""
    server, _, _ = slowed(models_dir, 0.1, max_queue=1000, max_queue_wait_ms=250)
    yield server
    server.stop()


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


def test_a_client_that_hangs_up_while_queued_costs_no_forward_pass(models_dir) -> None:
    server, served, started = slowed(models_dir, 0.6, max_queue=1000)
    batcher = served["names"].batcher
    host, port = server.url.removeprefix("http://").split(":")
    body = json.dumps({"inputs": ["Ito"]}).encode()
    request = (
        f"POST {PREDICT} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.post(PREDICT, json={"inputs": ["Ito"]}).status_code == 200  # times a pass: 0.6 s
            started.clear()
            passes, _ = forward_passes(http, "names")
            holder = http_client.HTTPConnection(host, int(port), timeout=30)
            holder.request("POST", PREDICT, body, JSON)  # its pass holds the model 0.6 s
            assert started.wait(5)
            deadline = time.monotonic() + 5
            leavers = [socket.create_connection((host, int(port))) for _ in range(4)]
            for leaver in leavers:
                leaver.sendall(request)
            while batcher.depth < 4:  # all four wait behind the holder's pass
                assert time.monotonic() < deadline
                time.sleep(0.01)
            for leaver in leavers:
                leaver.close()
            while batcher.depth > 0:  # counted out as they hang up, while the pass still runs
                assert time.monotonic() < deadline
                time.sleep(0.01)
            response = holder.getresponse()
            assert response.status == 200 and json.loads(response.read())["predictions"][0]
            holder.close()
            time.sleep(0.2)
            assert forward_passes(http, "names")[0] == passes + 1  # the holder's pass, no other
            assert http.post(PREDICT, json={"inputs": ["Ito"]}).status_code == 200
    finally:
        server.stop()
