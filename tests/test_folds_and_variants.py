"""Cross-validated ensemble members and random series variants: what each network trains on."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
import torch
from speech_data import feature_sequence

from seqclf.config import TrainConfig
from seqclf.data.series_augment import variant, window_warp
from seqclf.data.splits import Examples, per_class_split
from seqclf.tasks import get_task
from seqclf.training.folds import per_class_folds, pooled
from seqclf.training.run import _member_data


def test_folds_deal_each_class_evenly_and_cover_every_example_once() -> None:
    labels = ["a"] * 11 + ["b"] * 5 + ["c"] * 2 + ["d"] * 2
    folds = per_class_folds(labels, 5, seed=0)
    assert len(folds) == len(labels) and set(folds) <= set(range(5))
    for label in "ab":
        per_fold = Counter(f for f, y in zip(folds, labels, strict=True) if y == label)
        assert max(per_fold.values()) - min(per_fold.values()) <= 1 and len(per_fold) == 5
    # the two-example classes do not both start at fold 0
    small = [f for f, y in zip(folds, labels, strict=True) if y in "cd"]
    assert len(set(small)) == 4
    assert per_class_folds(labels, 5, seed=0) == folds != per_class_folds(labels, 5, seed=1)


def series_splits(n: int = 40) -> tuple:
    rng = np.random.default_rng(0)
    labels = [str(1 + i % 2) for i in range(n)]
    data = Examples([feature_sequence(int(y), rng, channels=2) for y in labels], labels)
    return per_class_split(data, validation=0.2, test=0.2, seed=0)


def test_cross_validated_members_train_on_all_but_their_own_fold() -> None:
    task = get_task("series")
    splits = series_splits()
    pool = pooled(splits.train, splits.validation)
    encoder = task.build_encoder(pool)
    config = replace(TrainConfig(), cross_validate=True)
    members, standard = _member_data(task, encoder, splits, ["1", "2"], 5, config, cross_validated=True)
    encoded = [encoder.encode(x) for x in pool.inputs]
    held = sorted(j for m in members for j in m.held_out)
    assert held == list(range(len(pool)))  # every pooled example validates exactly one network
    for member in members:
        kept = [j for j in range(len(pool)) if j not in member.held_out]
        assert len(member.train) == len(kept) and len(member.validation) == len(member.held_out)
        for (sequence, _), j in zip(member.validation, member.held_out, strict=True):
            assert torch.equal(sequence, encoded[j])
        for (sequence, _), j in zip(member.train, kept, strict=True):
            assert torch.equal(sequence, encoded[j])
    # the standard split's parts, for the baseline, are the training then validation examples
    train_part, validation_part = standard
    assert len(train_part) == len(splits.train) and len(validation_part) == len(splits.validation)
    assert torch.equal(train_part[0][0], encoded[0]) and torch.equal(validation_part[-1][0], encoded[-1])


def test_members_share_one_split_unless_cross_validated_and_get_their_variants() -> None:
    task = get_task("series")
    splits = series_splits()
    encoder = task.build_encoder(splits.train)
    config = replace(TrainConfig(), augment_copies=2)
    members, _ = _member_data(task, encoder, splits, ["1", "2"], 3, config, cross_validated=False)
    assert all(m is members[0] for m in members)
    assert len(members[0].train) == 3 * len(splits.train) and len(members[0].validation) == len(
        splits.validation
    )


def test_a_series_variant_keeps_length_and_shape_but_moves_values() -> None:
    rng = np.random.default_rng(0)
    series = np.sin(np.linspace(0, 12, 200))[:, None].repeat(3, axis=1).astype(np.float32)
    changed = variant(series, rng)
    assert changed.shape == series.shape and changed.dtype == series.dtype
    assert not np.allclose(changed, series)
    # still the same wave: far closer to it than to its negation
    assert np.abs(changed - series).mean() < 0.5 * np.abs(changed + series).mean()
    warped = window_warp(series.astype(np.float64), np.random.default_rng(1))
    assert warped.shape == series.shape
    assert np.allclose(warped[0], series[0], atol=1e-6) and np.allclose(warped[-1], series[-1], atol=1e-6)
    assert variant(series, np.random.default_rng(5)) == pytest.approx(
        variant(series, np.random.default_rng(5))
    )
