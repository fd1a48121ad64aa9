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
from seqclf.config import check_field_types
from seqclf.encoders.base import Encoder
from seqclf.encoders.features import ChannelStats
from seqclf.errors import ConfigError

#: Upper bounds on the front-end settings that decide how much memory the encoder takes:
#: the window and mel filterbank are built when a model loads, the spectrogram of every
#: input as it is heard. 192 kHz is the highest rate audio hardware records at; a
#: Savitzky-Golay delta window is a few frames wide (librosa's default is 9); 256 mel
#: bands is twice the most speech front ends use.
FRONTEND_MAXIMA = {"sampling_rate": 192_000, "n_mels": 256, "delta_width": 99}
#: The most values one input's spectrogram (frames x frequency bins), or the mel filterbank
#: (bands x bins), may have: 2^24 complex values are 256 MB, about 600 MB at the peak of the
#: STFT, which no request should take. The shipped digits model needs 0.13 million; a minute
#: at 48 kHz with a 2048-point FFT every 10 ms, 6 million.
MAX_SPECTROGRAM_VALUES = 2**24


def _check_frontend(settings: Any) -> None:
    """Refuse front-end settings of the wrong type, or that would take more memory than a model should.

    :class:`~seqclf.audio.mfcc.FrontEnd` checks that its settings make sense together;
    this runs first, on the values as config.json gives them, so that neither its checks
    nor the filterbank it builds see a string, a bool or a size in the billions.
    """
    if not isinstance(settings, dict):
        raise ConfigError("the audio encoder's frontend must be a JSON object")
    check_field_types(FrontEnd, settings)
    values = {**FrontEnd().to_dict(), **settings}
    for key, most in FRONTEND_MAXIMA.items():
        if values[key] > most:
            raise ConfigError(f"the audio encoder's {key} must be at most {most:,}, got {values[key]:,}")
    bins = max(values["n_fft"], 2) // 2 + 1
    frames = values["sampling_rate"] * values["max_seconds"] / max(values["hop_length"], 1) + 1
    needed = bins * max(frames, values["n_mels"] + 2)  # a spectrogram, or the mel filterbank
    if needed > MAX_SPECTROGRAM_VALUES:
        shown = ", ".join(
            f"{k}={values[k]}" for k in ("n_fft", "hop_length", "n_mels", "sampling_rate", "max_seconds")
        )
        raise ConfigError(
            f"the audio encoder's settings ({shown}) need arrays of {needed:,.0f} values, more than "
            f"the {MAX_SPECTROGRAM_VALUES:,} seqclf computes"
        )


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
        _check_frontend(data.get("frontend"))
        frontend = FrontEnd.from_dict(data["frontend"])
        stats = ChannelStats.from_dict(cls.type, data)
        if len(stats.mean) != frontend.num_features:
            raise ConfigError(
                f"the audio encoder has statistics for {len(stats.mean)} channels but its front end "
                f"makes {frontend.num_features}"
            )
        return cls(frontend, stats)
