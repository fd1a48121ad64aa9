"""Random perturbations of training recordings, for models that meet unseen voices and rooms.

FSDD is six speakers in quiet rooms, clips trimmed to the word. A person speaking
into a UI differs in three ways this module imitates:

- **speaking rate and pitch**: speed perturbation (resampling by 0.85-1.15, as in
  Ko et al. 2015, "Audio augmentation for speech recognition"), which shifts both
  tempo and formants, as a different, faster or slower speaker would;
- **background noise and microphones**: coloured noise (white through brown, via a
  random one-pole filter) at 10-40 dB SNR;
- **untrimmed edges**: up to 0.4 s of that noise before and after the word;
- **rooms** (opt-in, ``reverb_probability``): a share of the variants is first played
  in a synthetic room (:func:`room_impulse_response`, RT60 0.1-0.9 s, direct-to-reverberant
  ratio -3 to +9 dB), wider than the benchmark's two rooms so as not to train on its test;
- **missing bands** (opt-in, ``band_stop_probability``): a share of the variants loses a
  random band of 1/4 to 1 octave to a band-stop filter, the waveform-domain counterpart of
  SpecAugment's frequency masks (Park et al. 2019), so the classifier cannot lean on one
  speaker's formant region. (SpecAugment's time masks are the model's ``step_dropout``.)

:class:`Augmentation` holds every range, so a task states its recipe in one value.

Gain is not varied: the front end peak-normalises and subtracts each coefficient's
mean (CMN), so the model is level-invariant by construction.

:func:`room_impulse_response` and :func:`reverberate` also make the benchmark's rooms
(``benchmarks/digits_robustness.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


@dataclass(frozen=True)
class Augmentation:
    """How a task perturbs its training recordings: how many variants and within which ranges.

    A probability of 0 draws no random number for its step, so turning an option off
    reproduces the variants made before it existed.
    """

    #: random variants of each training recording, beside the recording itself
    copies: int = 1
    #: speed factors drawn uniformly from this range (tempo and formants together)
    speed: tuple[float, float] = (0.85, 1.15)
    #: signal-to-noise ratio of the added coloured noise, dB, drawn uniformly
    snr_db: tuple[float, float] = (10.0, 40.0)
    #: most seconds of noise-only padding before and after the word (each drawn from 0 to it)
    max_pad_seconds: float = 0.4
    #: share of variants played in a synthetic room first
    reverb_probability: float = 0.0
    #: share of variants with one random band removed (a frequency mask)
    band_stop_probability: float = 0.0

    def __post_init__(self) -> None:
        low, high = self.speed
        if self.copies < 0 or not 0 < low <= high or self.snr_db[0] > self.snr_db[1]:
            raise ValueError(f"need copies >= 0 and ordered, positive ranges, got {self!r}")
        if not (0 <= self.reverb_probability <= 1 and 0 <= self.band_stop_probability <= 1):
            raise ValueError(f"probabilities must be in [0, 1], got {self!r}")


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


def reverberate(samples: np.ndarray, response: np.ndarray) -> np.ndarray:
    """``samples`` played through ``response`` (with its tail), rescaled to the dry peak.

    Rescaling keeps the level where the dry clip had it; the front end peak-normalises
    anyway, so this only keeps a later SNR defined against the same peak.
    """
    from scipy.signal import fftconvolve  # lazy: ~1 s off `import seqclf`

    wet = fftconvolve(samples, response)
    return (wet * (np.max(np.abs(samples)) / (np.max(np.abs(wet)) + 1e-12))).astype(np.float32)


def band_stop(samples: np.ndarray, rate: int, centre_hz: float, octaves: float) -> np.ndarray:
    """``samples`` without the band ``octaves`` wide around ``centre_hz`` (4th-order Butterworth).

    The band is clipped to stay below 0.95 of the Nyquist frequency.
    """
    from scipy.signal import butter, sosfilt  # lazy: ~1 s off `import seqclf`

    low = centre_hz * 2 ** (-octaves / 2)
    high = min(centre_hz * 2 ** (octaves / 2), 0.95 * rate / 2)
    sos = butter(2, [low, high], btype="bandstop", fs=rate, output="sos")
    return sosfilt(sos, samples).astype(np.float32)


def perturb(
    samples: np.ndarray, rate: int, rng: np.random.Generator, augmentation: Augmentation = Augmentation()
) -> np.ndarray:
    """One random variant of a clip: new speed, maybe a missing band and a room, padding, noise."""
    a = augmentation
    samples = change_speed(samples, rng.uniform(*a.speed))
    if a.band_stop_probability and rng.random() < a.band_stop_probability:
        # centres log-uniform over the speech band, 150 Hz to 0.8 of the Nyquist frequency
        centre = float(np.exp(rng.uniform(np.log(150.0), np.log(0.4 * rate))))
        samples = band_stop(samples, rate, centre, rng.uniform(0.25, 1.0))
    if a.reverb_probability and rng.random() < a.reverb_probability:
        response = room_impulse_response(
            rng.uniform(0.1, 0.9), rate, rng, direct_to_reverberant_db=rng.uniform(-3.0, 9.0)
        )
        samples = reverberate(samples, response)
    before, after = (int(rng.uniform(0.0, a.max_pad_seconds) * rate) for _ in range(2))
    padded = np.concatenate([np.zeros(before), samples, np.zeros(after)]).astype(np.float32)
    signal_rms = np.sqrt(np.mean(samples**2)) + 1e-12
    snr_db = rng.uniform(*a.snr_db)
    return padded + coloured_noise(len(padded), rng) * signal_rms * 10 ** (-snr_db / 20)


def room_impulse_response(
    rt60_s: float, rate: int, rng: np.random.Generator, *, direct_to_reverberant_db: float = 0.0
) -> np.ndarray:
    """A synthetic room's impulse response: a direct path, then exponentially decaying noise.

    This is the statistical model of reverberation of Schroeder (1962, "Frequency-correlation
    functions of frequency responses in rooms") and Polack (1988, thesis "La transmission de
    l'energie sonore dans les salles"): a few milliseconds after the direct sound so many
    reflections arrive, from so many directions, that the tail is indistinguishable from
    Gaussian noise whose energy falls exponentially, by 60 dB over the reverberation time
    RT60. Here the tail is white Gaussian noise times the amplitude envelope
    ``exp(-6.9 t / RT60)`` (energy ``exp(-13.8 t / RT60)``: -60 dB at RT60, as
    ln(1000) = 6.9), after the direct sound, an impulse at ``t = 0``.

    The response lasts ``rt60_s`` seconds (``round(rt60_s * rate)`` samples, at least 2);
    what would follow is more than 60 dB down. ``direct_to_reverberant_db`` is the
    direct path's energy over the tail's; 0 dB is a talker at about the room's critical
    distance (around a metre in a furnished room), more reverberant than a headset or a
    laptop at arm's length. The response is normalised to unit energy, so convolving with
    it keeps a signal's power about the same. At 0 dB or more the direct path is the
    largest sample by far (the tail's peak is some 12-20 dB below it). The decay is the
    same at every frequency and there are no distinct early reflections: a coarse room,
    enough to test or train indifference to reverberation, not a model of a particular one.
    """
    if rt60_s <= 0 or rate < 1:
        raise ValueError(f"need rt60_s > 0 and rate >= 1, got {rt60_s!r} and {rate!r}")
    length = max(2, round(rt60_s * rate))
    t = np.arange(length) / rate
    tail = rng.standard_normal(length) * np.exp(-6.9 * t / rt60_s)
    tail[0] = 0.0
    tail *= 10 ** (-direct_to_reverberant_db / 20) / (np.sqrt(np.sum(tail**2)) + 1e-12)
    response = tail
    response[0] = 1.0
    return (response / np.sqrt(np.sum(response**2))).astype(np.float32)
