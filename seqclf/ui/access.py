"""The UI's one door: with an API key set, nothing under the UI answers without it.

The REST routes check ``Authorization: Bearer <key>`` (:mod:`seqclf.serving.deps`); the
UI is held to the same key, for everything under its path: the page, Gradio's API (what
``gradio_client`` calls), its queue and its file routes. Two ways through:

- **Programs** send the key as the REST API takes it: ``Authorization: Bearer <key>``
  (``gradio_client.Client(url, headers={"Authorization": "Bearer <key>"})``).
- **People** get a login form (``/login``) that asks for the key once and sets a cookie
  holding an expiry and an HMAC of it under the key. The server keeps no sessions: a
  cookie proves its holder knew the key, until it expires or the key changes.

Why a gate in front of Gradio rather than Gradio's own ``auth``: Gradio's login takes a
username and password and checks its own cookie only, so programs could not send the
bearer key, and Gradio guards its routes one by one; a gate over the whole mount path
covers every route Gradio has now or adds later.

The gate is plain ASGI middleware, so it sees the request before Gradio or FastAPI
parse anything. The health, readiness and metrics routes are not under the UI's path and
stay open, as they are for the REST service.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import posixpath
import re
import time
from urllib.parse import quote, unquote

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from seqclf.api_key import valid_bearer

COOKIE = "seqclf_ui"
#: how long a login lasts
SESSION_SECONDS = 12 * 3600
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"


def _signature(key: str, expires: int) -> str:
    return hmac.new(key.encode(), f"seqclf-ui:{expires}".encode(), hashlib.sha256).hexdigest()


def session_token(key: str, now: float | None = None) -> str:
    """A cookie value that proves knowledge of ``key`` until it expires."""
    expires = int(now if now is not None else time.time()) + SESSION_SECONDS
    return f"{expires}.{_signature(key, expires)}"


#: an expiry is seconds since 1970: ten digits until the year 2286
_EXPIRY = re.compile(r"[0-9]{1,12}")


def valid_token(key: str, token: str, now: float | None = None) -> bool:
    """Whether ``token`` (from a cookie: anything at all) is one :func:`session_token` made, unexpired."""
    expires_text, _, signature = token.partition(".")
    # ASCII digits only, and few: str.isdigit() takes "²", which int() refuses, and int()
    # refuses 5,000 digits too; either was a 500 before the key was even looked at
    if not _EXPIRY.fullmatch(expires_text):
        return False
    expires = int(expires_text)
    if expires < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(signature, _signature(key, expires))


def _within(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


class KeyGate:
    """ASGI middleware: requests under ``prefix`` need the bearer key or a login cookie.

    A browser asking for a page without either is sent to the login form; anything else
    gets 401 with the same JSON error shape as the REST API.
    """

    def __init__(self, app: ASGIApp, key: str, prefix: str) -> None:
        self.app, self.key, self.prefix = app, key, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] not in ("http", "websocket")
            or not _within(path, self.prefix)
            or path in (LOGIN_PATH, LOGOUT_PATH)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookie = HTTPConnection(scope).cookies.get(COOKIE, "")  # an HTTP request or a WebSocket
        if valid_bearer(self.key, headers.get("authorization")) or valid_token(self.key, cookie):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":  # closing before accepting: the server answers 403
            await send({"type": "websocket.close", "code": 1008})
            return
        response: Response
        if scope.get("method") == "GET" and "text/html" in headers.get("accept", ""):
            target = path + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
            response = RedirectResponse(f"{LOGIN_PATH}?next={quote(target)}", status_code=303)
        else:
            response = JSONResponse(
                {
                    "error": "missing or wrong API key: send 'Authorization: Bearer <key>', or log in at /login"
                },
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        await response(scope, receive, send)


_FORM = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>seqclf: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:24rem;margin:5rem auto;padding:0 1rem}}
input,button{{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;margin:.3rem 0}}
.error{{color:#b00020}}</style></head>
<body><h1>seqclf demo</h1>
<p>This server needs its API key (the operator's <code>SEQCLF_API_KEY</code>).</p>
{error}
<form method="post" action="{login}">
<label for="key">API key</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{next}">
<button type="submit">Log in</button>
</form></body></html>
"""


def login_routes(key: str, home: str) -> list[Route]:
    """``GET``/``POST /login`` and ``GET /logout`` for people in a browser; ``home`` is the UI's path."""

    def safe_next(target: str | None) -> str:
        """``target`` if it is a path under the UI, else the UI's home page.

        Never another site (an open redirect: ``//host``, or ``/\\host``, which browsers
        read as ``//host``) nor another route of the server by way of dot segments
        (``/ui/../v1``, ``/ui/%2e%2e/v1``, which browsers resolve before asking): the path
        is decoded and normalised first, and the normalised form is where we send people.
        """
        fallback = home.rstrip("/") + "/"
        if not target or not target.isprintable() or "\\" in target:
            return fallback
        path, mark, query = target.partition("?")
        decoded = unquote(path)
        if not decoded.startswith("/") or decoded.startswith("//") or "\\" in decoded:
            return fallback
        normalised = posixpath.normpath(decoded) + ("/" if decoded.endswith("/") and decoded != "/" else "")
        if normalised.startswith("//") or not _within(normalised, home):
            return fallback
        return quote(normalised) + mark + query

    def form(target: str, error: str = "", status: int = 200) -> HTMLResponse:
        error_html = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
        page = _FORM.format(error=error_html, login=LOGIN_PATH, next=html.escape(target, quote=True))
        return HTMLResponse(page, status_code=status)

    async def show(request: Request) -> Response:
        return form(safe_next(request.query_params.get("next")))

    async def submit(request: Request) -> Response:
        data = await request.form()
        target = safe_next(str(data.get("next") or ""))
        if not hmac.compare_digest(str(data.get("key") or "").strip().encode(), key.encode()):
            return form(target, "That is not the key this server was started with.", status=401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            session_token(key),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def logout(request: Request) -> Response:
        response = RedirectResponse(LOGIN_PATH, status_code=303)
        response.delete_cookie(COOKIE)
        return response

    return [
        Route(LOGIN_PATH, show, methods=["GET"]),
        Route(LOGIN_PATH, submit, methods=["POST"]),
        Route(LOGOUT_PATH, logout, methods=["GET"]),
    ]
