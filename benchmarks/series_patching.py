"""Long univariate series with few examples: the series task with and without patches.

UCR-style problems often have one channel, 150-500 steps and a few dozen training
series. This generates such a problem (four classes that differ in the frequency of a
noisy, randomly phased and scaled oscillation, plus a random local bump that carries no
class), trains ``seqclf train series``' data-chosen recipe on it once with the steps
grouped into patches (what the recipe chooses) and once over the raw steps (``--patch 1``), for several seeds, and prints test accuracy and training time side by side.

    python benchmarks/series_patching.py --length 300 --per-class 10 --seeds 3
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from machine import describe, table

from seqclf.training.run import run_training

FREQUENCIES = (3.0, 4.0, 5.0, 6.0)  # cycles over the whole series


def make_series(n_per_class: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, 1, length)
    cases, labels = [], []
    for label, cycles in enumerate(FREQUENCIES):
        for _ in range(n_per_class):
            wave = rng.uniform(0.5, 2.0) * np.sin(2 * np.pi * cycles * t + rng.uniform(0, 2 * np.pi))
            bump = 2.0 * np.exp(-(((t - rng.uniform(0.1, 0.9)) / 0.03) ** 2))
            cases.append((wave + bump + rng.normal(0, 0.6, length))[:, None])
            labels.append(label)
    return np.stack(cases).astype(np.float32), np.array(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=300)
    parser.add_argument("--per-class", type=int, default=10, help="training series per class")
    parser.add_argument("--test-per-class", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            for name, n in (("train", args.per_class), ("test", args.test_per_class)):
                x, y = make_series(n, args.length, rng)
                np.savez(root / f"{name}-{seed}.npz", X=x, y=y)
            for label, forced in (("patches (default)", {}), ("raw steps", {"patch": 1})):
                start = time.perf_counter()
                trained = run_training(
                    "series",
                    root / f"train-{seed}.npz",
                    root / f"model-{seed}-{len(rows)}",
                    train={"seed": seed},
                    reader_options={"test_file": str(root / f"test-{seed}.npz"), **forced},
                    command="benchmark",
                    log=lambda _: None,
                )
                test = trained.training.test
                rows.append(
                    [
                        seed,
                        label,
                        trained.encoder.patch,
                        f"{test['accuracy']:.3f}",
                        f"{time.perf_counter() - start:.0f}",
                    ]
                )
    print(describe())
    print(
        f"{len(FREQUENCIES)} classes, {args.per_class} training series each, {args.length} steps, 1 channel"
    )
    print(table(["seed", "steps", "patch", "test accuracy", "seconds"], rows))
    for label in ("patches (default)", "raw steps"):
        accuracies = [float(r[3]) for r in rows if r[1] == label]
        print(f"{label}: mean test accuracy {np.mean(accuracies):.3f}")


if __name__ == "__main__":
    sys.exit(main())
