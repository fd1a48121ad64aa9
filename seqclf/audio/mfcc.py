"""MFCC frames from mono samples: STFT, a Slaney mel filterbank, log, DCT, deltas.

Why hand-written: librosa's first MFCC call compiles numba code (16-50 s on a 2-core
machine), which a server or UI cannot pay on a request, and torchaudio is tied to a
single torch version. The computation is the textbook one and follows librosa's
defaults step for step — periodic Hann window, centred frames with zero padding,
power spectrum, Slaney-style mel scale and area-normalised triangles, ``10 log10``
with an 80 dB floor below the utterance's peak, orthonormal DCT-II, Savitzky-Golay
deltas — so tests compare it with librosa directly (``tests/test_speech_mfcc.py``).

Two steps go beyond plain MFCC, both for recordings unlike the training data:
leading and trailing frames more than ``trim_db`` below the loudest frame are cut
(training clips are trimmed; a UI recording has silence around the word), and each
coefficient's mean over the utterance is subtracted (cepstral mean normalisation),
which removes a fixed microphone/channel colouring and the recording level.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch

from seqclf.errors import ConfigError, InvalidInputError

# Below this peak amplitude (-80 dBFS) a recording holds no usable sound.
SILENCE_PEAK = 1e-4


@dataclass(frozen=True)
class FrontEnd:
    """The front end's settings, saved in the model's config so inference matches training."""

    sampling_rate: int = 8000
    n_fft: int = 256
    hop_length: int = 80
    n_mels: int = 40
    n_mfcc: int = 20
    fmin: float = 20.0
    fmax: float | None = None  # None: half the sampling rate
    top_db: float = 80.0
    deltas: int = 1  # 0: MFCC only; 1: + deltas; 2: + delta-deltas
    delta_width: int = 9
    cmn: bool = True
    #: also divide each coefficient by its standard deviation over the utterance (CMVN)
    cvn: bool = False
    trim_db: float | None = 40.0  # None: keep silent edges
    min_seconds: float = 0.1
    max_seconds: float = 10.0

    def __post_init__(self) -> None:
        nyquist = self.sampling_rate / 2
        problems = []
        if self.sampling_rate < 1 or self.n_fft < 2 or self.hop_length < 1:
            problems.append("sampling_rate, n_fft and hop_length must be positive (n_fft >= 2)")
        if not 1 <= self.n_mfcc <= self.n_mels:
            problems.append(f"n_mfcc must be in 1..n_mels ({self.n_mels}), got {self.n_mfcc}")
        if not 0 <= self.fmin < (self.fmax or nyquist) <= nyquist:
            problems.append(f"need 0 <= fmin < fmax <= {nyquist:g} Hz")
        if self.cvn and not self.cmn:
            problems.append("cvn (variance normalisation) needs cmn (mean normalisation)")
        if self.deltas not in (0, 1, 2):
            problems.append("deltas must be 0, 1 or 2")
        if self.delta_width < 3 or self.delta_width % 2 == 0:
            problems.append("delta_width must be odd and at least 3")
        if not 0 < self.min_seconds < self.max_seconds:
            problems.append("need 0 < min_seconds < max_seconds")
        if problems:
            raise ConfigError("; ".join(problems))

    @property
    def num_features(self) -> int:
        return self.n_mfcc * (1 + self.deltas)

    @property
    def frame_seconds(self) -> float:
        return self.hop_length / self.sampling_rate

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrontEnd:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown audio front-end settings {unknown}; upgrade seqclf")
        return cls(**data)


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log, linear)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * (200.0 / 3)
    log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log, linear)


def mel_filterbank(rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """``(n_mels, n_fft // 2 + 1)`` triangles, evenly spaced in mel, each of unit area in Hz."""
    bins = np.fft.rfftfreq(n_fft, 1.0 / rate)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]


