"""Labelled examples and a reproducible stratified train/validation/test split.

The split is a pure function of the data, the fractions and the seed, recorded in the
model's config, so ``seqclf evaluate`` rebuilds exactly the test set the model card
reports on. A fingerprint of the test set is stored too, to notice a different data
version or library behaviour instead of silently reporting other figures.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqclf.data.ondisk import RowView
from seqclf.errors import DataError

#: every task's default share of its training data held out for early stopping, and the seed
#: of its split (a task's reader options may say otherwise, and are recorded)
VALIDATION_SHARE = 0.1
SPLIT_SEED = 0
#: bytes of each row's JSON that :func:`fingerprint` sorts by before comparing rows whole
FINGERPRINT_PREFIX = 32


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

    def subset(self, indices: Sequence[int] | np.ndarray) -> Examples:
        """The examples at ``indices``; inputs on disk (:mod:`seqclf.data.ondisk`) stay there, as a view."""
        inputs = (
            self.inputs.subset(indices)
            if isinstance(self.inputs, RowView)
            else [self.inputs[i] for i in indices]
        )
        return Examples(inputs, [self.labels[i] for i in indices])


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


def digests(texts: Iterable[str]) -> np.ndarray:
    """Each text's 64-bit BLAKE2 digest, to compare millions of texts in 8 bytes each."""
    return np.fromiter(
        (
            int.from_bytes(
                hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
            )
            for t in texts
        ),
        np.uint64,
    )


def drop_duplicates(examples: Examples) -> tuple[Examples, int]:
    """``examples`` without repeated (input, label) pairs, first occurrence kept, and how many went.

    A repeated example could land in training and in the test part, where it would be
    scored on what the model memorised. Pairs are compared by their :func:`digests` (8
    bytes a row, where a set of the pairs themselves held every text twice over); two
    different pairs share one with odds of about n²/2⁶⁵, 1 in 90,000 for 20 million rows.
    """
    pairs = digests(json.dumps([str(x), y]) for x, y in zip(examples.inputs, examples.labels, strict=True))
    _, first = np.unique(pairs, return_index=True)
    del pairs
    if len(first) == len(examples):
        return examples, 0
    first.sort()
    return examples.subset(first), len(examples) - len(first)


def fingerprint(examples: Examples, describe: Any = str) -> str:
    """A short hash of a split's content, order-independent: SHA-256 of its rows' JSON, sorted.

    Sorted without holding every row's JSON at once (a test part of millions of texts):
    rows are ordered by their first :data:`FINGERPRINT_PREFIX` bytes of UTF-8 (whose byte
    order is the strings' code-point order) and only rows that share a prefix are compared
    whole, giving the digest a sort of the whole strings gives.
    """

    def row(x: Any, y: str) -> bytes:
        return json.dumps([describe(x), y], ensure_ascii=False).encode("utf-8", "surrogatepass")

    pairs = zip(examples.inputs, examples.labels, strict=True)
    prefixes = np.fromiter(
        (row(x, y)[:FINGERPRINT_PREFIX] for x, y in pairs), f"S{FINGERPRINT_PREFIX}", len(examples)
    )
    order = np.argsort(prefixes, kind="stable")
    # groups of equal prefixes, in order; a group of one is in place already
    sorted_prefixes = prefixes[order]
    starts = np.flatnonzero(np.r_[True, sorted_prefixes[1:] != sorted_prefixes[:-1]])
    bounds = np.r_[starts, len(order)]
    digest = hashlib.sha256()
    first = True
    for begin, end in itertools.pairwise(bounds.tolist()):
        group = [row(examples.inputs[int(i)], examples.labels[int(i)]) for i in order[begin:end]]
        for text in sorted(group) if len(group) > 1 else group:
            digest.update(text if first else b"\n" + text)
            first = False
    return digest.hexdigest()[:16]


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
    names = sorted(set(data.labels))
    code = {label: i for i, label in enumerate(names)}
    codes = np.fromiter(map(code.__getitem__, data.labels), np.int32, len(data))
    sizes = np.bincount(codes, minlength=len(names))
    small = [names[i] for i in np.flatnonzero(sizes < 2)]
    if small:
        raise DataError(
            f"class(es) {', '.join(map(repr, small[:5]))}{' ...' if len(small) > 5 else ''} have one "
            "example; each class needs at least two (one to train on, one to validate with): add "
            "examples or drop the class"
        )
    if len(names) < 2:
        raise DataError(
            f"every example has the label {data.labels[0]!r}: a classifier needs two classes or more"
        )
    rng = random.Random(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "validation": [], "test": []}
    for label in range(len(names)):
        # an array, not a list: 8 bytes an index where a list of ints costs 36; random.shuffle
        # draws the same swaps on either
        indices = array("q", np.flatnonzero(codes == label).tobytes())
        rng.shuffle(indices)
        shuffled = np.frombuffer(indices, np.int64)
        n = len(shuffled)
        n_test = 0 if held_out is not None or n < 3 or test == 0 else min(max(1, round(test * n)), n - 2)
        n_val = min(max(1, round(validation * n)), n - n_test - 1)
        parts["test"].append(shuffled[:n_test])
        parts["validation"].append(shuffled[n_test : n_test + n_val])
        parts["train"].append(shuffled[n_test + n_val :])
    del codes
    chosen = {name: np.sort(np.concatenate(indices)) for name, indices in parts.items()}
    if held_out is None and test > 0 and not len(chosen["test"]):
        raise DataError(
            f"{len(data):,} examples in {len(names)} classes leave none to test on: a class needs "
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
