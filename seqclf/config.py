"""The architecture of a recurrent sequence classifier, and how it is trained: two dataclasses.

The field names follow the lecture and PyTorch's ``nn.RNN``/``nn.LSTM``/``nn.GRU``
arguments (``hidden_size``, ``num_layers``, ``bidirectional``, ``dropout``,
``nonlinearity``), so a reader of either recognises every choice. The config is
saved as the ``"model"`` section of a model folder's ``config.json``;
:class:`TrainConfig` (the hyperparameters of a run) as ``"training.hyperparameters"``.
Both sit here, below the tasks and the training loop, which both read them.
"""

from __future__ import annotations

import math
import reprlib
import types
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from seqclf.errors import ConfigError

#: where a model trains and runs, as every ``--device`` flag, setting and error says it
DEVICES = "cpu, cuda, cuda:N or mps"
DEVICE_HELP = f"{DEVICES} (default: CUDA when available)."

CellType = Literal["rnn", "lstm", "gru"]
InputKind = Literal["tokens", "features"]
POOLINGS = ("last", "mean", "max", "attention")

#: The most parameters a :class:`ModelConfig` may imply, all networks of an ensemble together.
#: A model folder is untrusted input (a visitor can name any Hub repo in the demo), and its
#: config alone decides what is allocated before a single weight is read; this bound is what
#: keeps one config.json from asking for terabytes. 200 million float32 parameters are 800 MB,
#: which a laptop still holds; the shipped models have 0.05 to 3.5 million, and the largest a
#: user would plausibly train -- a word model whose embedding table holds a few hundred
#: thousand 300-d pretrained vectors -- about 100 million.
MAX_PARAMETERS = 200_000_000
#: The most stacked layers, and networks in an ensemble. Each is a separate module, and
#: building a million of them takes minutes however narrow they are, a cost the parameter
#: count does not see; deep RNNs in the literature stop near ten layers, ensembles near ten
#: networks, so 64 of each leaves room while building the largest takes about a second.
MAX_LAYERS = 64
MAX_ENSEMBLE = 64
#: weight matrices per recurrent cell: one for a simple RNN, three gates for a GRU, four for an LSTM
_GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def _allows(hint: Any, value: Any) -> bool:
    """Whether ``value`` is of the annotated type ``hint``, as JSON can spell it.

    ``bool`` is a subclass of ``int`` and JSON numbers may come as floats, so ``True`` or
    ``1e300`` would pass ``isinstance(value, int)``-style checks (or fail later, deep inside
    torch); here an ``int`` field takes only a real int, a ``float`` field a finite int or
    float, and a ``Literal`` the type of its values (which value is checked by its owner).
    """
    origin = get_origin(hint)
    if origin is Literal:
        return any(type(value) is type(choice) for choice in get_args(hint))
    if origin in (Union, types.UnionType):
        return any(_allows(choice, value) for choice in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, hint)


def _type_name(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is Literal:
        return " or ".join(sorted({_type_name(type(choice)) for choice in get_args(hint)}))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(choice) for choice in get_args(hint))
    names = {bool: "true or false", int: "an integer", float: "a finite number", str: "a string"}
    return names.get(hint, "null" if hint is type(None) else getattr(hint, "__name__", str(hint)))


def check_field_types(cls: type, values: Mapping[str, Any]) -> None:
    """Refuse, with one :class:`ConfigError` naming each field, values of the wrong type.

    ``values`` maps field names of the dataclass ``cls`` to values (other keys are left to
    the caller); run before any range check, which would otherwise fail with a bare
    ``TypeError`` on a string, or pass a bool or a float on to torch.
    """
    hints = get_type_hints(cls)
    problems = [
        f"{f.name} must be {_type_name(hints[f.name])}, got {reprlib.repr(values[f.name])}"
        for f in fields(cls)
        if f.name in values and not _allows(hints[f.name], values[f.name])
    ]
    if problems:
        raise ConfigError("; ".join(problems))


def setting(default: Any, help: str, minimum: int | None = None) -> Any:
    """A field a user may set: ``seqclf train`` makes its ``--flag`` from ``help`` (and ``minimum``).

    Fields without it (the labels, the vocabulary, the input width) are decided by the data.
    """
    return field(default=default, metadata={"help": help, "minimum": minimum})


