"""Every error leaves the service as JSON ``{"error": message}`` with a fitting status.

Mistakes in a request are 4xx with a message that says what to fix; a full queue is
503 with ``Retry-After``; only a bug is a 500, and its details stay in the log.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from seqclf.errors import InvalidInputError
from seqclf.inference.batcher import BatcherStoppedError, QueueFullError
from seqclf.inference.requests import count_message

logger = logging.getLogger("seqclf.serving")

RETRY_AFTER_SECONDS = "1"


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


NOT_JSON = "the body must be JSON, sent with the header 'content-type: application/json'"


def is_json(content_type: str | None) -> bool:
    """Whether a ``content-type`` header says the body is JSON (``application/json`` or ``*+json``)."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


#: problems listed in a 422's message, and in its ``details``: an answer stays small
#: however many problems a request has (the schema gives at most one per input)
SUMMARISED_ERRORS = 5
MAX_REPORTED_ERRORS = 20


# "body" starts every location; "one"/"many" tag the Hugging Face route's single-or-batch union.
_UNINFORMATIVE = {"body", "one", "many"}


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if part not in _UNINFORMATIVE) or "body"


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "the body is not valid JSON")
    if not is_json(request.headers.get("content-type")) and all(
        tuple(e.get("loc", ())) == ("body",) for e in errors
    ):
        # e.g. `curl -d '{...}'` without -H, which sends a form content-type: the body was never read as JSON.
        return error_response(415, NOT_JSON)
    details = [
        {
            "loc": _location(e.get("loc", ())),
            "msg": e.get("msg", "").removeprefix("Value error, "),
            "type": e.get("type", ""),
        }
        for e in errors[:MAX_REPORTED_ERRORS]
    ]
    for error in errors:  # a list over its ceiling gives one error, not one per item
        if error.get("type") == "too_long" and _location(error.get("loc", ())) == "inputs":
            count = error.get("ctx", {}).get("actual_length", 0)
            return error_response(422, count_message(count, request.app.state.settings.max_inputs))
    summary = "; ".join(f"{d['loc']}: {d['msg']}" for d in details[:SUMMARISED_ERRORS])
    if len(errors) > SUMMARISED_ERRORS:
        summary += f"; and {len(errors) - SUMMARISED_ERRORS} more"
    return error_response(422, f"invalid request: {summary}", details=details)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return error_response(exc.status_code, str(exc.detail), headers=exc.headers)


async def _invalid_input(request: Request, exc: InvalidInputError) -> JSONResponse:
    return error_response(422, str(exc))


INTERNAL_ERROR = "internal error; the server log has the details"


def unavailable_message(exc: QueueFullError | BatcherStoppedError) -> str:
    """The 503's message, for these handlers and the hot path (:mod:`seqclf.serving.hotpath`)."""
    return f"{exc}; retry shortly" if isinstance(exc, QueueFullError) else str(exc)


async def _unavailable(request: Request, exc: QueueFullError | BatcherStoppedError) -> JSONResponse:
    return error_response(503, unavailable_message(exc), headers={"Retry-After": RETRY_AFTER_SECONDS})


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, INTERNAL_ERROR)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(QueueFullError, _unavailable)
    app.add_exception_handler(BatcherStoppedError, _unavailable)
    app.add_exception_handler(Exception, _unexpected)
