"""The character encoder: normalisation, unknown characters, JSON round trips, errors."""

from __future__ import annotations

import json
import unicodedata

import pytest
import torch

from seqclf.encoders import CharEncoder, encoder_from_dict
from seqclf.errors import ConfigError, InvalidInputError


@pytest.fixture
def encoder() -> CharEncoder:
    return CharEncoder.fit(["Nakamura", "Schmidt", "Dvořák", "Dvořák", "Müller", "Müller"], min_freq=2)


def test_vocabulary_keeps_frequent_characters_after_padding_and_unknown(encoder):
    assert encoder.vocab[:2] == ["<pad>", "<unk>"]
    assert "ř" in encoder.vocab and "ü" in encoder.vocab  # seen twice
    assert "k" in encoder.vocab and "z" not in encoder.vocab
    assert "N" not in encoder.vocab  # lower-cased before counting


def test_composed_and_decomposed_forms_and_case_encode_alike(encoder):
    composed = unicodedata.normalize("NFC", "Müller")
    decomposed = unicodedata.normalize("NFD", "Müller")
    assert composed != decomposed
    ids = encoder.encode(composed)
    assert torch.equal(ids, encoder.encode(decomposed))
    assert torch.equal(ids, encoder.encode("  MÜLLER "))
    assert ids.dtype == torch.int64 and len(ids) == 6


def test_unknown_characters_fall_back_to_base_letter_then_unk(encoder):
    unk = encoder.vocab.index("<unk>")
    assert encoder.encode("ä")[0] == encoder.vocab.index("a")  # base letter known
    assert encoder.encode("ø")[0] == unk  # no decomposition
    assert encoder.encode("z")[0] == unk  # seen once: below min_freq


def test_json_round_trip_and_registry(encoder):
    revived = encoder_from_dict(json.loads(json.dumps(encoder.to_dict())))
    assert isinstance(revived, CharEncoder)
    assert revived.vocab == encoder.vocab and revived.max_length == encoder.max_length
    assert torch.equal(revived.encode("Dvořáková"), encoder.encode("Dvořáková"))
    assert revived.steps("Ab") == ["a", "b"]
    assert encoder.model_fields() == {
        "input_kind": "tokens",
        "vocab_size": len(encoder.vocab),
        "padding_idx": 0,
    }


def test_unknown_encoder_type_is_a_clear_error():
    with pytest.raises(ConfigError, match="unknown encoder type 'pickle'"):
        encoder_from_dict({"type": "pickle"})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (42, "expected a string"),
        (None, "expected a string"),
        ("x" * 65, "at most 64"),
    ],
)
def test_bad_inputs_say_what_is_wrong(encoder, value, message):
    with pytest.raises(InvalidInputError, match=message):
        encoder.encode(value)
