"""Batches reach the RNN sorted longest first, so packing needs no device sort nor host copy.

``pack_padded_sequence(enforce_sorted=False)`` sorts on the device and its unpacking copies
the unsorting index back to the host, waiting for the whole RNN; training's collate and
``batched_logits`` sort on the CPU instead, and the model then packs with
``enforce_sorted=True``. These tests record the flag the model packs with.
"""

from __future__ import annotations

import pytest
import torch
from tolerances import SAME_LOGITS

import seqclf.model
from seqclf.config import ModelConfig
from seqclf.data.batching import collate, longest_first
from seqclf.inference import batched_logits
from seqclf.model import SequenceClassifier

CONFIG = ModelConfig(num_labels=3, vocab_size=9, embedding_dim=4, hidden_size=5)


@pytest.fixture
def packed_with(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The ``enforce_sorted`` of every packing the model does while the test runs."""
    flags: list[bool] = []
    real = seqclf.model.pack_padded_sequence

    def recording(*args: object, enforce_sorted: bool, **kwargs: object) -> object:
        flags.append(enforce_sorted)
        return real(*args, enforce_sorted=enforce_sorted, **kwargs)

    monkeypatch.setattr(seqclf.model, "pack_padded_sequence", recording)
    return flags


def _sequences(lengths: list[int]) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.randint(1, 9, (n,), generator=generator) for n in lengths]


def test_longest_first_keeps_ties_in_order() -> None:
    assert longest_first([2, 5, 2, 7, 5]) == [3, 1, 4, 0, 2]


def test_a_training_batch_is_collated_longest_first_and_packed_as_sorted(packed_with: list[bool]) -> None:
    sequences = _sequences([3, 6, 1, 6, 4])
    inputs, lengths, labels = collate([(seq, label) for label, seq in enumerate(sequences)])
    assert lengths.tolist() == [6, 6, 4, 3, 1]
    assert labels.tolist() == [1, 3, 4, 0, 2]  # each label stays with its sequence
    assert torch.equal(inputs[0, :6], sequences[1]) and torch.equal(inputs[4, :1], sequences[2])
    SequenceClassifier(CONFIG)(inputs, lengths)
    assert packed_with == [True]


def test_batched_logits_packs_sorted_batches_and_answers_in_input_order(packed_with: list[bool]) -> None:
    torch.manual_seed(0)
    model = SequenceClassifier(CONFIG).eval()
    sequences = _sequences([2, 7, 4, 4, 1, 6, 3])
    logits = batched_logits(model, sequences, batch_size=3)
    assert packed_with == [True, True, True]
    packed_with.clear()
    with torch.no_grad():
        alone = torch.cat([model(seq[None], torch.tensor([len(seq)])) for seq in sequences])
    torch.testing.assert_close(logits, alone, rtol=0, atol=SAME_LOGITS)
    assert not torch.allclose(logits[0], logits[1], atol=1e-3)  # the inputs are told apart


def test_an_unsorted_batch_from_other_callers_is_still_packed_correctly(packed_with: list[bool]) -> None:
    torch.manual_seed(0)
    model = SequenceClassifier(CONFIG).eval()
    sequences = _sequences([2, 7, 4])
    inputs = torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True)
    with torch.no_grad():
        unsorted = model(inputs, torch.tensor([2, 7, 4]))
        alone = torch.cat([model(seq[None], torch.tensor([len(seq)])) for seq in sequences])
    assert packed_with[0] is False
    torch.testing.assert_close(unsorted, alone, rtol=0, atol=SAME_LOGITS)
