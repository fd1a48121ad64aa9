"""Early stopping before and after "progress, not ties": epochs run, time and test accuracy.

Until 2026-12-07 a lower validation loss on a macro-F1 tie reset patience, so on easy data
(validation macro-F1 at 1.0 after a few epochs) every network ran to its epoch budget.
Now only a rise of ``min_delta`` resets it. This trains the same command with two
checkouts of seqclf (``--before`` and ``--after``, each a folder holding the ``seqclf``
package, e.g. a ``git worktree`` of the older commit and this repository) and prints, for
each data set, the epochs every network ran, the training time and the test figures.

    git worktree add /tmp/seqclf-before a2fc906
    python benchmarks/stopping_rule.py --before /tmp/seqclf-before --after . \\
        --text /work/devdata/text_first_names_sex/data.csv --text-flags "--ensemble 1"

Two sets are made here (seed 0): 90 training and 90 test series of 150 steps, a third each
sines, squares and sawtooths of random frequency and phase with noise; and 90 training and
90 test texts of eight words, a third each about weather, sport and food, read character
by character (``--tokens chars``, which both checkouts know). ``--text`` adds a text file
(CSV with ``text,label``) of your choice, split by seqclf.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from machine import describe, table
from scipy import signal

SHAPES = {"sine": np.sin, "square": lambda t: signal.square(t), "sawtooth": lambda t: signal.sawtooth(t)}


def waves(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` series of 150 steps, one channel, the shapes in turn."""
    names = list(SHAPES)
    cases, labels = [], []
    for i in range(n):
        name = names[i % len(names)]
        t = np.arange(150) * rng.uniform(0.08, 0.2) + rng.uniform(0, 2 * np.pi)
        cases.append(SHAPES[name](t) + rng.normal(0, 0.2, 150))
        labels.append(name)
    return np.stack(cases)[:, :, None].astype(np.float32), np.array(labels)


TOPICS = {
    "weather": ["rain", "sun", "cloud", "wind", "storm", "snow", "fog", "frost", "thunder", "breeze"],
    "sport": ["goal", "match", "team", "score", "coach", "league", "striker", "referee", "penalty", "final"],
    "food": ["bread", "cheese", "soup", "pasta", "salad", "spice", "butter", "garlic", "onion", "pepper"],
}


def sentences(n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """``n`` short texts, the topics in turn, each four words of its topic among four common ones."""
    common = ["the", "a", "of", "and", "in", "with", "on", "for", "very", "some"]
    rows = []
    for i in range(n):
        topic = list(TOPICS)[i % len(TOPICS)]
        words = list(rng.choice(TOPICS[topic], 4)) + list(rng.choice(common, 4))
        rng.shuffle(words)
        rows.append((" ".join(words), topic))
    return rows


def train(checkout: Path, task: str, data: Path, test: Path | None, out: Path, flags: list[str]) -> dict:
    command = [sys.executable, "-m", "seqclf", "train", task, "--data", str(data), "--out", str(out), *flags]
    if test is not None:
        command += ["--test", str(test)]
    env = {**os.environ, "PYTHONPATH": str(checkout.resolve()), "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=checkout, check=False)
    if done.returncode != 0:
        sys.exit(f"{checkout}: seqclf train {task} failed: {done.stderr.strip()[-500:]}")
    wall = time.perf_counter() - started
    training = json.loads((out / "config.json").read_text(encoding="utf-8"))["training"]
    members = training.get("members") or [training]
    return {
        "epochs": [m["epochs_run"] for m in members],
        "budget": training["hyperparameters"]["epochs"],
        "train_seconds": training["train_seconds"],
        "wall_seconds": wall,
        "accuracy": training["metrics"]["test"]["accuracy"],
        "macro_f1": training["metrics"]["test"]["macro_f1"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="A checkout with the older rule.")
    parser.add_argument("--after", type=Path, required=True, help="A checkout with the new rule.")
    parser.add_argument("--text", type=Path, help="A text,label CSV to train `seqclf train text` on too.")
    parser.add_argument(
        "--text-flags",
        default="",
        help="Flags for both text runs, so that only the stopping rule differs (e.g. '--ensemble 1').",
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rng = np.random.default_rng(0)
        for part in ("train", "test"):
            x, y = waves(90, rng)
            np.savez(root / f"{part}.npz", X=x, y=y)
        for part in ("train", "test"):
            texts = sentences(90, rng)
            (root / f"{part}.csv").write_text(
                "text,label\n" + "".join(f"{t},{y}\n" for t, y in texts), encoding="utf-8"
            )
        runs = [
            ("90 waves (series)", "series", root / "train.npz", root / "test.npz", []),
            (
                "90 topic texts (text, characters)",
                "text",
                root / "train.csv",
                root / "test.csv",
                ["--tokens", "chars"],
            ),
        ]
        if args.text:
            runs.append((f"{args.text.parent.name} (text)", "text", args.text, None, args.text_flags.split()))
        for number, (name, task, data, test, flags) in enumerate(runs):
            for rule, checkout in (("before", args.before), ("after", args.after)):
                result = train(checkout, task, data, test, root / f"run{number}-{rule}", flags)
                rows.append(
                    [
                        name,
                        rule,
                        ", ".join(map(str, result["epochs"])) + f" of {result['budget']}",
                        f"{result['train_seconds']:.0f}",
                        f"{result['wall_seconds']:.0f}",
                        f"{result['accuracy']:.4f}",
                        f"{result['macro_f1']:.4f}",
                    ]
                )
    print(describe())
    headers = ["data", "rule", "epochs run per network", "train s", "wall s", "test accuracy", "macro-F1"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
