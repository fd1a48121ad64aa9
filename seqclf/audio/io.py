"""Turning what callers send — a WAV path, WAV bytes, an array — into mono float samples.

Inputs follow the transformers audio pipeline: a file path, the bytes of an audio
file, a 1-D array already at the model's rate, or ``{"array": ..., "sampling_rate":
...}`` (``"raw"`` is accepted for ``"array"``, as there). Files are decoded with
soundfile (libsndfile: WAV, FLAC, OGG), never with a codec that could run code.
Everything becomes mono float32 at the model's rate, via scipy's polyphase
resampler, which filters against aliasing and is exact for rational rate ratios.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqclf.errors import InvalidInputError
from seqclf.install import pip_install

AudioInput = str | Path | bytes | bytearray | memoryview | np.ndarray | dict[str, Any]


def _soundfile():
    try:
        import soundfile
    except ImportError as err:  # the speech extra is not installed
        raise InvalidInputError(f"reading audio files needs soundfile: {pip_install('speech')}") from err
    return soundfile


def _decode(source: str | Path | io.BytesIO, what: str, max_seconds: float) -> tuple[np.ndarray, int]:
    """Decode a file or in-memory file to ``(samples, channels)`` float32 and its rate."""
    soundfile = _soundfile()
    try:
        info = soundfile.info(source)
        # Check the length from the header before decoding, so a huge upload is refused cheaply.
        if info.samplerate > 0 and info.frames / info.samplerate > max_seconds:
            raise InvalidInputError(
                f"{what} lasts {info.frames / info.samplerate:.1f} s; this model takes at most {max_seconds:g} s"
            )
        if isinstance(source, io.BytesIO):
            source.seek(0)
        samples, rate = soundfile.read(source, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError) as err:
        if isinstance(err, InvalidInputError):
            raise
        # libsndfile's own reason ("Format not recognised."), without the "<_io.BytesIO object at
        # 0x...>" that its full message names an in-memory upload by.
        reason = getattr(err, "error_string", None) or str(err)
        raise InvalidInputError(
            f"{what} could not be decoded as audio ({reason}); send a WAV, FLAC or OGG file"
        ) from err
    return samples, int(rate)


def _as_samples(array: Any, what: str) -> np.ndarray:
    """A 1-D float array from an array-like; integer PCM is scaled to [-1, 1]."""
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    if isinstance(array, (list, tuple)):
        try:
            array = np.asarray(array)
        except ValueError as err:
            raise InvalidInputError(f"{what} is not a flat list of numbers") from err
    if not isinstance(array, np.ndarray):
        raise InvalidInputError(f"{what} must be an array of samples, got {type(array).__name__}")
    if array.dtype.kind not in "iuf":
        raise InvalidInputError(f"{what} must hold numbers, got dtype {array.dtype}")
    if array.ndim != 1:
        raise InvalidInputError(
            f"{what} must be 1-D (mono samples), got shape {tuple(array.shape)}; "
            "send a file or bytes for multi-channel audio"
        )
    if array.dtype.kind in "iu":  # integer PCM, as soundfile and wave give it
        return array.astype(np.float32) / (float(np.iinfo(array.dtype).max) + 1.0)
    return array.astype(np.float32, copy=False)


def load_audio(example: Any, rate: int, max_seconds: float) -> np.ndarray:
    """Mono float32 samples at ``rate`` from any accepted input (see the module docstring).

    Raises :class:`~seqclf.errors.InvalidInputError` for a missing or undecodable file,
    a wrong type, empty or non-finite audio, or audio longer than ``max_seconds``.
    """
    if isinstance(example, (str, Path)):
        path = Path(example)
        if not path.is_file():
            raise InvalidInputError(f"no audio file at {str(path)!r}")
        samples, source_rate = _decode(
            path, f"{path.parent.name}/{path.name}" if path.parent.name else path.name, max_seconds
        )
        samples = samples.mean(axis=1)
    elif isinstance(example, (bytes, bytearray, memoryview)):
        if len(example) == 0:
            raise InvalidInputError("the audio bytes are empty")
        samples, source_rate = _decode(io.BytesIO(bytes(example)), "the audio bytes", max_seconds)
        samples = samples.mean(axis=1)
    elif isinstance(example, dict):
        key = "array" if "array" in example else "raw"
        if key not in example or "sampling_rate" not in example:
            raise InvalidInputError('an audio dict needs "array" and "sampling_rate" keys')
        source_rate = example["sampling_rate"]
        if isinstance(source_rate, bool) or not isinstance(source_rate, (int, np.integer)) or source_rate < 1:
            raise InvalidInputError(f'"sampling_rate" must be a positive integer, got {source_rate!r}')
        samples = _as_samples(example[key], f'"{key}"')
    elif isinstance(example, (np.ndarray, torch.Tensor, list, tuple)):
        samples, source_rate = _as_samples(example, "the audio array"), rate
    else:
        raise InvalidInputError(
            "expected a WAV file path, WAV bytes, a 1-D array of samples at "
            f'{rate} Hz or {{"array": ..., "sampling_rate": ...}}; got {type(example).__name__}'
        )
    if samples.size == 0:
        raise InvalidInputError("the audio is empty (no samples)")
    if samples.size / source_rate > max_seconds:
        raise InvalidInputError(
            f"the audio lasts {samples.size / source_rate:.1f} s; this model takes at most {max_seconds:g} s"
        )
    if not np.isfinite(samples).all():
        raise InvalidInputError("the audio has non-finite samples (NaN or infinity)")
    return resample(samples, int(source_rate), rate)


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Resample 1-D audio with a polyphase anti-aliasing filter (exact rational ratio)."""
    from scipy.signal import resample_poly  # lazy: ~1 s off `import seqclf`

    if source_rate == target_rate:
        return samples.astype(np.float32, copy=False)
    ratio = Fraction(target_rate, source_rate)
    return resample_poly(samples, ratio.numerator, ratio.denominator).astype(np.float32)
