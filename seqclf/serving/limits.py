"""The request body size limit, answered as JSON like every other error.

Starlette's own limit answers a declared oversize body in plain text, so the
service keeps its own: a body whose ``Content-Length`` is over the limit is refused
before it is read, and a streamed (chunked) body as soon as it passes the limit.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seqclf.serving.errors import error_response


def _message(limit: int) -> str:
    return f"the request body is over this server's limit of {limit:,} bytes"


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` mid-body; the HTTP error handler turns it into JSON."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _message(limit))


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(413, _message(self.max_bytes))(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, receive_within_limit, send)
