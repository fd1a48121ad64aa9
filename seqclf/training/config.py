"""Training hyperparameters, kept apart from the architecture in :mod:`seqclf.config`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from seqclf.errors import ConfigError

ClassWeighting = Literal["none", "sqrt", "balanced"]
TieBreak = Literal["first", "lower_loss"]


@dataclass(frozen=True)
class TrainConfig:
    """How a model is fitted.

    ``class_weighting`` sets the cross-entropy weight of each class from its training
    frequency ``n_c``: ``balanced`` uses ``N / (C * n_c)``, ``sqrt`` its square root (a
    middle ground that helps rare classes without wrecking accuracy on common ones),
    ``none`` weights all examples alike. ``clip_norm`` caps the global gradient norm
    (the lecture's remedy for exploding gradients; 0 turns it off). Training stops
    after ``patience`` epochs without a better validation macro-F1, keeping the best
    weights. ``ties`` says which epoch is best when several reach the same macro-F1, as
    they often do on a validation set of a few dozen examples: the ``first``, or the one
    with the ``lower_loss`` (often a later, better-fitted one). ``ema_decay`` > 0 keeps
    an exponential moving average of the weights (Polyak averaging), updated after every
    optimiser step; validation, early stopping and the saved model then use the average,
    which smooths the step-to-step noise of small-batch training. 0 turns it off.
    """

    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.01
    clip_norm: float = 1.0
    patience: int = 6
    seed: int = 0
    class_weighting: ClassWeighting = "sqrt"
    label_smoothing: float = 0.0
    warmup_epochs: float = 1.0
    ties: TieBreak = "first"
    ema_decay: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        if self.epochs < 1:
            problems.append("epochs must be at least 1")
        if self.batch_size < 1:
            problems.append("batch_size must be at least 1")
        if self.lr <= 0:
            problems.append("lr must be positive")
        if self.clip_norm < 0:
            problems.append("clip_norm must be >= 0 (0 turns clipping off)")
        if self.patience < 1:
            problems.append("patience must be at least 1")
        if self.class_weighting not in ("none", "sqrt", "balanced"):
            problems.append("class_weighting must be none, sqrt or balanced")
        if self.ties not in ("first", "lower_loss"):
            problems.append("ties must be first or lower_loss")
        if not 0 <= self.label_smoothing < 1:
            problems.append("label_smoothing must be in [0, 1)")
        if not 0 <= self.ema_decay < 1:
            problems.append("ema_decay must be in [0, 1) (0 turns weight averaging off)")
        if problems:
            raise ConfigError("; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
