"""Limits on what one request may ask of a model, shared by the REST service and the UI.

A service reachable by strangers bounds each input's size, so no single request can hold
a worker for long or fill its memory: the body (an upload), the inputs per request and
the encoded steps per input. The defaults are what ``seqclf serve`` starts with; an
operator may raise them (``SEQCLF_MAX_INPUTS``, ...) up to the ceilings.

The ceilings are also written into the request schema (:mod:`seqclf.serving.schemas`),
so a body of a million one-byte inputs is refused for its length before a single item is
looked at: a request costs what its size is, not what its errors would cost to list.
"""

from __future__ import annotations

#: the largest request body, or uploaded file in the UI, in bytes
MAX_BODY_BYTES = 4 * 1024 * 1024
#: the most inputs in one request
MAX_INPUTS = 64
#: the most encoded steps (characters, words, frames) of one input
MAX_STEPS = 2048

#: the most inputs in one request any setting allows
MAX_INPUTS_CEILING = 4096
#: the most steps of one input any setting allows
MAX_STEPS_CEILING = 65536
#: the most values in one frame of a feature input
MAX_FRAME_WIDTH = 4096
