"""What each network of an ensemble trains and stops on: one split for all, or a fold each.

With one validation part for all networks, the examples in it never train anything. On a
small set that is a large share: a class of two examples gives one to validation, so the
networks learn from the other alone. **Cross-validated** members (``cross_validate``) pool
the training and validation parts, cut the pool into as many per-class folds as there are
networks, and let network ``i`` stop early on fold ``i`` while it trains on the rest, so
every example trains all networks but one, and each validation figure is still measured
on examples its network never trained on. The same idea as the out-of-fold models of
k-fold cross-validation (e.g. scikit-learn's ``cross_val_predict``), kept as an ensemble
instead of discarded; the test part is never in the pool.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from seqclf.data.ondisk import RowView
from seqclf.data.splits import Examples


def per_class_folds(labels: Sequence[str], folds: int, seed: int) -> list[int]:
    """A fold number in ``range(folds)`` per example, each class dealt round the folds in shuffled order.

    A class of ``n`` examples puts ``ceil(n / folds)`` or ``floor(n / folds)`` in each fold, so
    every fold holds every class of at least ``folds`` examples; the class's shuffled order
    starts at a different fold for each class, so classes smaller than ``folds`` do not all
    fall into the first folds.
    """
    rng = random.Random(seed)
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    assigned = [0] * len(labels)
    start = 0
    for label in sorted(by_class):
        indices = by_class[label]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            assigned[index] = (start + position) % folds
        start = (start + len(indices)) % folds
    return assigned


def pooled(train: Examples, validation: Examples) -> Examples:
    """The training and validation parts as one pool, training examples first (texts on disk stay there)."""
    inputs = (
        train.inputs.joined(validation.inputs)
        if isinstance(train.inputs, RowView)
        else [*train.inputs, *validation.inputs]
    )
    return Examples(inputs, [*train.labels, *validation.labels])
