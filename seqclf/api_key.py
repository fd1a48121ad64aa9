"""The API key check that the REST routes, their fast path and the UI's gate share.

One place compares an ``Authorization: Bearer <key>`` header with the configured key,
in constant time, so the ways into the same server cannot disagree about a key.
"""

from __future__ import annotations

import hmac


def valid_bearer(key: str, authorization: str | None) -> bool:
    """Whether ``authorization`` (a header value, or None) is ``Bearer <key>``."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), key.encode())
