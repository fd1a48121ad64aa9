"""The interface every encoder implements, and the registry that revives one from JSON.

An encoder turns one raw example (a surname, a sentence, a feature matrix, a WAV) into
the tensor the model reads, and knows what the model's input layer must look like.
It is saved as plain JSON inside ``config.json`` (``{"type": ..., ...}``), never
pickled, so a model folder from an untrusted source cannot run code when loaded.
"""

from __future__ import annotations

import reprlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import torch

from seqclf.config import InputKind
from seqclf.errors import ConfigError

_REGISTRY: dict[str, type[Encoder]] = {}


class Encoder(ABC):
    """Turns raw examples into model inputs; subclasses register under ``type``."""

    type: ClassVar[str]
    input_kind: ClassVar[InputKind]
    #: what a caller hands to ``encode`` (``text``, ``features``, ``audio``, ...): the name of a
    #: :class:`~seqclf.modalities.base.Modality`, which knows how such inputs travel
    modality_name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            _REGISTRY[cls.type] = cls

    @classmethod
    @abstractmethod
    def fit(cls, examples: Iterable[Any], **options: Any) -> Encoder:
        """Learn the encoder's state (a vocabulary, channel statistics) from training data."""

    @abstractmethod
    def encode(self, example: Any) -> torch.Tensor:
        """Validate one example and encode it: ``(time,)`` int64 ids or ``(time, F)`` float32.

        Raises :class:`~seqclf.errors.InvalidInputError` with a message a user can act on.
        """

    @abstractmethod
    def model_fields(self) -> dict[str, Any]:
        """The :class:`~seqclf.config.ModelConfig` fields this encoder determines."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state; must include ``"type"``."""

    @classmethod
    @abstractmethod
    def from_dict(cls, data: dict[str, Any]) -> Encoder:
        """Rebuild from :meth:`to_dict` output."""

    def steps(self, example: Any) -> list[str]:
        """A short human-readable name for each step the model sees (for explanations)."""
        return [str(i) for i in range(len(self.encode(example)))]

    def encode_batch(self, examples: Sequence[Any]) -> list[torch.Tensor]:
        return [self.encode(example) for example in examples]


def encoder_from_dict(data: dict[str, Any]) -> Encoder:
    """Revive a saved encoder by its ``type``; unknown types get a clear error."""
    if not isinstance(data, dict):
        raise ConfigError(f"the encoder must be a JSON object, got {reprlib.repr(data)}")
    kind = data.get("type")
    if kind not in _REGISTRY:
        raise ConfigError(
            f"unknown encoder type {kind!r}; this seqclf knows {sorted(_REGISTRY)}. "
            "The model may need a newer seqclf."
        )
    return _REGISTRY[kind].from_dict(data)


# A saved encoder comes from config.json, which may be anyone's: its ``from_dict`` reads each
# value through these, so a wrong type is one ConfigError naming the value, not a ValueError
# from ``int("64")`` or a bool taken for a number.


def positive_int(encoder: str, data: Mapping[str, Any], key: str, default: int) -> int:
    """``data[key]`` (``default`` when absent), refused unless it is a real int of at least 1."""
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"the {encoder} encoder's {key} must be a positive integer, got {reprlib.repr(value)}"
        )
    return value


def string_list(encoder: str, data: Mapping[str, Any], key: str) -> list[str]:
    """``data[key]``, refused unless it is a list of strings."""
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"the {encoder} encoder's {key} must be a list of strings")
    return value
