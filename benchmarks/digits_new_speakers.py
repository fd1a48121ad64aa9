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
once on several cores. ``--augment-copies``, ``--reverb``, ``--step-dropout``, ``--ensemble``, ``--n-mfcc`` and ``--cvn`` try the recipe with
those settings changed, to compare recipes on voices they never heard.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch
from machine import describe, table

from seqclf.data.fsdd import fsdd_splits
from seqclf.evaluation import evaluate
from seqclf.pretrained import PretrainedClassifier
from seqclf.tasks import digits, get_task
from seqclf.training.run import run_training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/fsdd"))
    parser.add_argument("--speaker", required=True, help="The FSDD speaker to hold out, e.g. theo.")
    parser.add_argument("--out", type=Path, required=True, help="Folder for the model trained without them.")
    parser.add_argument("--shipped", type=Path, default=Path("models/digits"))
    parser.add_argument("--epochs", type=int, default=None, help="Default: the recipe's.")
    parser.add_argument(
        "--augment-copies", type=int, default=None, help="Perturbed copies per clip (default: the recipe's)."
    )
    parser.add_argument(
        "--reverb",
        type=float,
        default=None,
        help="Share of perturbed copies in a synthetic room (default: the recipe's).",
    )
    parser.add_argument("--step-dropout", type=float, default=None, help="Default: the recipe's.")
    parser.add_argument("--ensemble", type=int, default=None, help="Networks to average (default: 1).")
    parser.add_argument("--n-mfcc", type=int, default=None, help="MFCCs per frame (default: the recipe's).")
    parser.add_argument(
        "--cvn", action="store_true", help="Also normalise each MFCC's variance per utterance (CMVN)."
    )
    args = parser.parse_args()
    torch.set_num_threads(1)

    task = get_task("digits")
    recipe = task.train_defaults
    if args.epochs is not None:
        recipe = replace(recipe, epochs=args.epochs)
    if args.augment_copies is not None:  # a what-if on the task's class-level setting
        type(task).augment_copies = args.augment_copies
    if args.reverb is not None:
        type(task).reverb_probability = args.reverb
    frontend = {"n_mfcc": args.n_mfcc} if args.n_mfcc is not None else {}
    if args.cvn:
        frontend["cvn"] = True
    if frontend:  # a what-if on the task's front end, as for augment_copies
        digits.FRONTEND = replace(digits.FRONTEND, **frontend)
    overrides = {} if args.step_dropout is None else {"step_dropout": args.step_dropout}
    if args.ensemble is not None:
        overrides["ensemble"] = args.ensemble
    command = " ".join(["python", *sys.argv])
    held_out = run_training(
        "digits",
        args.data,
        args.out,
        overrides,
        recipe,
        command,
        torch.device("cpu"),
        split={"test_speakers": [args.speaker]},
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
