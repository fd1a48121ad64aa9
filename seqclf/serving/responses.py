"""Answers of the prediction routes, serialised once with orjson.

A route that returns a dict has FastAPI validate it against the response model and
encode it again (for a names prediction, 18 label-score objects built and dumped per
input); the routes build plain lists of dicts already in the documented shape, so they
return the bytes directly. The response models stay on the routes for the OpenAPI schema.
FastAPI's own ``ORJSONResponse`` is deprecated (it validates through a response model instead).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class ORJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
