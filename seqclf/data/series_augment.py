"""Random variants of a time series, for training on few examples.

Three of the transformations Iwana & Uchida (2021, "An empirical survey of data
augmentation for time series classification with neural networks", PLOS ONE) found
safe for most data, applied together to make each variant:

- **scaling**: each channel multiplied by a factor drawn from N(1, 0.1);
- **jittering**: Gaussian noise of 3% of the channel's standard deviation added;
- **window warping** (Le Guennec, Malinowski & Tavenard 2016): a random tenth of the
  series played at half or twice its speed, the whole then resampled to its original
  length, so a variant is as long as its series.

They change amplitude and timing, not the shape that tells classes apart, which is the
assumption a user accepts with them (``--augment-copies 0`` turns them off).
"""

from __future__ import annotations

import numpy as np

#: the spread of the scaling factor and of the jitter (as a share of a channel's std)
SCALE_SIGMA = 0.1
JITTER_SHARE = 0.03
#: the share of the length a window warp stretches or squeezes, and by how much
WARP_WINDOW = 0.1
WARP_FACTORS = (0.5, 2.0)


def _resample(series: np.ndarray, length: int) -> np.ndarray:
    """``(steps, channels)`` linearly resampled to ``length`` steps."""
    source = np.linspace(0.0, 1.0, len(series))
    target = np.linspace(0.0, 1.0, length)
    return np.stack([np.interp(target, source, series[:, c]) for c in range(series.shape[1])], axis=1)


def window_warp(series: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random window of ``WARP_WINDOW`` of the steps sped up or slowed down, back to the old length."""
    steps = len(series)
    width = max(2, round(WARP_WINDOW * steps))
    if steps <= width + 1:
        return series
    start = int(rng.integers(0, steps - width))
    factor = float(rng.choice(WARP_FACTORS))
    window = _resample(series[start : start + width], max(2, round(width * factor)))
    warped = np.concatenate([series[:start], window, series[start + width :]])
    return _resample(warped, steps)


def variant(series: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random variant of a ``(steps, channels)`` series: warped, scaled and jittered."""
    warped = window_warp(series.astype(np.float64), rng)
    channels = series.shape[1]
    scaled = warped * rng.normal(1.0, SCALE_SIGMA, size=(1, channels))
    spread = series.std(axis=0, keepdims=True)
    jittered = scaled + rng.normal(0.0, 1.0, size=scaled.shape) * JITTER_SHARE * spread
    return jittered.astype(series.dtype)
