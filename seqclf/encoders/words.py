"""Word vocabulary for sentences: a tokenizer that agrees with SST's, and ids per word.

The tokenizer, and why this one:

- SST (and so SST-2) is lower-cased and tokenized Penn-Treebank style: ``is n't``,
  ``it 's``, `````` ... ''``, ``-lrb-`` for "(". People typing into a UI write raw text:
  "It's not bad (really)!". A whitespace split would give the model ``it's`` and
  ``(really)!`` — words it never saw. A subword tokenizer (BPE, WordPiece) would need
  training or a download and would not line up with the treebank's tokens. So we use a
  small, deterministic regex tokenizer that reproduces the treebank's *conventions*:
  contractions split the PTB way (``isn't`` -> ``is n't``, ``can't`` -> ``ca n't``,
  ``it's`` -> ``it 's``), punctuation split from words, hyphenated compounds kept whole
  (``well-made``), runs like ``...`` and ``--`` kept as one token. The same function
  tokenizes the training data and the user's text, so what matters is that both map to
  the same tokens: already-tokenized SST text passes through unchanged, raw text lands
  on the same tokens.
- **Normalisation** before splitting: Unicode NFKC (full-width letters, ligatures,
  ``…`` -> ``...``, no-break spaces), lower case (SST is lower-cased), the PTB escapes
  ``-lrb-``/``-rrb-`` (and ``-lsb-`` ... ``-rcb-``) -> brackets, ``\\/`` -> ``/`` and
  ``\\*`` -> ``*``, so ``dev.tsv`` (PTB brackets) and ``train.tsv`` (GLUE, literal
  brackets) tokenize alike; curly double quotes and PTB's `````` / ``''`` -> ``"``, curly
  single quotes and a lone backtick -> ``'``; em and en dashes -> ``--``; ``cannot`` ->
  ``can not``, ``gon na`` -> ``gonna``.
- **Unknown words**: a hyphen or slash compound that is not in the vocabulary
  (``straight-faced``) falls back to its parts (``straight``, ``faced``); anything else
  unknown becomes ``<unk>``. Words rarer than ``min_freq`` in training are left out of
  the vocabulary unless they have a pretrained vector, so ``<unk>`` is trained on real
  rare words rather than staying a random vector.
"""

from __future__ import annotations

import re
import reprlib
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

import torch

from seqclf.encoders.base import Encoder, positive_int, string_list
from seqclf.errors import ConfigError, InvalidInputError

PAD, UNK = "<pad>", "<unk>"
TOKENIZER_VERSION = 1

_PTB_ESCAPES = {
    "-lrb-": "(",
    "-rrb-": ")",
    "-lsb-": "[",
    "-rsb-": "]",
    "-lcb-": "{",
    "-rcb-": "}",
    "\\/": "/",
    "\\*": "*",
    "``": '"',
    "''": '"',
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u201b": "'",
    "`": "'",
    "\u2014": " -- ",
    "\u2013": " -- ",
}
_ESCAPE = re.compile("|".join(re.escape(k) for k in sorted(_PTB_ESCAPES, key=len, reverse=True)))
_NEGATION = re.compile(r"(?<=\w)n't\b")
# a space before a clitic; zero-width, so the replacement is a plain string (no template to
# expand per match: that was about 40% of tokenising under py-spy on the serving hot path)
_CLITIC = re.compile(r"(?<=\w)(?='(?:s|re|ve|ll|d|m)\b)")
_JOINED = [
    (re.compile(r"\bcannot\b"), "can not"),
    (re.compile(r"\b(gon|wan) na\b"), r"\1na"),
]
_TOKEN = re.compile(
    r"""
      n't\b                       # negation clitic, split off above
    | '(?:s|re|ve|ll|d|m)\b       # 's 're 've 'll 'd 'm
    | '\d+s\b                     # '70s
    | (?:[^\W\d_]\.){2,}          # dotted abbreviations: u.s. e.t.
    | \d+(?:[.,:]\d+)+            # numbers with separators: 1.5 1,000 3:30
    | \w+(?:[-'/]\w+)*            # words, hyphen/slash compounds, o'brien, 9/11
    | \.{2,} | -{2,} | \*+        # ... -- ***
    | [^\w\s]                     # any other symbol on its own
    """,
    re.VERBOSE,
)
_COMPOUND = re.compile(r"[-/]")


