"""The digits model on altered copies of FSDD recordings: rates, channels, levels, noise, rooms.

Checks that the front end and the training-time perturbations make the model indifferent
to how a clip was recorded: sent at a browser's rate, in stereo, louder (clipping) or
quieter, in noise, in a reverberant room, with silence around the word. Each clip is
altered with its own random generator, seeded from ``--seed`` and the clip's position
(recordings ordered by repetition, then speaker, then digit, so ``--limit 10`` already
has every digit), so the table is reproducible and does not depend on the batch.

On the standard test split (repetitions 0-4 of the six training speakers: not a test of
new voices)::

    python benchmarks/digits_robustness.py --model models/digits --data ../shared/data/fsdd

On voices the model never heard: all 500 recordings of each ``--speaker``, each with the
model trained without them, which ``digits_new_speakers.py`` makes::

    python benchmarks/digits_new_speakers.py --data ../shared/data/fsdd --speaker theo \\
        --out runs/digits-without-theo
    python benchmarks/digits_new_speakers.py --data ../shared/data/fsdd --speaker nicolas \\
        --out runs/digits-without-nicolas
    python benchmarks/digits_robustness.py --data ../shared/data/fsdd \\
        --speaker theo nicolas --models 'runs/digits-without-{speaker}'

With several speakers the table has a column per speaker and their mean; "difference
from clean" is the mean's. ``--limit N`` keeps the first N clips of each, for a quick check.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile
import torch
from machine import describe, table

from seqclf.audio.augment import coloured_noise, reverberate, room_impulse_response
from seqclf.audio.io import load_audio, resample
from seqclf.cards.card import add_evaluation
from seqclf.data.fsdd import NAME, fsdd_splits
from seqclf.inference.predictor import Predictor
from seqclf.record import Evaluation

RATE = 8000
MAX_SECONDS = 10.0
#: what a condition does to one clean 8 kHz clip, with that clip's own generator
Condition = Callable[[np.ndarray, np.random.Generator], object]


def gain(x: np.ndarray, db: float, clip: bool = False) -> np.ndarray:
    """``x`` ``db`` decibels louder; ``clip``: saturated at full scale, as a recording would be."""
    louder = x * np.float32(10 ** (db / 20))
    return np.clip(louder, -1.0, 1.0) if clip else louder


def noisy(x: np.ndarray, snr_db: float, rng: np.random.Generator, reference: np.ndarray) -> np.ndarray:
    """``x`` plus the augmentation's coloured noise, ``snr_db`` below ``reference``'s RMS."""
    signal_rms = np.sqrt(np.mean(reference**2))
    return x + coloured_noise(len(x), rng) * signal_rms * 10 ** (-snr_db / 20)


def padded(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """0.5 s of silence each side, then noise over all of it, ``snr_db`` below the word."""
    silence = np.zeros(RATE // 2, np.float32)
    return noisy(np.concatenate([silence, x, silence]), snr_db, rng, reference=x)


def reverberant(x: np.ndarray, rt60_s: float, rng: np.random.Generator) -> np.ndarray:
    """``x`` in a synthetic room (with its reverberant tail), rescaled to ``x``'s peak."""
    return reverberate(x, room_impulse_response(rt60_s, RATE, rng))


