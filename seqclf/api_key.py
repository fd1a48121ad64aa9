"""The API key check that the REST routes, their fast path and the UI's gate share.

One place compares an ``Authorization: Bearer <key>`` header with the configured key,
in constant time, so the ways into the same server cannot disagree about a key.
"""

from __future__ import annotations

import hmac

#: the variable that holds the key, for the service and the demo alike (never a flag: flags
#: show in process lists)
ENV = "SEQCLF_API_KEY"
#: an empty key would lock every client out while looking configured
EMPTY_KEY = f"{ENV} is set but empty: unset it, or give a real key"


def valid_bearer(key: str, authorization: str | None) -> bool:
    """Whether ``authorization`` (a header value, or None) is ``Bearer <key>``."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), key.encode())
