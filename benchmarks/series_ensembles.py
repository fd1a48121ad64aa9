"""Small UEA/UCR sets: the series task's defaults with one network against an ensemble.

With 40-200 training series, one network's test accuracy swings by several points
with its seed; averaging the probabilities of several networks trained from different
seeds (``--ensemble N``) is the textbook remedy for that variance. This trains
``seqclf train series`` defaults on each named archive's ``_TRAIN.ts`` (the series
task holds out its own validation part from it) and scores each ``_TEST.ts``, with
every ``--ensembles`` size side by side, and prints accuracy and training time.

    python benchmarks/series_ensembles.py --archives DIR --sets ArrowHead GunPoint --ensembles 1 5

``DIR`` holds ``NAME/NAME_TRAIN.ts`` and ``NAME/NAME_TEST.ts``, e.g. ``aeon/datasets/data``
of the aeon wheel (``pip download --no-deps aeon==1.6.0``).
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

from seqclf.data.series import read_series
from seqclf.training.run import run_training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archives", type=Path, required=True, help="Folder of NAME/NAME_{TRAIN,TEST}.ts.")
    parser.add_argument("--sets", nargs="+", required=True, help="Archive names, e.g. ArrowHead GunPoint.")
    parser.add_argument("--ensembles", type=int, nargs="+", default=[1, 5], help="Ensemble sizes to compare.")
    args = parser.parse_args()
    torch.set_num_threads(1)

    rows, means = [], {k: [] for k in args.ensembles}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            train, test = (args.archives / name / f"{name}_{part}.ts" for part in ("TRAIN", "TEST"))
            series = read_series(train)
            lengths = [len(case) for case in series.inputs]
            for size in args.ensembles:
                start = time.perf_counter()
                trained = run_training(
                    "series",
                    train,
                    Path(tmp) / f"{name}-{size}",
                    model={"ensemble": size},
                    reader_options={"test_file": str(test)},
                    command="benchmark",
                    log=lambda _: None,
                )
                accuracy = trained.training.test["accuracy"]
                means[size].append(accuracy)
                rows.append(
                    [
                        name,
                        len(series.inputs),
                        len(set(series.labels)),
                        f"{int(np.median(lengths))}x{series.inputs[0].shape[1]}",
                        size,
                        trained.training.test["num_examples"],
                        f"{accuracy:.4f}",
                        f"{time.perf_counter() - start:.0f}",
                    ]
                )
                print(*rows[-1], flush=True)
    print(describe())
    print(
        table(
            [
                "set",
                "train series",
                "classes",
                "steps x channels",
                "ensemble",
                "test series",
                "accuracy",
                "seconds",
            ],
            rows,
        )
    )
    for size, accuracies in means.items():
        print(f"ensemble {size}: mean test accuracy {np.mean(accuracies):.4f} over {len(accuracies)} sets")


if __name__ == "__main__":
    sys.exit(main())
