"""Labelled examples and a reproducible stratified train/validation/test split.

The split is a pure function of the data, the fractions and the seed, recorded in the
model's config, so ``seqclf evaluate`` rebuilds exactly the test set the model card
reports on. A fingerprint of the test set is stored too, to notice a different data
version or library behaviour instead of silently reporting other figures.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from typing import Any

from seqclf.errors import DataError

#: every task's default share of its training data held out for early stopping, and the seed
#: of its split (a task's reader options may say otherwise, and are recorded)
VALIDATION_SHARE = 0.1
SPLIT_SEED = 0


@dataclass
class Examples:
    """Parallel lists of raw examples and their string labels.

    ``skipped`` names what the reader left out of a file and why (``"line 63: the 'text'
    value is empty"``), for the one warning a run prints about it.
    """

    inputs: list[Any]
    labels: list[str]
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.inputs)

    def subset(self, indices: list[int]) -> Examples:
        return Examples([self.inputs[i] for i in indices], [self.labels[i] for i in indices])


@dataclass
class Splits:
    train: Examples
    validation: Examples
    test: Examples
    info: dict[str, Any]

    def get(self, name: str) -> Examples:
        if name not in ("train", "validation", "test"):
            raise DataError(f"unknown split {name!r}: use train, validation or test")
        return getattr(self, name)


def drop_duplicates(examples: Examples) -> tuple[Examples, int]:
    """``examples`` without repeated (input, label) pairs, first occurrence kept, and how many went.

    A repeated example could land in training and in the test part, where it would be
    scored on what the model memorised.
    """
    seen: set[tuple[str, str]] = set()
    keep = []
    for i, (x, y) in enumerate(zip(examples.inputs, examples.labels, strict=True)):
        if (str(x), y) not in seen:
            seen.add((str(x), y))
            keep.append(i)
    return examples.subset(keep), len(examples) - len(keep)


def fingerprint(examples: Examples, describe: Any = str) -> str:
    """A short hash of a split's content, order-independent."""
    rows = sorted(
        json.dumps([describe(x), y], ensure_ascii=False)
        for x, y in zip(examples.inputs, examples.labels, strict=True)
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def stratified_split(
    data: Examples, validation: float = VALIDATION_SHARE, test: float = 0.1, seed: int = SPLIT_SEED
) -> Splits:
    """Split into train/validation/test keeping each label's share in every part."""
    # imported here, not with the module: scikit-learn takes about 2 s to import, and the
    # service (which loads models but never splits data) should not pay for it
    from sklearn.model_selection import train_test_split

    if not 0 < validation < 1 or not 0 < test < 1 or validation + test >= 1:
        raise DataError("validation and test fractions must be in (0, 1) and sum below 1")
    indices = list(range(len(data)))
    try:
        rest, test_idx = train_test_split(indices, test_size=test, random_state=seed, stratify=data.labels)
        train_idx, val_idx = train_test_split(
            rest,
            test_size=validation / (1 - test),
            random_state=seed,
            stratify=[data.labels[i] for i in rest],
        )
    except ValueError as err:  # too few examples of a class to stratify
        raise DataError(f"cannot make a stratified split: {err}") from err
    splits = Splits(data.subset(train_idx), data.subset(val_idx), data.subset(test_idx), {})
    splits.info = {
        "method": "stratified",
        "seed": seed,
        "validation": validation,
        "test": test,
        "sizes": {"train": len(train_idx), "validation": len(val_idx), "test": len(test_idx)},
        "test_fingerprint": fingerprint(splits.test),
    }
    return splits


def per_class_split(
    data: Examples,
    validation: float = VALIDATION_SHARE,
    test: float = 0.2,
    seed: int = SPLIT_SEED,
    held_out: Examples | None = None,
) -> Splits:
    """A stratified split that adapts to small data instead of refusing it.

    Each class's examples are shuffled (``seed``) and cut by the fractions, rounded, with
    at least one validation example per class and at least one left to train on; a class
    of two examples gives none to the test part, and data with no class of three leaves no
    test part at all, which is refused. sklearn's stratified split would refuse a
    50-example, 10-class set; this one gives each class one validation example. With
    ``held_out`` (the user's own test file), or with ``test`` 0 (the scikit-learn
    estimator's choice: its user scores on data of their own), nothing of ``data`` is
    held out for testing. The validation part always comes from ``data``, never from the test.
    """
    if not 0 < validation < 1 or not 0 <= test < 1 or validation + test >= 1:
        raise DataError("validation and test fractions must be in [0, 1) and sum below 1")
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(data.labels):
        by_class.setdefault(label, []).append(i)
    small = sorted(label for label, indices in by_class.items() if len(indices) < 2)
    if small:
        raise DataError(
            f"class(es) {', '.join(map(repr, small[:5]))}{' ...' if len(small) > 5 else ''} have one "
            "example; each class needs at least two (one to train on, one to validate with): add "
            "examples or drop the class"
        )
    if len(by_class) < 2:
        raise DataError(
            f"every example has the label {data.labels[0]!r}: a classifier needs two classes or more"
        )
    rng = random.Random(seed)
    parts: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for label in sorted(by_class):
        indices = sorted(by_class[label])
        rng.shuffle(indices)
        n = len(indices)
        n_test = 0 if held_out is not None or n < 3 or test == 0 else min(max(1, round(test * n)), n - 2)
        n_val = min(max(1, round(validation * n)), n - n_test - 1)
        parts["test"] += indices[:n_test]
        parts["validation"] += indices[n_test : n_test + n_val]
        parts["train"] += indices[n_test + n_val :]
    chosen = {name: sorted(indices) for name, indices in parts.items()}
    if held_out is None and test > 0 and not chosen["test"]:
        raise DataError(
            f"{len(data):,} examples in {len(by_class)} classes leave none to test on: a class needs "
            "three (one each to train, validate and test); add examples, or give a test file (--test)"
        )
    test_part = held_out if held_out is not None else data.subset(chosen["test"])
    splits = Splits(data.subset(chosen["train"]), data.subset(chosen["validation"]), test_part, {})
    splits.info = {
        "method": "per-class",
        "seed": seed,
        "validation": validation,
        "test": None if held_out is not None else test,
        "sizes": {"train": len(splits.train), "validation": len(splits.validation), "test": len(test_part)},
    }
    return splits
