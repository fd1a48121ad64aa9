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

import seqclf.network.model
from seqclf.config import ModelConfig
from seqclf.data.batching import collate, longest_first
from seqclf.inference.batching import batched_logits
from seqclf.network.model import SequenceClassifier

CONFIG = ModelConfig(num_labels=3, vocab_size=9, embedding_dim=4, hidden_size=5)


@pytest.fixture
def packed_with(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The ``enforce_sorted`` of every packing the model does while the test runs."""
    flags: list[bool] = []
    real = seqclf.network.model.pack_padded_sequence

    def recording(*args: object, enforce_sorted: bool, **kwargs: object) -> object:
        flags.append(enforce_sorted)
        return real(*args, enforce_sorted=enforce_sorted, **kwargs)

    monkeypatch.setattr(seqclf.network.model, "pack_padded_sequence", recording)
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
    assert packed_with == [True, True]  # the third batch, one sequence, has no padding to pack
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


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_a_batch_without_padding_is_not_packed_and_answers_as_if_it_were(
    packed_with: list[bool], cell: str
) -> None:
    """Packing is for padding; without any, the plain pass gives the packed answer and gradients."""
    torch.manual_seed(0)
    config = ModelConfig(
        num_labels=3,
        vocab_size=9,
        embedding_dim=4,
        hidden_size=5,
        num_layers=2,
        cell=cell,
        pooling="last+mean+max+attention",
        dropout=0.0,
    )
    model = SequenceClassifier(config).eval()
    inputs = torch.stack(_sequences([6, 6, 6]))
    lengths = torch.tensor([6, 6, 6])
    embedded = model.embed(inputs).detach().requires_grad_(True)
    plain = model.forward_embedded(embedded, lengths)
    assert packed_with == []
    (plain_grad,) = torch.autograd.grad(plain.sum(), embedded)
    # the packed path, forced by a length that is one step longer than any sequence's padding
    padded = torch.cat([embedded.detach(), torch.zeros(3, 1, 4)], dim=1).requires_grad_(True)
    packed = model.forward_embedded(padded, lengths)
    assert packed_with == [True]
    (packed_grad,) = torch.autograd.grad(packed.sum(), padded)
    torch.testing.assert_close(plain, packed, rtol=0, atol=SAME_LOGITS)
    torch.testing.assert_close(plain_grad, packed_grad[:, :6], rtol=0, atol=SAME_LOGITS)
