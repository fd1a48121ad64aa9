"""The digits recipe on a voice it never heard: train without one FSDD speaker, test on them.

The standard FSDD split tests the six training speakers on other repetitions, so it
cannot say how the model does for a new voice, which is what a person recording a digit
in the demo is. This trains the digits task's default recipe on the standard train and
validation parts without ``--speaker``, tests on all 500 of that speaker's recordings,
and prints beside it the shipped model (which heard the speaker in training) on the same
speaker's standard test recordings (repetitions 0-4).

    python benchmarks/digits_new_speakers.py --data ../shared/data/fsdd --speaker theo \
        --out runs/digits-without-theo

The model folder records the hold-out, so
``seqclf evaluate runs/digits-without-theo --data ../shared/data/fsdd`` rebuilds the
figure. One speaker per run (two to four minutes on one CPU thread); run several at
once on several cores. To compare recipes on voices they never heard, ``--model``,
``--train``, ``--augment`` and ``--frontend`` change single fields of the recipe's
:class:`~seqclf.config.ModelConfig`, :class:`~seqclf.config.TrainConfig`,
:class:`~seqclf.audio.augment.Augmentation` and :class:`~seqclf.audio.mfcc.FrontEnd`,
e.g. ``--model hidden_size=128 --train epochs=40 --augment speed=0.8,1.25 --frontend
cvn=true``.

``--extra-train runs/synth`` adds a folder of ``{digit}_{voice}_{index}.wav`` clips (the
synthetic voices of ``benchmarks/synth_digits.py``) to the training part only, never to
validation or to the held-out speaker's test; ``--extra-voices N`` takes N of its voices,
drawn with seed 0.
"""

from __future__ import annotations

import argparse
import sys
import typing
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from machine import describe, table
from pydantic import TypeAdapter, ValidationError

from seqclf.audio.augment import Augmentation
from seqclf.audio.mfcc import FrontEnd
from seqclf.config import ModelConfig, TrainConfig
from seqclf.data.fsdd import fsdd_splits, read_fsdd
from seqclf.data.splits import Examples, Splits
from seqclf.evaluation.evaluate import evaluate
from seqclf.network.pretrained import PretrainedClassifier
from seqclf.tasks import digits, get_task
from seqclf.training.run import run_training


def assignments(pairs: list[str], config: type) -> dict[str, Any]:
    """``["hidden_size=128", "speed=0.8,1.2"]`` as ``config``'s field values, typed by its hints.

    pydantic converts each text to its field's type (numbers, booleans, Literals, tuples).
    """
    hints = typing.get_type_hints(config)
    names = {f.name for f in fields(config)}
    values: dict[str, Any] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        if name not in names or not text:
            raise SystemExit(f"{pair!r}: expected NAME=VALUE with NAME one of {', '.join(sorted(names))}")
        given = text.split(",") if typing.get_origin(hints[name]) is tuple else text
        try:
            values[name] = TypeAdapter(hints[name]).validate_python(given)
        except ValidationError as err:
            raise SystemExit(f"{pair!r}: {err.errors()[0]['msg']}") from None
    return values


def extra_voices(folder: Path, count: int | None) -> Examples:
    """The clips of ``count`` voices of ``folder`` (all when None), drawn with seed 0."""
    rows = read_fsdd(folder)
    names = sorted({speaker for _, _, speaker, _ in rows})
    if count is not None:
        if not 0 < count <= len(names):
            raise SystemExit(f"--extra-voices {count}: {folder} has {len(names)} voices")
        names = sorted(np.random.default_rng(0).choice(names, size=count, replace=False))
    chosen = set(names)
    kept = [(str(path), label) for path, label, speaker, _ in rows if speaker in chosen]
    return Examples([path for path, _ in kept], [label for _, label in kept])


def with_extra_training(task: Any, extra: Examples) -> None:
    """Make ``task`` (for this process only) train on ``extra`` besides its own training part."""
    own = type(task).load_splits

    def load_splits(self: Any, data: Path, split: dict[str, Any] | None = None) -> Splits:
        splits = own(self, data, split)
        train = Examples(splits.train.inputs + extra.inputs, splits.train.labels + extra.labels)
        sizes = {**splits.info["sizes"], "train": len(train)}
        info = {**splits.info, "sizes": sizes, "extra_train_clips": len(extra)}
        return Splits(train, splits.validation, splits.test, info)

    type(task).load_splits = load_splits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fsdd"))
    parser.add_argument("--speaker", required=True, help="The FSDD speaker to hold out, e.g. theo.")
    parser.add_argument("--out", type=Path, required=True, help="Folder for the model trained without them.")
    parser.add_argument("--shipped", type=Path, default=Path("models/digits"))
    parser.add_argument(
        "--ensemble", type=int, default=None, help="Networks to average (default: the recipe's)."
    )
    parser.add_argument("--extra-train", type=Path, help="A folder of extra training clips (train only).")
    parser.add_argument("--extra-voices", type=int, help="How many of its voices to use (default: all).")
    for flag, config in (
        ("--model", ModelConfig),
        ("--train", TrainConfig),
        ("--augment", Augmentation),
        ("--frontend", FrontEnd),
    ):
        parser.add_argument(
            flag, nargs="+", default=[], metavar="NAME=VALUE", help=f"Fields of {config.__name__} to change."
        )
    args = parser.parse_args()
    torch.set_num_threads(1)

    task = get_task("digits")
    recipe = replace(task.train_defaults, **assignments(args.train, TrainConfig))
    # what-ifs on the task's class-level recipe, for this process only
    type(task).augmentation = replace(task.augmentation, **assignments(args.augment, Augmentation))
    digits.FRONTEND = replace(digits.FRONTEND, **assignments(args.frontend, FrontEnd))
    if args.extra_train is not None:
        with_extra_training(task, extra_voices(args.extra_train, args.extra_voices))
    overrides = assignments(args.model, ModelConfig)
    if args.ensemble is not None:
        overrides["ensemble"] = args.ensemble
    command = " ".join(["python", *sys.argv])
    held_out = run_training(
        "digits",
        args.data,
        args.out,
        model=overrides,
        train=recipe.to_dict(),
        reader_options={"test_speakers": [args.speaker]},
        command=command,
    )
    unheard = held_out.training.test

    shipped = PretrainedClassifier.from_pretrained(args.shipped, device="cpu")
    standard_test = fsdd_splits(args.data).test
    mine = [i for i, path in enumerate(standard_test.inputs) if Path(path).stem.split("_")[1] == args.speaker]
    heard = evaluate(shipped, standard_test.subset(mine))

    print(describe())
    print(
        table(
            ["model", f"{args.speaker} in training?", "test recordings", "accuracy", "macro-F1"],
            [
                [
                    str(args.out),
                    "no",
                    unheard["num_examples"],
                    f"{unheard['accuracy']:.4f}",
                    f"{unheard['macro_f1']:.4f}",
                ],
                [
                    str(args.shipped),
                    "yes (repetitions 10-49)",
                    heard["num_examples"],
                    f"{heard['accuracy']:.4f}",
                    f"{heard['macro_f1']:.4f}",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
