"""Defaults chosen from the data, for the generic tasks (``text``, ``audio``, ``series``).

The built-in tasks carry recipes tuned on their own data sets. A user's data set has no
such tuning, so its recipe is derived from what can be measured before training: how many
training examples, how many classes, how long the sequences are, how unbalanced the
classes are. Each rule says why in :attr:`Recipe.reasons`, which ``seqclf train`` prints
once and the model card records. Every field remains an override (``--hidden-size``...).

The rules, and the data they were checked on, are in docs/own-data.md. In short:

- **Capacity follows the data**: a 64-unit, 1-layer network below 1,000 training
  examples (the UEA/UCR sets of 40-300 series), 128 units to 10,000, 2 layers of 160 above.
- **Updates, not epochs**: small sets get small batches and many epochs, so that every
  run takes roughly 2,000+ optimiser steps before early stopping may end it.
- **Noisy validation**: below 200 validation examples, macro-F1 ties are common and the
  first tied epoch is under-fitted, so ties go to the lower validation loss.
- **Small sets get an ensemble**: below 1,000 training examples, five networks from
  different seeds with their probabilities averaged. On five small UCR archives (36-200
  training series) test accuracy rose on every one, by 0.8 to 26 points (mean 0.724 to
  0.792; ``benchmarks/series_ensembles.py``, docs/own-data.md), for five times a training
  that takes seconds to a few minutes at that size. Texts read character by character get
  three networks up to 10,000 examples.
- **Very small classes are cross-validated**: below 20 training examples per class, the
  validation part would keep a large share of the data from training (one of two, for a
  class of two), so each network of the ensemble stops early on its own fold instead
  (:mod:`seqclf.training.folds`).
- **Imbalance** is reported, not weighted: on the names data as a CSV (131:1), the
  square-root class weights lost 4.7 points of validation accuracy for 0.5 of macro-F1
  (docs/own-data.md); ``--class-weighting sqrt`` turns them on.
- **Large sets** (10,000+ examples) get the regularisation the names recipe found: weight
  decay 0.05 and a moving average of the weights (decay 0.999).
- **Long series** (median over 128 steps): steps are grouped into patches, so the
  recurrence runs over about 64 of them. First for 1-3 channels, where patches won by
  13-39 points; since 2026-12-07 for any number, where a run of the recurrence over
  900-1,800 steps of 4-6 channels took over 25 minutes and patches took 1-2.5.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from seqclf.config import TrainConfig
from seqclf.data.splits import Splits

InputKind = Literal["chars", "words", "features", "audio"]

#: the recurrence's target number of steps for a long univariate series
PATCHED_STEPS = 64
#: networks trained for a set of under 1,000 examples
SMALL_ENSEMBLE = 5
#: networks trained for 1,000-10,000 texts read character by character
CHARS_ENSEMBLE = 3
#: an ensemble's networks are cross-validated below this many training examples per class
CROSS_VALIDATE_BELOW = 20
#: optimiser steps a small data set should get before patience can stop it
TARGET_UPDATES = 2000


@dataclass(frozen=True)
class Recipe:
    """Architecture overrides, training settings, and one line of reasoning per choice."""

    model: dict[str, Any]
    train: TrainConfig
    reasons: list[str] = field(default_factory=list)
    #: encoder settings the data called for (e.g. ``{"patch": 4}``)
    encoder: dict[str, Any] = field(default_factory=dict)


def choose_recipe(
    splits: Splits, kind: InputKind, lengths: Sequence[int] | np.ndarray, channels: int = 0
) -> Recipe:
    """The recipe for ``splits`` whose training inputs have ``lengths`` steps (and ``channels``)."""
    n = len(splits.train)
    counts = Counter(splits.train.labels)
    classes = len(counts)
    median = float(np.median(lengths)) if len(lengths) else 0
    length = f", median length {median:g} steps" if len(lengths) else ""
    reasons = [f"data: {n:,} training examples, {classes} classes{length}"]

    if n < 1000:
        hidden, layers, batch = 64, 1, 16
    elif n < 10_000:
        hidden, layers, batch = 128, 1, 32
    else:
        hidden, layers, batch = 160, 2, 64
    reasons.append(
        f"capacity: hidden size {hidden}, {layers} layer(s), batch size {batch} (for {n:,} examples)"
    )

    per_epoch = math.ceil(n / batch)
    epochs = min(150, max(20, math.ceil(TARGET_UPDATES / per_epoch)))
    patience = max(6, epochs // 4)
    reasons.append(f"schedule: up to {epochs} epochs of {per_epoch} steps, patience {patience}")

    imbalance = max(counts.values()) / min(counts.values())
    reasons.append(
        f"class weights: none (the largest class is {imbalance:.1f}x the smallest; "
        "--class-weighting sqrt weights rare classes up)"
    )
    large = n >= 10_000
    if large:
        reasons.append("regularisation: weight decay 0.05, moving average of the weights 0.999 (large set)")
    if n < 1000:
        ensemble = SMALL_ENSEMBLE
        reasons.append(
            f"ensemble: {ensemble} networks from different seeds, probabilities averaged "
            f"(under 1,000 examples one network's accuracy swings with its seed)"
        )
    elif kind == "chars" and n < 10_000:
        ensemble = CHARS_ENSEMBLE
        reasons.append(
            f"ensemble: {ensemble} networks, probabilities averaged (characters of under 10,000 texts: "
            "one network missed its baseline by a point where three beat it by two)"
        )
    else:
        ensemble = 1
    per_class = n / classes
    cross_validate = ensemble > 1 and per_class < CROSS_VALIDATE_BELOW
    if cross_validate:
        reasons.append(
            f"cross-validated: {per_class:.1f} training examples per class, so each network stops early on "
            "its own fold and trains on the rest, and no example is kept from training"
        )
    ties = "lower_loss" if len(splits.validation) < 200 else "first"
    if ties == "lower_loss":
        reasons.append(f"ties: lower validation loss ({len(splits.validation)} validation examples)")

    model: dict[str, Any] = {
        "cell": "gru",
        "bidirectional": True,
        "hidden_size": hidden,
        "num_layers": layers,
        "dropout": 0.3,
        "embedding_dim": 128 if kind == "words" else 64,
        "pooling": "max+last" if kind in ("chars", "words") else "mean+max",
        "step_dropout": {"chars": 0.2, "words": 0.1, "audio": 0.2, "features": 0.0}[kind],
        "ensemble": ensemble,
    }
    encoder: dict[str, Any] = {}
    if kind == "features" and median > 2 * PATCHED_STEPS:
        patch = math.ceil(median / PATCHED_STEPS)
        encoder["patch"] = patch
        reasons.append(
            f"patches: {patch} steps per recurrent step ({channels} channel(s), median {median:g} steps: "
            f"about {PATCHED_STEPS} steps for the recurrence)"
        )
    train = TrainConfig(
        epochs=epochs,
        batch_size=batch,
        lr=3e-3,
        patience=patience,
        class_weighting="none",
        ties=ties,
        weight_decay=0.05 if large else 0.01,
        ema_decay=0.999 if large else 0.0,
        cross_validate=cross_validate,
    )
    return Recipe(model, train, reasons, encoder)
