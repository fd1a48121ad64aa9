"""The two prediction routes that carry the load, answered without the framework's per-request work.

``POST /v1/models/{id}/predict`` and ``POST /models/{id}`` with a JSON body are most of a
busy service's requests. Through FastAPI each paid about a millisecond of CPU before and
after the model (profiled under wrk: its middleware stack, telemetry checks, dependency
solving, body parsing in two steps, the response validated and encoded again) while the
forward pass per input costs a fraction of that. Here they are answered in front of it:
the body is validated by pydantic-core in one call straight from bytes, predicted by the
same functions as the FastAPI routes (:mod:`seqclf.serving.prediction`), and answered with
orjson bytes, with the same metrics.

Only requests that are plainly well-formed take this path: a declared JSON content type, a
declared length within the body limit, the API key (when one is set) right, a known model.
Everything else, and every request that turns out to be invalid, goes to the FastAPI app
unchanged (with its body replayed), so every error is the one the routes have always
given, from the same code. A full queue is answered here, with the same 503, because
under overload that answer must cost as little as possible: it is given before the body
is read or validated.

While a request waits for its forward pass its connection is watched: a client that
hangs up (a timeout, then often a retry on a new connection) takes its inputs out of the
queue, so under overload the model does not spend its passes on answers nobody reads.
The watch is a task reading the connection; watching only long waits was tried and
measured slower under wrk (docs/serving.md), so the simpler rule stays.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.routing import compile_path
from starlette.types import Message, Receive, Scope, Send

from seqclf.api_key import valid_bearer
from seqclf.errors import InvalidInputError
from seqclf.inference.batcher import BatcherStoppedError, QueueFullError
from seqclf.serving.errors import INTERNAL_ERROR, RETRY_AFTER_SECONDS, is_json, unavailable_message
from seqclf.serving.metrics import Metrics
from seqclf.serving.prediction import answer_hf, answer_v1
from seqclf.serving.registry import ServedModel
from seqclf.serving.routes.hf import HF_ROUTE
from seqclf.serving.routes.models import PREDICT_ROUTE
from seqclf.serving.schemas import HFRequest, PredictRequest
from seqclf.serving.settings import ServiceSettings

logger = logging.getLogger("seqclf.serving")

_JSON_HEADER = (b"content-type", b"application/json")
#: the hot routes' templates, as their routers declare them, compiled as Starlette does
_ROUTES = [(route, compile_path(route)[0]) for route in (PREDICT_ROUTE, HF_ROUTE)]


def match(path: str) -> tuple[str, str] | None:
    """``(model_id, route template)`` for the hot routes' paths, else None."""
    for route, pattern in _ROUTES:
        found = pattern.match(path)
        if found:
            return found["model_id"], route
    return None


def _authorized(authorization: bytes | None, settings: ServiceSettings) -> bool:
    if settings.api_key is None:
        return True
    header = authorization.decode("latin-1") if authorization is not None else None
    return valid_bearer(settings.api_key.get_secret_value(), header)


class HotPath:
    """Answers the hot routes' well-formed requests; returns the ``receive`` to hand the rest on with."""

    def __init__(self, state: Any) -> None:
        self.state = state  # the app's state: models, settings and metrics are read per request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        matched = match(scope["path"])
        if matched is None:
            return receive
        model_id, route = matched
        settings: ServiceSettings = self.state.settings
        served: ServedModel | None = self.state.models.get(model_id)
        if served is None:
            return receive
        content_type = length = authorization = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = value
            elif name == b"authorization":
                authorization = value
        if (
            content_type is None
            or not is_json(content_type.decode("latin-1"))
            or length is None
            or not length.isdigit()
            or int(length) > settings.max_body_bytes
            or not _authorized(authorization, settings)
        ):
            return receive

        started = time.perf_counter()
        try:
            served.batcher.check_room()  # refuse under overload before any other work
            body = await _read_body(receive)
            if body is None:  # the client went away
                return None
            replay = _replay(body, receive)
            if route == PREDICT_ROUTE:
                answer = answer_v1(served, PredictRequest.model_validate_json(body), settings)
            else:
                answer = answer_hf(served, HFRequest.model_validate_json(body), settings)
            content = await _unless_gone(answer, receive)
            if content is _GONE:
                return None
        except (ValidationError, InvalidInputError):
            return replay  # the FastAPI route says what is wrong, as it always has
        except (QueueFullError, BatcherStoppedError) as err:
            status = await _answer(send, 503, {"error": unavailable_message(err)}, retry=True)
        except Exception:
            logger.exception("unhandled error on POST %s", scope["path"])
            status = await _answer(send, 500, {"error": INTERNAL_ERROR})
        else:
            status = await _answer(send, 200, content)
        metrics: Metrics = self.state.metrics
        metrics.record(model_id, route, status, time.perf_counter() - started)
        return None


_GONE = object()


async def _unless_gone(answer: Coroutine[Any, Any, Any], receive: Receive) -> Any:
    """``answer``'s result, or ``_GONE`` (with ``answer`` cancelled) if the client hangs up first.

    The body has been read, so the next message ``receive`` gives is the disconnect.
    """
    work = asyncio.ensure_future(answer)
    gone = asyncio.ensure_future(_disconnect(receive))
    try:
        await asyncio.wait((work, gone), return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
    if work.done():
        return work.result()
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await work
    return _GONE


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` again, then whatever the connection says next."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _answer(send: Send, status: int, content: Any, retry: bool = False) -> int:
    data = orjson.dumps(content)
    headers = [_JSON_HEADER, (b"content-length", str(len(data)).encode())]
    if retry:
        headers.append((b"retry-after", RETRY_AFTER_SECONDS.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
    return status
