"""Speech recordings as MFCC frames, standardised per channel.

One input — a WAV path, WAV bytes, a 1-D array at the model's rate or
``{"array", "sampling_rate"}`` (see :mod:`seqclf.audio.io`) — becomes mono samples at
the model's rate, then MFCC frames (:mod:`seqclf.audio.mfcc`), then each channel is
standardised with statistics fitted on the training recordings. The front end's
settings and the statistics are saved with the model, so a loaded model hears
exactly as it did in training.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from seqclf.audio.io import load_audio
from seqclf.audio.mfcc import FrontEnd, MfccExtractor
from seqclf.encoders.base import Encoder
from seqclf.encoders.features import ChannelStats


class AudioEncoder(Encoder):
    """Maps one recording to ``(frames, num_features)`` standardised MFCC frames."""

    type = "audio"
    input_kind = "features"
    modality_name = "audio"

    def __init__(self, frontend: FrontEnd, stats: ChannelStats | None = None) -> None:
        self.frontend = frontend
        self.extractor = MfccExtractor(frontend)
        self.stats = stats

    def frames(self, example: Any) -> tuple[np.ndarray, int]:
        """Unstandardised MFCC frames of one input and the index of its first kept frame."""
        samples = load_audio(example, self.frontend.sampling_rate, self.frontend.max_seconds)
        return self.extractor.frames(samples)

    @classmethod
    def fit(cls, examples: Iterable[Any], frontend: FrontEnd | None = None) -> AudioEncoder:
        frontend = frontend or FrontEnd()
        encoder = cls(frontend)
        encoder.stats = ChannelStats.fit(encoder.frames(x)[0] for x in examples)
        return encoder

    def encode(self, example: Any) -> torch.Tensor:
        if self.stats is None:
            raise RuntimeError("the audio encoder is not fitted")
        return self.stats.apply(self.frames(example)[0])

    def steps(self, example: Any) -> list[str]:
        frames, first = self.frames(example)
        seconds = self.frontend.frame_seconds
        return [f"{(first + i) * seconds:.2f}s" for i in range(len(frames))]

    def model_fields(self) -> dict[str, Any]:
        return {"input_kind": "features", "num_features": self.frontend.num_features}

    def to_dict(self) -> dict[str, Any]:
        if self.stats is None:
            raise RuntimeError("the audio encoder is not fitted")
        return {"type": self.type, "frontend": self.frontend.to_dict(), **self.stats.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AudioEncoder:
        return cls(FrontEnd.from_dict(data["frontend"]), ChannelStats(data["mean"], data["std"]))
