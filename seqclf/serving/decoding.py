"""From JSON inputs to what the model's encoder takes, by the model's modality.

Text models take strings and feature models take matrices as sent. Audio travels
in JSON as base64, so it is decoded to WAV bytes here; the audio encoder itself
reads the WAV and judges whether it is usable.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from seqclf.encoders.base import Modality
from seqclf.errors import InvalidInputError

_EXPECTED = {
    "text": "a string",
    "audio": "a base64-encoded WAV string",
    "features": "a (T, F) matrix of numbers",
}


def decode_inputs(modality: Modality, inputs: Sequence[Any]) -> list[Any]:
    """Check each input has the modality's JSON type; base64-decode audio."""
    decoded = []
    for i, item in enumerate(inputs):
        wants_text = modality in ("text", "audio")
        if isinstance(item, str) != wants_text:
            raise InvalidInputError(f"input {i}: this model takes {_EXPECTED[modality]} per input")
        decoded.append(decode_audio(item, i) if modality == "audio" else item)
    return decoded


def decode_audio(text: str, index: int = 0) -> bytes:
    """WAV bytes from base64 (standard or URL-safe alphabet, ``data:`` URL prefix allowed)."""
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    payload = payload.strip().replace("-", "+").replace("_", "/")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidInputError(f"input {index}: not valid base64 ({err}); send base64-encoded WAV") from err
    return check_audio(data, index)


def check_audio(data: bytes, index: int = 0) -> bytes:
    """Refuse an empty body or file early; the audio encoder judges everything else."""
    if not data:
        raise InvalidInputError(f"input {index}: the audio is empty")
    return data
