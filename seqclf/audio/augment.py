"""Random perturbations of training recordings, for models that meet unseen voices and rooms.

FSDD is six speakers in quiet rooms, clips trimmed to the word. A person speaking
into a UI differs in three ways this module imitates:

- **speaking rate and pitch**: speed perturbation (resampling by 0.85-1.15, as in
  Ko et al. 2015, "Audio augmentation for speech recognition"), which shifts both
  tempo and formants, as a different, faster or slower speaker would;
- **background noise and microphones**: coloured noise (white through brown, via a
  random one-pole filter) at 10-40 dB SNR;
- **untrimmed edges**: up to 0.4 s of that noise before and after the word.

Gain is not varied: the front end peak-normalises and subtracts each coefficient's
mean (CMN), so the model is level-invariant by construction.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def change_speed(samples: np.ndarray, factor: float) -> np.ndarray:
    """Play ``factor`` times faster (fewer samples): tempo and pitch both change."""
    from scipy.signal import resample_poly  # lazy: ~1 s off `import seqclf`

    ratio = Fraction(factor).limit_denominator(40)
    return resample_poly(samples, ratio.denominator, ratio.numerator).astype(np.float32)


def coloured_noise(length: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise, white to strongly low-passed (one pole at a random position)."""
    from scipy.signal import lfilter  # lazy: ~1 s off `import seqclf`

    pole = rng.uniform(0.0, 0.98)
    noise = lfilter([1.0], [1.0, -pole], rng.standard_normal(length))
    return (noise / (np.sqrt(np.mean(noise**2)) + 1e-12)).astype(np.float32)


def perturb(samples: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    """One random variant of a clip: new speed, silent padding, background noise."""
    samples = change_speed(samples, rng.uniform(0.85, 1.15))
    before, after = (int(rng.uniform(0.0, 0.4) * rate) for _ in range(2))
    padded = np.concatenate([np.zeros(before), samples, np.zeros(after)]).astype(np.float32)
    signal_rms = np.sqrt(np.mean(samples**2)) + 1e-12
    snr_db = rng.uniform(10.0, 40.0)
    return padded + coloured_noise(len(padded), rng) * signal_rms * 10 ** (-snr_db / 20)
