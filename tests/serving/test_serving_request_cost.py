"""A request costs what it sends: huge lists of tiny inputs are refused by their size, cheaply.

Before the schema capped its lists (:mod:`seqclf.limits`), ``{"inputs": [1] * 1000000}``
(3 MB) was answered after 14.5 s with a 175 MB list of one error per item, and the
server's memory grew by 1.2 GB. These tests send such bodies to a server with the
default limits and check the answers are refusals that are small and quick.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from serving_support import VOWELS_WIDTH, LiveServer, start_server

from seqclf.limits import MAX_BODY_BYTES, MAX_INPUTS
from seqclf.serving.settings import ServiceSettings

#: processes, servers or a browser: left out of the edit loop (pytest -m "not slow")
pytestmark = pytest.mark.slow

#: the most an error answer may weigh, however bad the request
MAX_ANSWER_BYTES = 64 * 1024
#: generous on a crowded 2-core CI machine: the unbounded answer took 14.5 s
MAX_SECONDS = 3.0


@pytest.fixture(scope="module")
def default_server(models_dir) -> Iterator[LiveServer]:
    live = start_server(ServiceSettings(models_dir=models_dir))
    yield live
    live.stop()


def post(server: LiveServer, path: str, body: object) -> tuple[httpx.Response, float]:
    content = json.dumps(body).encode()
    assert len(content) <= MAX_BODY_BYTES  # refused for what it holds, not for its size in bytes
    started = time.perf_counter()
    response = httpx.post(
        server.url + path, content=content, headers={"content-type": "application/json"}, timeout=60
    )
    return response, time.perf_counter() - started


@pytest.mark.parametrize("path", ["/v1/models/names/predict", "/models/names"])
def test_a_million_inputs_are_refused_by_their_count(default_server: LiveServer, path: str) -> None:
    response, seconds = post(default_server, path, {"inputs": [1] * 1_000_000})
    assert response.status_code == 422
    assert len(response.content) < MAX_ANSWER_BYTES and seconds < MAX_SECONDS
    assert response.json()["error"] == (
        f"1,000,000 inputs in one request; this server takes at most {MAX_INPUTS}: "
        "split them over several requests"
    )


@pytest.mark.parametrize("path", ["/v1/models/vowels/predict", "/models/vowels"])
def test_a_matrix_of_bad_values_is_one_error_per_input(default_server: LiveServer, path: str) -> None:
    frames = [["x"] * VOWELS_WIDTH] * 40_000  # 4 MB of values, none a number
    response, seconds = post(default_server, path, {"inputs": [frames]})
    assert response.status_code == 422
    assert len(response.content) < MAX_ANSWER_BYTES and seconds < MAX_SECONDS
    assert response.json()["error"].endswith("frames.0.0: Input should be a valid number")


def test_many_bad_inputs_get_a_short_answer(default_server: LiveServer) -> None:
    """Within the count ceiling, every input wrong: the first few are named, the rest counted."""
    response, _ = post(default_server, "/v1/models/names/predict", {"inputs": [1] * 4000})
    assert response.status_code == 422 and len(response.content) < MAX_ANSWER_BYTES
    body = response.json()
    assert body["error"].startswith("invalid request: inputs.0: each input must be")
    assert body["error"].endswith("; and 3995 more")
    assert len(body["details"]) == 20