def setting_names(config: type) -> list[str]:
    """The fields of the dataclass ``config`` a user may set (those made with :func:`setting`)."""
    return [f.name for f in fields(config) if "help" in f.metadata]


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a :class:`~seqclf.network.model.SequenceClassifier`.

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
    (:class:`~seqclf.network.ensemble.EnsembleClassifier`).
    """

    num_labels: int
    input_kind: InputKind = "tokens"
    vocab_size: int = 0
    num_features: int = 0
    padding_idx: int = 0
    embedding_dim: int = setting(64, "Width of the vector each step enters the RNN as.")
    cell: CellType = setting("gru", "Recurrent cell: rnn, lstm or gru.")
    nonlinearity: Literal["tanh", "relu"] = setting(
        "tanh", "Activation of the simple RNN cell: tanh or relu."
    )
    hidden_size: int = setting(128, "Units per direction per layer.")
    num_layers: int = setting(2, "Stacked recurrent layers (a deep RNN).")
    bidirectional: bool = setting(True, "Read both directions.")
    dropout: float = setting(0.2, "Dropout on inputs, between layers and before the head.")
    step_dropout: float = setting(0.0, "Chance of zeroing a whole step (character, word, frame) in training.")
    pooling: str = setting("max+last", "last, mean, max, attention, or several joined by '+'.")
    ensemble: int = setting(
        1, "Networks trained from consecutive seeds, their probabilities averaged.", minimum=1
    )

    def __post_init__(self) -> None:
        check_field_types(ModelConfig, {f.name: getattr(self, f.name) for f in fields(self)})
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
        if (
            self.input_kind == "tokens"
            and self.vocab_size >= 2
            and not 0 <= self.padding_idx < self.vocab_size
        ):
            problems.append(f"padding_idx must be in 0..vocab_size - 1, got {self.padding_idx}")
        problems += [
            f"{name} must be at least 1, got {getattr(self, name)}"
            for name in ("embedding_dim", "hidden_size", "num_layers")
            if getattr(self, name) < 1
        ]
        if self.num_layers > MAX_LAYERS:
            problems.append(f"num_layers must be at most {MAX_LAYERS}, got {self.num_layers}")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1), got {self.dropout}")
        if not 0.0 <= self.step_dropout < 1.0:
            problems.append(f"step_dropout must be in [0, 1), got {self.step_dropout}")
        if self.ensemble < 1:
            problems.append(f"ensemble must be at least 1 (one network), got {self.ensemble}")
        if self.ensemble > MAX_ENSEMBLE:
            problems.append(f"ensemble must be at most {MAX_ENSEMBLE} networks, got {self.ensemble}")
        unknown = [p for p in self.pooling_methods if p not in POOLINGS]
        if unknown or not self.pooling_methods:
            problems.append(
                f"pooling {self.pooling!r} is not valid: use one or more of "
                f"{', '.join(POOLINGS)} joined with '+', e.g. 'max+last'"
            )
        if problems:
            raise ConfigError("; ".join(problems))
        self._check_size()

    def _parts(self) -> dict[str, tuple[int, str]]:
        """One network's parameters by part, each with the fields that size it.

        The count follows the modules :class:`~seqclf.network.model.SequenceClassifier` builds: an
        embedding table (no bias) or a linear input projection; per layer and direction,
        ``gates`` input and recurrent matrices and two biases of ``gates * hidden_size``
        (``nn.RNNBase``); the attention scorer (a square layer with a bias, then a bias-free
        score); the head, one row and a bias per label.
        """
        gates, hidden, embedding = _GATES[self.cell], self.hidden_size, self.embedding_dim
        step_dim = hidden * self.num_directions
        if self.input_kind == "tokens":
            inputs = self.vocab_size * embedding
            input_fields = f"vocab_size={self.vocab_size}, embedding_dim={embedding}"
        else:
            inputs = (self.num_features + 1) * embedding
            input_fields = f"num_features={self.num_features}, embedding_dim={embedding}"
        first_layer = gates * hidden * (embedding + hidden + 2)
        later_layer = gates * hidden * (step_dim + hidden + 2)
        recurrent = self.num_directions * (first_layer + (self.num_layers - 1) * later_layer)
        attention = step_dim * (step_dim + 2) if "attention" in self.pooling_methods else 0
        head = (step_dim * len(self.pooling_methods) + 1) * self.num_labels
        return {
            "the input layer": (inputs, input_fields),
            "the recurrent layers": (
                recurrent,
                f"hidden_size={hidden}, num_layers={self.num_layers}, embedding_dim={embedding}, "
                f"bidirectional={self.bidirectional}",
            ),
            "the attention pooling": (attention, f"hidden_size={hidden}, bidirectional={self.bidirectional}"),
            "the head": (
                head,
                f"num_labels={self.num_labels}, hidden_size={hidden}, pooling={self.pooling!r}",
            ),
        }

    def parameter_count(self) -> int:
        """The number of parameters the model has, counted from the config alone.

        In exact Python integers, so that a config is sized before anything is allocated,
        and an absurd one is refused rather than overflowing.
        """
        return self.ensemble * sum(count for count, _ in self._parts().values())

    def _check_size(self) -> None:
        """Refuse a config implying more than :data:`MAX_PARAMETERS`, naming what makes it big."""
        total = self.parameter_count()
        if total <= MAX_PARAMETERS:
            return
        part, (count, sized_by) = max(self._parts().items(), key=lambda item: item[1][0])
        each = f" in each of the ensemble={self.ensemble} networks" if self.ensemble > 1 else ""
        raise ConfigError(
            f"the model would have {total:,} parameters, more than the {MAX_PARAMETERS:,} seqclf "
            f"builds: {part} ({sized_by}) account for {count:,} of them{each}"
        )

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
    weights; only a rise of at least ``min_delta`` counts as progress, so a run whose
    validation macro-F1 has reached 1.0 ends ``patience`` epochs later instead of running
    to its epoch budget on ever lower losses. ``ties`` says which epoch's weights are kept
    when several reach the same macro-F1, as they often do on a validation set of a few
    dozen examples: the ``first``, or the one with the ``lower_loss`` (often a later,
    better-fitted one); a tie never extends the run. ``ema_decay`` > 0 keeps
    an exponential moving average of the weights (Polyak averaging), updated after every
    optimiser step; validation, early stopping and the saved model then use the average,
    which smooths the step-to-step noise of small-batch training. 0 turns it off.
    """

    epochs: int = setting(30, "Most epochs to train (early stopping may end sooner).")
    batch_size: int = setting(64, "Sequences per batch.")
    lr: float = setting(3e-3, "AdamW peak learning rate.")
    weight_decay: float = setting(0.01, "AdamW weight decay.")
    clip_norm: float = setting(1.0, "Clip the gradient norm to this (0: off).")
    patience: int = setting(6, "Epochs without progress (see min_delta) before stopping.")
    min_delta: float = setting(
        0.001, "Rise in validation macro-F1 that counts as progress; a tie or a lower loss does not."
    )
    seed: int = setting(0, "Seed for initialisation and batch order.")
    class_weighting: ClassWeighting = setting(
        "sqrt", "Loss weights against class imbalance: none, sqrt or balanced."
    )
    label_smoothing: float = setting(0.0, "Label smoothing of the loss.")
    warmup_epochs: float = setting(1.0, "Epochs of linear learning-rate warm-up before the cosine decay.")
    ties: TieBreak = setting(
        "first", "Which epoch is best when several tie on validation macro-F1: first or lower_loss."
    )
    ema_decay: float = setting(
        0.0, "Validate and keep a moving average of the weights with this decay (0: off)."
    )
    augment_copies: int = setting(
        0,
        "Random variants of each training series added for training (series: scaling, jitter, "
        "window warping; the audio tasks choose their own).",
        minimum=0,
    )
    cross_validate: bool = setting(
        False,
        "An ensemble's networks each stop early on their own fold of the training and validation "
        "examples and train on the rest, so no example is left out of training.",
    )

    def __post_init__(self) -> None:
        check_field_types(TrainConfig, {f.name: getattr(self, f.name) for f in fields(self)})
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
        if self.augment_copies < 0:
            problems.append("augment_copies must be >= 0")
        if not 0 <= self.min_delta < 1:
            problems.append("min_delta must be in [0, 1)")
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


def check_settings(model: Mapping[str, Any], train: Mapping[str, Any]) -> None:
    """Refuse, before any data is read, settings no data could make right, in one :class:`ConfigError`.

    ``model`` and ``train`` replace fields of :class:`ModelConfig` and :class:`TrainConfig`
    (``seqclf train``'s flags, ``seqclf.fit``'s keywords). Each config's own checks judge
    them, so there is one rule per field: the model's settable fields are checked in a
    config whose data-decided fields take the smallest values data can give (two labels, a
    two-symbol vocabulary), which no data makes smaller; a model that is too large even
    then is too large for any data. The fields the data decides are checked once it has.
    """
    unknown = sorted(set(model) - {f.name for f in fields(ModelConfig)})
    unknown += sorted(set(train) - {f.name for f in fields(TrainConfig)})
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join(unknown)}: give fields of ModelConfig or TrainConfig"
        )
    settable = set(setting_names(ModelConfig))
    ModelConfig(num_labels=2, vocab_size=2, **{k: v for k, v in model.items() if k in settable})
    TrainConfig(**train)
