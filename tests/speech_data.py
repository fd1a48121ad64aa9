"""Synthetic speech-like data for the speech tests: chirp "digits" as WAVs, feature sequences.

Three classes of sound that an MFCC model can tell apart by how their spectrum moves
(the front end subtracts each utterance's mean spectrum, so a class must differ in
its dynamics): a rising chirp, a falling chirp, and a tone that jumps up and back.
Two "speakers" shift every frequency a little; clips are written at several rates.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

LABELS = ("0", "1", "2")
SPEAKERS = {"ann": 1.0, "bob": 1.15}
RATES = (8000, 16000, 44100)


def clip(label: str, rate: int, rng: np.random.Generator, shift: float = 1.0) -> np.ndarray:
    """A 0.3-0.6 s float32 clip of class ``label`` at ``rate`` Hz, with a little noise."""
    seconds = rng.uniform(0.3, 0.6)
    t = np.arange(int(seconds * rate)) / rate
    low, high = 300.0 * shift, 1500.0 * shift
    if label == "0":
        frequency = low + (high - low) * t / seconds
    elif label == "1":
        frequency = high - (high - low) * t / seconds
    else:
        frequency = np.where(np.abs(t / seconds - 0.5) < 0.2, high, low)
    phase = 2 * np.pi * np.cumsum(frequency) / rate
    envelope = np.minimum(1.0, np.minimum(t, seconds - t) / 0.03)
    samples = 0.5 * envelope * np.sin(phase) + 0.005 * rng.standard_normal(len(t))
    return samples.astype(np.float32)


def tone(frequency: float, seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def make_fsdd_folder(folder: Path, repetitions: int = 15, seed: int = 0) -> Path:
    """WAVs named ``{label}_{speaker}_{index}.wav``, as FSDD names them, at mixed rates."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for label in LABELS:
        for speaker, shift in SPEAKERS.items():
            for index in range(repetitions):
                rate = RATES[index % len(RATES)]
                sf.write(folder / f"{label}_{speaker}_{index}.wav", clip(label, rate, rng, shift), rate)
    return folder


def feature_sequence(label: int, rng: np.random.Generator, channels: int = 12) -> np.ndarray:
    """A ``(frames, channels)`` sequence whose channel means and drift depend on ``label``."""
    frames = int(rng.integers(7, 27))
    base = np.zeros(channels)
    base[label % channels] = 3.0
    drift = np.linspace(0, 1, frames)[:, None] * (1.0 if label % 2 else -1.0)
    return (base + drift + 0.5 * rng.standard_normal((frames, channels))).astype(np.float32)


def write_ts(path: Path, sequences: list[np.ndarray], labels: list[str]) -> Path:
    """A UEA/UCR ``.ts`` file of variable-length multivariate cases."""
    header = [
        "# synthetic test data",
        "@problemName Synthetic",
        "@timeStamps false",
        "@missing false",
        "@univariate false",
        f"@dimensions {sequences[0].shape[1]}",
        "@equalLength false",
        f"@classLabel true {' '.join(sorted(set(labels)))}",
        "@data",
    ]
    rows = [
        ":".join(",".join(f"{v:.6f}" for v in column) for column in seq.T) + f":{label}"
        for seq, label in zip(sequences, labels, strict=True)
    ]
    path.write_text("\n".join(header + rows) + "\n", encoding="utf-8")
    return path


def wav_bytes(samples: np.ndarray, rate: int, subtype: str = "PCM_16") -> bytes:
    """``samples`` as the bytes of a WAV file (what an upload or a POST body carries)."""
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def tone_wav(frequency: float, seconds: float = 0.4, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV of a sine tone with a little noise (so MFCCs vary)."""
    t = np.arange(int(seconds * rate)) / rate
    noise = np.random.default_rng(int(frequency)).normal(0, 0.05, t.size)
    return wav_bytes((0.5 * np.sin(2 * np.pi * frequency * t) + noise).astype(np.float32), rate)
