"""Audio: a recording per input — a WAV path or bytes, samples, ``{"array", "sampling_rate"}``.

JSON carries a recording as base64 (the Hugging Face Inference API's convention for
audio); an upload or a non-JSON HTTP body is the file itself. Only emptiness is judged
here: the audio encoder (:mod:`seqclf.audio.io`) decodes and judges everything else.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from seqclf.errors import InvalidInputError
from seqclf.modalities.base import STRING, Modality
from seqclf.modalities.files import Item, recordings


class AudioModality(Modality):
    name = "audio"
    json_type = "a base64-encoded WAV string"
    wire = STRING
    accepts_files = True
    hf_client_method = "audio_classification"  # it sends the file itself, as the raw body
    costly_to_encode = True  # reading a WAV and its MFCCs takes milliseconds
    example_suffixes = (".wav",)
    missing_hint = "record or upload a WAV."

    def is_single(self, inputs: Any) -> bool:
        """A path, bytes, dict or 1-D array is one recording; a list of them is a batch.

        A list of numbers is one recording too: the transformers pipeline reads a 1-D
        array of samples as a single input.
        """
        if isinstance(inputs, (list, tuple)):
            return bool(inputs) and isinstance(inputs[0], (int, float, np.number))
        if isinstance(inputs, (np.ndarray, torch.Tensor)):
            return inputs.ndim == 1
        return True

    def from_json(self, item: Any, index: int) -> bytes:
        """WAV bytes from base64 (standard or URL-safe alphabet, ``data:`` URL prefix allowed)."""
        text = super().from_json(item, index)
        payload = text.split(",", 1)[1] if text.startswith("data:") else text
        payload = payload.strip().replace("-", "+").replace("_", "/")
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as err:
            raise InvalidInputError(
                f"input {index}: not valid base64 ({err}); send base64-encoded WAV"
            ) from err
        return self.from_bytes(data, index)

    def from_bytes(self, data: bytes, index: int = 0) -> bytes:
        """Refuse an empty body or file early; the audio encoder judges everything else."""
        if not data:
            raise InvalidInputError(f"input {index}: the audio is empty")
        return data

    def curl_data(self, literal: str) -> str:
        """The body with the file ``literal`` names, base64-encoded by the shell."""
        wav = literal.strip('"')
        return f'"{{\\"inputs\\": [\\"$(base64 -w0 {wav})\\"], \\"parameters\\": {{\\"top_k\\": 3}}}}"'

    def read_items(self, source: str, column: str) -> Iterator[Item]:
        return recordings(source)

    def widget(self) -> Any:
        import gradio as gr  # the ui extra: only the UI asks for a widget

        # The browser hands microphone recordings over as WAV; uploads reach the encoder
        # as they are, so its decoder (soundfile, no ffmpeg) says what it cannot read.
        return gr.Audio(sources=["upload", "microphone"], type="filepath", label="Recording (WAV)")


AUDIO = AudioModality()
