"""The digits model on altered copies of the FSDD test split: rate, level, noise, silence.

Not a new-speaker test (the standard test split has the six training speakers); it
checks that the front end and the training-time perturbations make the model indifferent
to how a clip was recorded. Noise is the augmentation's coloured noise with a fixed
seed, so the table is reproducible.

    python benchmarks/digits_robustness.py --model models/digits --data ../shared/data/fsdd
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import torch

from seqclf.audio.augment import coloured_noise
from seqclf.audio.io import load_audio, resample
from seqclf.data.fsdd import fsdd_splits
from seqclf.predictor import Predictor

RATE = 8000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/digits")
    parser.add_argument("--data", default="../shared/data/fsdd")
    args = parser.parse_args()
    torch.set_num_threads(1)
    predictor = Predictor.from_pretrained(args.model, device="cpu")
    test = fsdd_splits(args.data).test
    clean = [load_audio(path, RATE, 10.0) for path in test.inputs]
    rng = np.random.default_rng(123)

    def noisy(x: np.ndarray, snr_db: float) -> np.ndarray:
        return x + coloured_noise(len(x), rng) * np.sqrt(np.mean(x**2)) * 10 ** (-snr_db / 20)

    def padded(x: np.ndarray, snr_db: float) -> np.ndarray:
        silence = np.zeros(RATE // 2, np.float32)
        return noisy(np.concatenate([silence, x, silence]), snr_db)

    conditions: dict[str, Callable[[np.ndarray], object]] = {
        "clean (8 kHz samples)": lambda x: x,
        "resampled to 44.1 kHz, sent with its rate": lambda x: {
            "array": resample(x, RATE, 44100),
            "sampling_rate": 44100,
        },
        "level -30 dB": lambda x: 0.03 * x,
        "noise at 30 dB SNR": lambda x: noisy(x, 30),
        "noise at 20 dB SNR": lambda x: noisy(x, 20),
        "noise at 10 dB SNR": lambda x: noisy(x, 10),
        "0.5 s silence each side, noise 40 dB below": lambda x: padded(x, 40),
        "0.5 s silence each side, noise 20 dB below": lambda x: padded(x, 20),
    }
    print("| condition | accuracy |\n| --- | ---: |")
    for name, alter in conditions.items():
        probabilities = predictor.probabilities(predictor.encode([alter(x) for x in clean]))
        predicted = [predictor.labels[i] for i in probabilities.argmax(-1).tolist()]
        accuracy = np.mean([p == y for p, y in zip(predicted, test.labels, strict=True)])
        print(f"| {name} | {accuracy:.4f} |")


if __name__ == "__main__":
    main()