def normalize(text: str, lowercase: bool = True) -> str:
    """NFKC, lower case, PTB escapes and quote/dash styles mapped to one form each."""
    text = unicodedata.normalize("NFKC", text)
    if lowercase:
        text = text.lower()
    text = _ESCAPE.sub(lambda m: _PTB_ESCAPES[m.group(0)], text)
    for pattern, replacement in _JOINED:
        text = pattern.sub(replacement, text)
    text = _NEGATION.sub(" n't", text)
    return _CLITIC.sub(" ", text)


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Split text into SST-style tokens; already-tokenized SST text keeps its tokens.

    ``"It's NOT bad (really)... isn't it?"`` and SST's ``"it 's not bad -lrb- really -rrb-
    ... is n't it ?"`` both give ``it 's not bad ( really ) ... is n't it ?``.
    """
    return _TOKEN.findall(normalize(text, lowercase))


class WordEncoder(Encoder):
    """Word-level ids; id 0 is padding and id 1 ``<unk>``.

    ``max_length`` caps the number of tokens per input (inputs longer than that are
    refused with a clear message rather than silently cut).
    """

    type = "words"
    input_kind = "tokens"
    modality_name = "text"

    def __init__(self, vocab: list[str], max_length: int = 256, lowercase: bool = True) -> None:
        if vocab[:2] != [PAD, UNK]:
            raise ValueError("a word vocabulary starts with <pad>, <unk>")
        if len(set(vocab)) != len(vocab):
            raise ValueError("a word vocabulary must not repeat words")
        self.vocab = vocab
        self.max_length = max_length
        self.lowercase = lowercase
        self.index = {word: i for i, word in enumerate(vocab)}

    @classmethod
    def fit(
        cls,
        examples: Iterable[str],
        min_freq: int = 1,
        max_size: int | None = None,
        max_length: int = 256,
        lowercase: bool = True,
        keep: Iterable[str] = (),
        extra: Iterable[str] = (),
    ) -> WordEncoder:
        """Build the vocabulary from training sentences.

        Words seen at least ``min_freq`` times are kept, and so are words in ``keep``
        seen at least once (e.g. words with a pretrained vector). The most frequent
        come first (ties alphabetically); then the words of ``extra`` that are not in
        yet (e.g. the commonest words of a pretrained vector set, so that words never
        seen in training still have a meaningful vector). ``max_size`` caps the
        vocabulary including ``<pad>`` and ``<unk>``.
        """
        if min_freq < 1:
            raise ValueError("min_freq must be at least 1")
        if max_size is not None and max_size < 3:
            raise ValueError("max_size must leave room for <pad>, <unk> and at least one word")
        counts = Counter(token for text in examples for token in tokenize(text, lowercase))
        keep = set(keep)
        words = sorted(
            (w for w, n in counts.items() if (n >= min_freq or w in keep) and w not in (PAD, UNK)),
            key=lambda w: (-counts[w], w),
        )
        present = set(words)
        words += [w for w in dict.fromkeys(extra) if w not in present and w not in (PAD, UNK)]
        if max_size is not None:
            words = words[: max_size - 2]
        return cls([PAD, UNK, *words], max_length=max_length, lowercase=lowercase)

    def tokens(self, example: Any) -> list[str]:
        """Validate ``example`` and return the tokens the model sees, one per step.

        An unknown hyphen or slash compound is replaced by its parts; other unknown
        tokens stay as written (they are encoded as ``<unk>``).
        """
        if not isinstance(example, str):
            raise InvalidInputError(f"expected a string (a sentence), got {type(example).__name__}")
        if not example.strip():
            raise InvalidInputError("the input is empty: give a sentence with at least one word")
        # Refuse absurdly long strings before tokenizing them: no token is this long on average.
        if len(example) > 40 * self.max_length:
            raise InvalidInputError(
                f"the input has {len(example):,} characters; this model takes at most "
                f"{self.max_length} tokens (about {8 * self.max_length:,} characters)"
            )
        tokens: list[str] = []
        for token in tokenize(example, self.lowercase):
            if token not in self.index and _COMPOUND.search(token):
                tokens += [part for part in _COMPOUND.split(token) if part]
            else:
                tokens.append(token)
        if not tokens:
            raise InvalidInputError("the input has no words: give a sentence with at least one word")
        if len(tokens) > self.max_length:
            raise InvalidInputError(
                f"the input has {len(tokens)} tokens; this model takes at most {self.max_length}: "
                "split the text into shorter pieces"
            )
        return tokens

    def encode(self, example: Any) -> torch.Tensor:
        unk = self.index[UNK]
        return torch.tensor([self.index.get(t, unk) for t in self.tokens(example)], dtype=torch.int64)

    def steps(self, example: Any) -> list[str]:
        return self.tokens(example)

    def model_fields(self) -> dict[str, Any]:
        return {"input_kind": "tokens", "vocab_size": len(self.vocab), "padding_idx": 0}

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "tokenizer": f"seqclf-words-v{TOKENIZER_VERSION}",
            "normalization": "NFKC, lower, PTB escapes (-lrb- etc.) to symbols, PTB contraction split",
            "lowercase": self.lowercase,
            "max_length": self.max_length,
            "vocab": self.vocab,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WordEncoder:
        tokenizer = data.get("tokenizer", f"seqclf-words-v{TOKENIZER_VERSION}")
        if tokenizer != f"seqclf-words-v{TOKENIZER_VERSION}":
            raise ConfigError(f"unknown tokenizer {tokenizer!r}: the model needs a newer seqclf")
        vocab = string_list(cls.type, data, "vocab")
        max_length = positive_int(cls.type, data, "max_length", 256)
        lowercase = data.get("lowercase", True)
        if not isinstance(lowercase, bool):
            raise ConfigError(
                f"the words encoder's lowercase must be true or false, got {reprlib.repr(lowercase)}"
            )
        try:
            return cls(vocab, max_length=max_length, lowercase=lowercase)
        except ValueError as err:
            raise ConfigError(f"invalid word encoder: {err}") from err
