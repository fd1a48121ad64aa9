"""Every bad input gets a clear 4xx JSON error, never a 500, and the server stays up."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from serving_support import TEST_LIMITS, VOWELS_WIDTH
from speech_data import tone_wav

JSON = {"content-type": "application/json"}
PREDICT = "/v1/models/names/predict"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def case(name: str, path: str, request_args: dict, status: int, fragment: str) -> Any:
    """A bad request: httpx keyword arguments, the status expected and a fragment of the message."""
    return pytest.param(path, request_args, status, fragment, id=name)


def chunked(*parts: bytes) -> Any:
    """A body streamed without Content-Length, so only the running count can catch it."""
    return (part for part in parts)


CASES: list[Any] = [
    case("invalid-json", PREDICT, {"content": b'{"inputs": [', "headers": JSON}, 400, "not valid JSON"),
    case("invalid-json-hf", "/models/names", {"content": b"{inputs", "headers": JSON}, 400, "not valid JSON"),
    case(
        "not-utf8",
        PREDICT,
        {"content": b'{"inputs": ["\xff\xfe"]}', "headers": JSON},
        400,
        "parsing the body",
    ),
    case(
        "deep-nesting-hf",
        "/models/names",
        {"content": b"[" * 30000 + b"]" * 30000, "headers": JSON},
        400,
        "JSON",
    ),
    case("inputs-not-a-list", PREDICT, {"json": {"inputs": "Nakamura"}}, 422, "inputs"),
    case("inputs-missing", PREDICT, {"json": {"parameters": {}}}, 422, "inputs"),
    case("input-a-number", PREDICT, {"json": {"inputs": [42]}}, 422, "inputs.0"),
    case("input-null", PREDICT, {"json": {"inputs": [None]}}, 422, "inputs.0"),
    case("body-a-list", PREDICT, {"json": ["Nakamura"]}, 422, "invalid request"),
    case("unknown-key", PREDICT, {"json": {"inputs": ["x"], "input": ["x"]}}, 422, "input"),
    case("unknown-parameter", PREDICT, {"json": {"inputs": ["x"], "parameters": {"topk": 1}}}, 422, "topk"),
    case("top-k-zero", PREDICT, {"json": {"inputs": ["Ito"], "parameters": {"top_k": 0}}}, 422, "top_k"),
    case(
        "top-k-text", PREDICT, {"json": {"inputs": ["Ito"], "parameters": {"top_k": "three"}}}, 422, "top_k"
    ),
    case(
        "top-k-nan",
        PREDICT,
        {"content": b'{"inputs": ["Ito"], "parameters": {"top_k": NaN}}', "headers": JSON},
        422,
        "top_k",
    ),
    case(
        "sigmoid",
        PREDICT,
        {"json": {"inputs": ["Ito"], "parameters": {"function_to_apply": "sigmoid"}}},
        422,
        "softmax",
    ),
    # strict types: a client's type mistake is an error, not a guess
    case("top-k-string", PREDICT, {"json": {"inputs": ["Ito"], "parameters": {"top_k": "3"}}}, 422, "top_k"),
    case("top-k-true", PREDICT, {"json": {"inputs": ["Ito"], "parameters": {"top_k": True}}}, 422, "top_k"),
    case("top-k-float", PREDICT, {"json": {"inputs": ["Ito"], "parameters": {"top_k": 3.0}}}, 422, "top_k"),
    case(
        "top-k-float-hf",
        "/models/names",
        {"json": {"inputs": "Ito", "parameters": {"top_k": 3.0}}},
        422,
        "top_k",
    ),
    case(
        "frame-value-string",
        "/v1/models/vowels/predict",
        {"json": {"inputs": [[["1"] * VOWELS_WIDTH]]}},
        422,
        "valid number",
    ),
    case(
        "frame-value-true",
        "/v1/models/vowels/predict",
        {"json": {"inputs": [[[True] * VOWELS_WIDTH]]}},
        422,
        "valid number",
    ),
    case("empty-inputs", PREDICT, {"json": {"inputs": []}}, 422, "at least 1"),
    case("empty-string", PREDICT, {"json": {"inputs": ["Ito", ""]}}, 422, "input 1"),
    case("blank-string", PREDICT, {"json": {"inputs": ["   "]}}, 422, "empty"),
    case("matrix-to-text-model", PREDICT, {"json": {"inputs": [[[1.0, 2.0]]]}}, 422, "takes a string"),
    case(
        "batch-over-limit",
        PREDICT,
        {"json": {"inputs": ["Ito"] * (TEST_LIMITS["max_inputs"] + 1)}},
        422,
        "at most",
    ),
    case("over-service-step-limit", PREDICT, {"json": {"inputs": ["a" * 60]}}, 422, "at most 50"),
    case("over-encoder-length-limit", PREDICT, {"json": {"inputs": ["a" * 100]}}, 422, "at most 64"),
    case("oversize-body", PREDICT, {"json": {"inputs": ["a" * 70_000]}}, 413, "limit of 65,536 bytes"),
    case(
        "oversize-streamed-body",
        PREDICT,
        {"content": chunked(b'{"inputs": ["', b"a" * 70_000, b'"]}'), "headers": JSON},
        413,
        "limit of 65,536 bytes",
    ),
    case(
        "unknown-model", "/v1/models/nope/predict", {"json": {"inputs": ["Ito"]}}, 404, "unknown model 'nope'"
    ),
    case("unknown-model-hf", "/models/nope", {"json": {"inputs": "Ito"}}, 404, "unknown model"),
    case("hf-empty-list", "/models/names", {"json": {"inputs": []}}, 422, "inputs"),
    case(
        "hf-raw-text",
        "/models/names",
        {"content": b"Nakamura", "headers": {"content-type": "text/plain"}},
        415,
        "content-type: application/json",
    ),
    case(
        "hf-wav-to-text-model",
        "/models/names",
        {"content": b"RIFF\x00\x00", "headers": {"content-type": "audio/wav"}},
        415,
        "content-type: application/json",
    ),
    case(
        "json-sent-as-a-form",  # curl -d without -H 'content-type: application/json'
        PREDICT,
        {
            "content": b'{"inputs": ["Nakamura"]}',
            "headers": {"content-type": "application/x-www-form-urlencoded"},
        },
        415,
        "content-type: application/json",
    ),
    case(
        "upload-to-text-model",
        "/v1/models/names/predict/files",
        {"files": {"files": ("a.wav", b"RIFF")}},
        415,
        "takes text",
    ),
    case("upload-without-files", "/v1/models/names/predict/files", {"data": {"top_k": "1"}}, 422, "files"),
    case(
        "number-as-input", PREDICT, {"json": {"inputs": [123]}}, 422, "inputs.0: each input must be a string"
    ),
    case(
        "ragged-matrix-hf",
        "/models/vowels",
        {"json": {"inputs": [[1.0, 2.0], [1.0]]}},
        422,
        "inputs.frames: ragged frames: frame 1 has 1 values, frame 0 has 2",
    ),
    case(
        "nan-frame",
        "/v1/models/vowels/predict",
        {"content": b'{"inputs": [[[NaN, 1, 2, 3]]]}', "headers": JSON},
        422,
        "finite",
    ),
    case(
        "infinity-frame-hf",
        "/models/vowels",
        {"content": b'{"inputs": [[1, 2, 3, Infinity]]}', "headers": JSON},
        422,
        "finite",
    ),
    case(
        "feature-value-beyond-float32",
        "/v1/models/vowels/predict",
        {"json": {"inputs": [[[1e300] * VOWELS_WIDTH]]}},
        422,
        "too large",
    ),
    case(
        "wrong-feature-width",
        "/v1/models/vowels/predict",
        {"json": {"inputs": [[[1.0] * (VOWELS_WIDTH + 1)]]}},
        422,
        f"takes {VOWELS_WIDTH}",
    ),
    case(
        "ragged-frames",
        "/v1/models/vowels/predict",
        {"json": {"inputs": [[[1.0] * VOWELS_WIDTH, [1.0] * (VOWELS_WIDTH - 1)]]}},
        422,
        "ragged",
    ),
    case(
        "empty-matrix",
        "/v1/models/vowels/predict",
        {"json": {"inputs": [[]]}},
        422,
        "inputs.0",
    ),
    case(
        "over-encoder-frame-limit",
        "/v1/models/vowels/predict",
        {"json": {"inputs": [[[0.5] * VOWELS_WIDTH] * 45]}},
        422,
        "at most 40",
    ),
    case(
        "string-to-feature-model",
        "/v1/models/vowels/predict",
        {"json": {"inputs": ["1,2,3,4"]}},
        422,
        "matrix",
    ),
    case(
        "undecodable-audio",
        "/v1/models/digits/predict",
        {"json": {"inputs": [b64(b"RIFF not really a wave file")]}},
        422,
        "decoded",
    ),
    case(
        "not-base64",
        "/v1/models/digits/predict",
        {"json": {"inputs": ["%%% not base64 %%%"]}},
        422,
        "base64",
    ),
    case(
        "empty-base64-audio",
        "/v1/models/digits/predict",
        {"json": {"inputs": [""]}},
        422,
        "empty",
    ),
    case(
        "empty-raw-audio-hf",
        "/models/digits",
        {"content": b"", "headers": {"content-type": "audio/wav"}},
        422,
        "empty",
    ),
    case(
        "undecodable-raw-audio-hf",
        "/models/digits",
        {"content": b"\x00" * 1000},
        422,
        "decoded",
    ),
    case(
        "over-audio-length-limit",
        "/models/digits",
        {"content": tone_wav(100, seconds=11, rate=1000), "headers": {"content-type": "audio/wav"}},
        422,
        "at most 10 s",
    ),
    case(
        "empty-upload",
        "/v1/models/digits/predict/files",
        {"files": {"files": ("a.wav", b"")}},
        422,
        "empty",
    ),
    case(
        "matrix-to-audio-model",
        "/v1/models/digits/predict",
        {"json": {"inputs": [[[0.1, 0.2]]]}},
        422,
        "base64-encoded WAV",
    ),
]


@pytest.mark.parametrize(("path", "request_args", "status", "fragment"), CASES)
def test_bad_input_is_a_clear_client_error(
    client: httpx.Client, path: str, request_args: dict, status: int, fragment: str
) -> None:
    response = client.post(path, **request_args)
    assert response.status_code == status, response.text[:500]
    assert fragment in response.json()["error"], response.json()
    assert client.get("/healthz").status_code == 200


def test_odd_but_valid_inputs_are_answered(client: httpx.Client) -> None:
    """Lone surrogates, control characters, emoji and a huge top_k are not errors."""
    body = r'{"inputs": ["\ud800", "\u0000\u0007", "名前🙂", "O\u0027Brien"], "parameters": {"top_k": 1000000000000000000000}}'
    response = client.post(PREDICT, content=body.encode(), headers=JSON)
    assert response.status_code == 200 and len(response.json()["predictions"]) == 4


def test_a_bad_feature_matrix_reports_only_what_is_wrong_with_it(client: httpx.Client) -> None:
    # Not also "should be a valid string": the value is a list, so only the matrix rules apply.
    response = client.post("/v1/models/names/predict", json={"inputs": [[[1.0, None]]]})
    assert response.status_code == 422
    assert response.json()["error"] == "invalid request: inputs.0.frames.0.1: Input should be a valid number"


def test_the_hf_route_reads_json_sent_without_a_content_type(client: httpx.Client) -> None:
    # e.g. requests.post(url, data=json.dumps(...)), which sends no content-type
    response = client.post("/models/names", content=b'{"inputs": "Nakamura"}')
    assert response.status_code == 200 and response.json()[0][0]["label"]


def test_wrong_method_and_unknown_path_are_json_errors(client: httpx.Client) -> None:
    assert client.get(PREDICT).status_code == 405
    missing = client.get("/v2/nothing")
    assert missing.status_code == 404 and missing.json() == {"error": "Not Found"}