def dct_matrix(n_out: int, n_in: int) -> np.ndarray:
    """The orthonormal DCT-II as a ``(n_out, n_in)`` matrix (first ``n_out`` rows)."""
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    basis[0] /= np.sqrt(2.0)
    return basis


#: the digits recipe's front end, which the generic audio task starts from: 8 kHz, 20 MFCC
#: + deltas per 16 ms frame over 32 ms windows (docs/speech.md)
SPEECH_FRONTEND = FrontEnd(sampling_rate=8000, n_fft=256, hop_length=128, n_mels=40, n_mfcc=20, deltas=1)


class MfccExtractor:
    """Computes a :class:`FrontEnd`'s frames; the filterbank and DCT are built once."""

    def __init__(self, settings: FrontEnd) -> None:
        self.settings = settings
        s = settings
        self.window = torch.hann_window(s.n_fft, dtype=torch.float64)
        self.mel = torch.from_numpy(
            mel_filterbank(s.sampling_rate, s.n_fft, s.n_mels, s.fmin, s.fmax or s.sampling_rate / 2)
        )
        self.dct = torch.from_numpy(dct_matrix(s.n_mfcc, s.n_mels))

    def log_mel(self, samples: np.ndarray) -> torch.Tensor:
        """``(frames, n_mels)`` log-mel power in dB, floored ``top_db`` below its maximum."""
        s = self.settings
        spectrum = torch.stft(
            torch.from_numpy(np.asarray(samples, dtype=np.float64)),
            n_fft=s.n_fft,
            hop_length=s.hop_length,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        power = self.mel @ spectrum.abs().square()
        db = 10.0 * torch.log10(power.clamp(min=1e-10))
        return db.clamp(min=db.max() - s.top_db).T

    def mfcc(self, samples: np.ndarray) -> np.ndarray:
        """Plain ``(frames, n_mfcc)`` MFCC, as ``librosa.feature.mfcc`` computes them."""
        return (self.log_mel(samples) @ self.dct.T).numpy()

    def frames(self, samples: np.ndarray) -> tuple[np.ndarray, int]:
        """The model's ``(frames, num_features)`` float32 input and the index of its first frame.

        Peak-normalises, trims silent edges, applies CMN and appends deltas. Raises
        :class:`~seqclf.errors.InvalidInputError` for silence or too little sound.
        """
        from scipy.signal import savgol_filter  # lazy: ~1 s off `import seqclf`

        s = self.settings
        peak = float(np.abs(samples).max()) if samples.size else 0.0
        if peak < SILENCE_PEAK:
            raise InvalidInputError("the audio is silent: no sample reaches -80 dBFS")
        log_mel = self.log_mel(samples / peak)
        first, last = 0, len(log_mel)
        if s.trim_db is not None:
            energy = torch.logsumexp(log_mel * (np.log(10) / 10), dim=1)
            loud = torch.nonzero(energy >= energy.max() - s.trim_db * np.log(10) / 10).squeeze(1)
            first, last = int(loud[0]), int(loud[-1]) + 1
        if (last - first) * s.frame_seconds < s.min_seconds:
            raise InvalidInputError(
                f"the audio holds only {(last - first) * s.frame_seconds:.3f} s of sound (after trimming "
                f"what is {s.trim_db:g} dB below its loudest frame); this model needs at least {s.min_seconds:g} s"
            )
        coefficients = (log_mel[first:last] @ self.dct.T).numpy()
        if s.cmn:
            coefficients = coefficients - coefficients.mean(axis=0, keepdims=True)
        if s.cvn:  # a floor keeps a near-constant coefficient of a short clip from exploding
            coefficients = coefficients / np.maximum(coefficients.std(axis=0, keepdims=True), 1e-3)
        parts = [coefficients]
        for order in range(1, s.deltas + 1):
            parts.append(
                savgol_filter(
                    coefficients,
                    window_length=s.delta_width,
                    polyorder=order,
                    deriv=order,
                    axis=0,
                    mode="nearest",
                )
            )
        return np.concatenate(parts, axis=1).astype(np.float32), first
