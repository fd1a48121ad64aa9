"""Labelled examples and a reproducible stratified train/validation/test split.

The split is a pure function of the data, the fractions and the seed, recorded in the
model's config, so ``seqclf evaluate`` rebuilds exactly the test set the model card
reports on. A fingerprint of the test set is stored too, to notice a different data
version or library behaviour instead of silently reporting other figures.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sklearn.model_selection import train_test_split

from seqclf.errors import DataError


@dataclass
class Examples:
    """Parallel lists of raw examples and their string labels."""

    inputs: list[Any]
    labels: list[str]

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


def fingerprint(examples: Examples, describe: Any = str) -> str:
    """A short hash of a split's content, order-independent."""
    rows = sorted(
        json.dumps([describe(x), y], ensure_ascii=False)
        for x, y in zip(examples.inputs, examples.labels, strict=True)
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def stratified_split(data: Examples, validation: float = 0.1, test: float = 0.1, seed: int = 0) -> Splits:
    """Split into train/validation/test keeping each label's share in every part."""
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
