"""Sequences of float feature vectors, such as LPC-cepstrum frames, standardised per channel.

Each channel (column) is shifted and scaled by its mean and standard deviation over
every training frame, so channels of different ranges reach the model's input layer
on one scale; the statistics are saved as JSON with the model. A caller sends one
sequence as a ``(frames, channels)`` array or as nested lists of rows; a list of
those is a batch.

``patch`` > 1 groups every ``patch`` consecutive frames into one step of ``patch x
channels`` values (the last group padded with its last frame). A recurrent layer over a
long univariate series (hundreds of single numbers) has to carry each number's meaning
across hundreds of steps; patches give it fewer, richer steps, as patching does for
transformers on time series (Nie et al. 2023, "A Time Series is Worth 64 Words").
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from seqclf.encoders.base import Encoder, positive_int
from seqclf.errors import ConfigError, InvalidInputError


class ChannelStats:
    """Per-channel mean and standard deviation; shared by the feature and audio encoders."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)

    @classmethod
    def fit(cls, sequences: Iterable[np.ndarray]) -> ChannelStats:
        frames = np.concatenate([np.asarray(s, dtype=np.float64) for s in sequences], axis=0)
        # A constant channel would divide by zero; leave its scale alone instead.
        std = frames.std(axis=0)
        return cls(frames.mean(axis=0), np.where(std > 1e-8, std, 1.0))

    def apply(self, frames: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(((frames - self.mean) / self.std).astype(np.float32))

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, encoder: str, data: Mapping[str, Any]) -> ChannelStats:
        """Read :meth:`to_dict`'s output, refusing what :meth:`fit` could not have written.

        ``fit`` gives one finite mean and one positive standard deviation per channel;
        anything else in a config.json (a string, a nested list, a zero that would divide
        every input by zero) is a :class:`~seqclf.errors.ConfigError` naming the encoder.
        """
        mean, std = data.get("mean"), data.get("std")
        for name, values, least in (("mean", mean, -math.inf), ("std", std, 0.0)):
            if not isinstance(values, list) or not values or not all(_number_above(v, least) for v in values):
                raise ConfigError(
                    f"the {encoder} encoder's {name} must be a non-empty list of "
                    f"{'positive' if least == 0 else 'finite'} numbers"
                )
        if len(mean) != len(std):
            raise ConfigError(
                f"the {encoder} encoder has {len(mean)} channel means but {len(std)} deviations"
            )
        return cls(mean, std)


def _number_above(value: Any, least: float) -> bool:
    """Whether ``value`` is a finite JSON number (not a bool) greater than ``least``."""
    return isinstance(value, int | float) and not isinstance(value, bool) and least < value < math.inf


def as_frames(example: Any, num_features: int, max_length: int) -> np.ndarray:
    """Check one ``(frames, channels)`` input and return it as a float64 array."""
    if isinstance(example, torch.Tensor):
        example = example.detach().cpu().numpy()
    if not isinstance(example, (np.ndarray, list, tuple)):
        raise InvalidInputError(
            f"expected a (frames, {num_features}) array or a list of rows of {num_features} "
            f"numbers, got {type(example).__name__}"
        )
    try:
        array = np.asarray(example)
    except ValueError as err:  # numpy refuses ragged nesting
        raise InvalidInputError(
            f"the rows have different lengths: every frame needs {num_features} numbers"
        ) from err
    if array.size == 0:
        raise InvalidInputError("the sequence is empty: give at least one frame")
    if array.dtype.kind not in "iuf":
        raise InvalidInputError(f"the frames must hold numbers, got {array.dtype.name} values")
    if array.ndim != 2:
        raise InvalidInputError(
            f"expected a 2-D (frames, channels) input, got {array.ndim} dimension(s) "
            f"of shape {tuple(array.shape)}"
        )
    frames, channels = array.shape
    if channels != num_features:
        raise InvalidInputError(f"each frame has {channels} channels; this model takes {num_features}")
    if frames > max_length:
        raise InvalidInputError(f"the sequence has {frames} frames; this model takes at most {max_length}")
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        frame, channel = bad[0]
        raise InvalidInputError(
            f"frame {frame}, channel {channel} is {array[frame, channel]}: values must be finite"
        )
    return array.astype(np.float64)


class FeatureEncoder(Encoder):
    """Standardises ``(frames, num_features)`` float sequences channel by channel."""

    type = "features"
    input_kind = "features"
    modality_name = "features"

    def __init__(
        self,
        stats: ChannelStats,
        max_length: int = 10_000,
        step_seconds: float | None = None,
        patch: int = 1,
    ) -> None:
        if patch < 1:
            raise ValueError("patch must be at least 1")
        self.stats = stats
        #: channels per input frame (a model step holds ``patch`` frames)
        self.num_features = len(stats.mean)
        self.max_length = max_length
        self.step_seconds = step_seconds
        self.patch = patch

    @classmethod
    def fit(
        cls,
        examples: Iterable[Any],
        max_length: int = 10_000,
        step_seconds: float | None = None,
        patch: int = 1,
    ) -> FeatureEncoder:
        """``step_seconds``, the frame shift, lets explanations name steps by time."""
        return cls(ChannelStats.fit(examples), max_length=max_length, step_seconds=step_seconds, patch=patch)

    def encode(self, example: Any) -> torch.Tensor:
        frames = self.stats.apply(as_frames(example, self.num_features, self.max_length))
        if self.patch == 1:
            return frames
        short = -len(frames) % self.patch
        if short:
            frames = torch.cat([frames, frames[-1:].expand(short, -1)])
        return frames.reshape(-1, self.patch * self.num_features)

    def steps(self, example: Any) -> list[str]:
        count = len(self.encode(example))
        if self.step_seconds is not None:
            return [f"{i * self.patch * self.step_seconds:.3f}s" for i in range(count)]
        if self.patch == 1:
            return [str(i) for i in range(count)]
        return [f"{i * self.patch}-{(i + 1) * self.patch - 1}" for i in range(count)]

    def model_fields(self) -> dict[str, Any]:
        return {"input_kind": "features", "num_features": self.num_features * self.patch}

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            **self.stats.to_dict(),
            "max_length": self.max_length,
            "step_seconds": self.step_seconds,
            "patch": self.patch,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureEncoder:
        step_seconds = data.get("step_seconds")
        if step_seconds is not None and not _number_above(step_seconds, 0.0):
            raise ConfigError(
                f"the features encoder's step_seconds must be a positive number or null, "
                f"got {reprlib.repr(step_seconds)}"
            )
        return cls(
            ChannelStats.from_dict(cls.type, data),
            max_length=positive_int(cls.type, data, "max_length", 10_000),
            step_seconds=step_seconds,
            patch=positive_int(cls.type, data, "patch", 1),
        )
