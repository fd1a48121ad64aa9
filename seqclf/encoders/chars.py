"""Character vocabulary for short strings such as surnames.

Choices, and why:
- **Unicode NFC** first, so "é" typed as one code point or as "e" + combining accent
  is the same character.
- **Lower case** (``str.lower``, not ``casefold``, which would turn "ß" into "ss" and
  lose a German signal). In the data every surname is Title Case, so capitals carry
  almost no information, while people type "nakamura" or "NAKAMURA" into a UI and
  should get the same answer as for "Nakamura".
- **Accents are kept**: "ñ", "ß", "ą" are strong hints of a language.
- **Unknown characters**: a character outside the vocabulary first falls back to its
  base letters (NFKD without combining marks: "ř" -> "r" if "ř" was never seen); if
  that fails too it becomes ``<unk>``. Characters seen fewer than ``min_freq`` times
  in training are left out of the vocabulary, so ``<unk>`` is trained rather than a
  random vector.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

import torch

from seqclf.encoders.base import Encoder, positive_int, string_list
from seqclf.errors import ConfigError, InvalidInputError

PAD, UNK = "<pad>", "<unk>"


def normalize(text: str) -> str:
    """The canonical form of a name: NFC, trimmed, lower case."""
    return unicodedata.normalize("NFC", text).strip().lower()


def _base_letters(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class CharEncoder(Encoder):
    """Maps a string to character ids; id 0 is padding and id 1 ``<unk>``."""

    type = "chars"
    input_kind = "tokens"
    modality_name = "text"

    def __init__(self, vocab: list[str], max_length: int = 64) -> None:
        if vocab[:2] != [PAD, UNK]:
            raise ValueError("a character vocabulary starts with <pad>, <unk>")
        self.vocab = vocab
        self.max_length = max_length
        self.index = {char: i for i, char in enumerate(vocab)}

    @classmethod
    def fit(cls, examples: Iterable[str], min_freq: int = 2, max_length: int = 64) -> CharEncoder:
        counts = Counter(char for text in examples for char in normalize(text))
        chars = sorted(char for char, n in counts.items() if n >= min_freq)
        return cls([PAD, UNK, *chars], max_length=max_length)

    def _id(self, char: str) -> int:
        if char in self.index:
            return self.index[char]
        return self.index.get(_base_letters(char), self.index[UNK])

    def encode(self, example: Any) -> torch.Tensor:
        if not isinstance(example, str):
            raise InvalidInputError(f"expected a string (a surname), got {type(example).__name__}")
        text = normalize(example)
        if not text:
            raise InvalidInputError("the input is empty: give a non-blank string")
        if len(text) > self.max_length:
            raise InvalidInputError(
                f"the input has {len(text)} characters; this model takes at most {self.max_length}"
            )
        return torch.tensor([self._id(char) for char in text], dtype=torch.int64)

    def steps(self, example: Any) -> list[str]:
        self.encode(example)
        return list(normalize(example))

    def model_fields(self) -> dict[str, Any]:
        return {"input_kind": "tokens", "vocab_size": len(self.vocab), "padding_idx": 0}

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "vocab": self.vocab,
            "max_length": self.max_length,
            "normalization": "NFC, strip, lower",
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CharEncoder:
        vocab = string_list(cls.type, data, "vocab")
        max_length = positive_int(cls.type, data, "max_length", 64)
        try:
            return cls(vocab, max_length=max_length)
        except ValueError as err:
            raise ConfigError(f"invalid character encoder: {err}") from err