def browser_wav(x: np.ndarray, rate: int = 48000) -> bytes:
    """The bytes of a 16-bit stereo WAV at ``rate``, right channel 0.9 times the left.

    The encoder takes only 1-D arrays (``{"array": ...}`` of shape (samples, channels) is
    refused), so multi-channel audio reaches it as a file, as the UI's microphone does.
    """
    left = resample(x, RATE, rate)
    stereo = np.clip(np.stack([left, 0.9 * left], axis=1), -1.0, 1.0)
    buffer = io.BytesIO()
    soundfile.write(buffer, np.round(stereo * 32767).astype(np.int16), rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


CONDITIONS: dict[str, Condition] = {
    "clean (8 kHz samples)": lambda x, rng: x,
    "resampled to 44.1 kHz, sent with its rate": lambda x, rng: {
        "array": resample(x, RATE, 44100),
        "sampling_rate": 44100,
    },
    "48 kHz stereo WAV bytes (16-bit, right = 0.9 x left), as browsers record": lambda x, rng: browser_wav(x),
    "level +12 dB, clipped to [-1, 1] (saturated)": lambda x, rng: gain(x, 12, clip=True),
    "level -12 dB": lambda x, rng: gain(x, -12),
    "level -30 dB": lambda x, rng: gain(x, -30),
    "noise at 30 dB SNR": lambda x, rng: noisy(x, 30, rng, reference=x),
    "noise at 20 dB SNR": lambda x, rng: noisy(x, 20, rng, reference=x),
    "noise at 10 dB SNR": lambda x, rng: noisy(x, 10, rng, reference=x),
    "synthetic room, RT60 0.3 s, direct-to-reverberant 0 dB": lambda x, rng: reverberant(x, 0.3, rng),
    "synthetic room, RT60 0.6 s, direct-to-reverberant 0 dB": lambda x, rng: reverberant(x, 0.6, rng),
    "0.5 s silence each side, noise 40 dB below": lambda x, rng: padded(x, 40, rng),
    "0.5 s silence each side, noise 20 dB below": lambda x, rng: padded(x, 20, rng),
}


def ordered(paths: list[str], labels: list[str]) -> tuple[list[str], list[str]]:
    """Recordings by repetition, speaker, digit: any first N spread over digits and voices."""

    def key(pair: tuple[str, str]) -> tuple[int, str, str]:
        match = NAME.match(Path(pair[0]).stem)
        assert match is not None  # fsdd_splits has checked every name
        return int(match["index"]), match["speaker"], match["label"]

    pairs = sorted(zip(paths, labels, strict=True), key=key)
    return [p for p, _ in pairs], [y for _, y in pairs]


def accuracies(predictor: Predictor, paths: list[str], labels: list[str], seed: int) -> dict[str, float]:
    """Accuracy under every condition; clip ``i`` is altered with a generator from ``(seed, i)``."""
    clean = [load_audio(path, RATE, MAX_SECONDS) for path in paths]
    results = {}
    for name, alter in CONDITIONS.items():
        inputs = [alter(x, np.random.default_rng([seed, i])) for i, x in enumerate(clean)]
        probabilities = predictor.probabilities(predictor.encode(inputs))
        predicted = [predictor.labels[i] for i in probabilities.argmax(-1).tolist()]
        results[name] = float(np.mean([p == y for p, y in zip(predicted, labels, strict=True)]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fsdd"))
    parser.add_argument(
        "--model", default=None, help="Without --speaker: the model to test (default: models/digits)."
    )
    parser.add_argument(
        "--speaker",
        nargs="+",
        action="extend",
        default=None,
        help="Test on all recordings of these FSDD speakers instead of the standard test split.",
    )
    parser.add_argument(
        "--models",
        default=None,
        help="With --speaker: the model folder for each, with {speaker} in it, "
        "e.g. 'runs/digits-without-{speaker}'.",
    )
    parser.add_argument("--limit", type=int, default=None, help="Use only the first N clips of each.")
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument(
        "--record",
        type=Path,
        default=None,
        help="Also record the table in this model folder's config.json and card (e.g. models/digits).",
    )
    args = parser.parse_args()
    if args.speaker and args.model is not None:
        parser.error("--model is for the standard split; with --speaker give --models")
    if args.speaker and args.models is None:
        parser.error("--speaker needs --models, e.g. --models 'runs/digits-without-{speaker}'")
    if not args.speaker and args.models is not None:
        parser.error("--models goes with --speaker; without it give --model")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    torch.set_num_threads(1)

    if args.speaker:
        speakers = list(dict.fromkeys(args.speaker))
        tests = {s: (args.models.format(speaker=s), fsdd_splits(args.data, [s]).test) for s in speakers}
        what = "all recordings of each speaker, with the model for them"
        title = "New voices: the recipe trained without each speaker, on that speaker's altered recordings"
    else:
        tests = {"accuracy": (args.model or "models/digits", fsdd_splits(args.data).test)}
        what = "the standard test split (repetitions 0-4, six training speakers)"
        title = "Microphone conditions: altered copies of the standard test split"
    columns: dict[str, dict[str, float]] = {}
    notes = []
    for column, (model, test) in tests.items():
        paths, labels = ordered(list(test.inputs), list(test.labels))
        paths, labels = paths[: args.limit], labels[: args.limit]
        predictor = Predictor.from_pretrained(model, device="cpu")
        columns[column] = accuracies(predictor, paths, labels, args.seed)
        notes.append(f"{column}: {model}, {len(paths)} of {len(test)} clips")

    print(describe())
    print(f"Tested on {what}; seed {args.seed}; " + "; ".join(notes))
    several = len(columns) > 1
    headers = ["condition", *columns, *(["mean"] if several else []), "difference from clean"]
    mean = {name: float(np.mean([c[name] for c in columns.values()])) for name in CONDITIONS}
    clean = mean["clean (8 kHz samples)"]
    rows = []
    for name in CONDITIONS:
        cells = [f"{c[name]:.4f}" for c in columns.values()]
        if several:
            cells.append(f"{mean[name]:.4f}")
        rows.append([name, *cells, "" if name.startswith("clean") else f"{mean[name] - clean:+.4f}"])
    print(table(headers, rows))
    if args.record is not None:
        machine = "; ".join(describe().splitlines())
        command = " ".join(["python", *sys.argv])
        card = add_evaluation(args.record, Evaluation(title, command, machine, headers, rows))
        print(f"recorded in {args.record / 'config.json'} and {card}")


if __name__ == "__main__":
    main()
