"""Default limits on what one request may ask of a model, shared by the REST service and the UI.

A service reachable by strangers bounds each input's size, so no single request can hold
a worker for long or fill its memory: the body (an upload) and the encoded steps per input.
"""

from __future__ import annotations

#: the largest request body, or uploaded file in the UI, in bytes
MAX_BODY_BYTES = 4 * 1024 * 1024
#: the most encoded steps (characters, words, frames) of one input
MAX_STEPS = 2048
