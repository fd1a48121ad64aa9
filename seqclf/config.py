"""The architecture of a recurrent sequence classifier, as one dataclass.

The field names follow the lecture and PyTorch's ``nn.RNN``/``nn.LSTM``/``nn.GRU``
arguments (``hidden_size``, ``num_layers``, ``bidirectional``, ``dropout``,
``nonlinearity``), so a reader of either recognises every choice. The config is
saved as the ``"model"`` section of a model folder's ``config.json``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from seqclf.errors import ConfigError

CellType = Literal["rnn", "lstm", "gru"]
InputKind = Literal["tokens", "features"]
POOLINGS = ("last", "mean", "max", "attention")


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a :class:`~seqclf.model.SequenceClassifier`.

    ``input_kind`` decides the first layer: ``"tokens"`` feeds integer ids through an
    embedding table of ``vocab_size`` rows, ``"features"`` feeds ``num_features``-wide
    float frames through a linear input projection. Either way each step reaches the
    recurrent layer as an ``embedding_dim``-wide vector.

    ``dropout`` applies to the step vectors, between stacked layers and before the
    head; ``step_dropout`` zeroes whole steps (a character, word or frame) during
    training, so the classifier cannot lean on any single step (word dropout, Iyyer
    et al. 2015; embedding dropout, Gal & Ghahramani 2016).

    ``pooling`` names how the per-step outputs become one vector: ``last`` (the
    forward direction's final state joined with the backward direction's state at the
    first step), ``mean``, ``max`` or ``attention``; several are joined with ``+`` and
    concatenated, e.g. ``"max+last"``.

    ``ensemble`` > 1 makes the classifier that many networks of this architecture,
    trained from consecutive seeds, whose class probabilities are averaged
    (:class:`~seqclf.ensemble.EnsembleClassifier`).
    """

    num_labels: int
    input_kind: InputKind = "tokens"
    vocab_size: int = 0
    num_features: int = 0
    padding_idx: int = 0
    embedding_dim: int = 64
    cell: CellType = "gru"
    nonlinearity: Literal["tanh", "relu"] = "tanh"
    hidden_size: int = 128
    num_layers: int = 2
    bidirectional: bool = True
    dropout: float = 0.2
    step_dropout: float = 0.0
    pooling: str = "max+last"
    ensemble: int = 1

    def __post_init__(self) -> None:
        problems = []
        if self.num_labels < 2:
            problems.append(f"num_labels must be at least 2, got {self.num_labels}")
        if self.input_kind == "tokens" and self.vocab_size < 2:
            problems.append("a token model needs vocab_size >= 2 (the encoder sets it)")
        if self.input_kind == "features" and self.num_features < 1:
            problems.append("a feature model needs num_features >= 1 (the encoder sets it)")
        if self.input_kind not in ("tokens", "features"):
            problems.append(f"input_kind must be 'tokens' or 'features', got {self.input_kind!r}")
        if self.cell not in ("rnn", "lstm", "gru"):
            problems.append(f"cell must be 'rnn', 'lstm' or 'gru', got {self.cell!r}")
        if self.nonlinearity not in ("tanh", "relu"):
            problems.append(f"nonlinearity must be 'tanh' or 'relu', got {self.nonlinearity!r}")
        if self.hidden_size < 1 or self.num_layers < 1 or self.embedding_dim < 1:
            problems.append("hidden_size, num_layers and embedding_dim must be positive")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 <= self.step_dropout < 1.0:
            problems.append(f"step_dropout must be in [0, 1), got {self.step_dropout}")
        if self.ensemble < 1:
            problems.append(f"ensemble must be at least 1 (one network), got {self.ensemble}")
        unknown = [p for p in self.pooling_methods if p not in POOLINGS]
        if unknown or not self.pooling_methods:
            problems.append(
                f"pooling {self.pooling!r} is not valid: use one or more of "
                f"{', '.join(POOLINGS)} joined with '+', e.g. 'max+last'"
            )
        if problems:
            raise ConfigError("; ".join(problems))

    @property
    def pooling_methods(self) -> tuple[str, ...]:
        """The pooling methods in order, without duplicates."""
        parts = [p.strip() for p in self.pooling.split("+") if p.strip()]
        return tuple(dict.fromkeys(parts))

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Build from a saved dict, refusing unknown keys rather than ignoring them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"unknown model config keys {unknown}: this model was saved by a newer "
                "or different seqclf; upgrade seqclf to load it"
            )
        return cls(**data)
