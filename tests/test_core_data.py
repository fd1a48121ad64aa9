"""Reading the surname lists, the reproducible split, and length-bucketed batches."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from seqclf.data.batching import BucketBatchSampler, collate, pad_batch
from seqclf.data.names import read_names
from seqclf.data.splits import stratified_split
from seqclf.errors import DataError


def test_names_are_deduplicated_and_shared_names_go_to_the_rarest_language(tmp_path):
    (tmp_path / "Big.txt").write_text("Baba\nIvanov\nIvanov\nPetrov\nSidorov\n", encoding="utf-8")
    (tmp_path / "Small.txt").write_text("Baba\nBABA\nTanaka\n", encoding="utf-8")
    data = read_names(tmp_path)
    assert sorted(zip(data.inputs, data.labels, strict=True)) == [
        ("Baba", "Small"),
        ("Ivanov", "Big"),
        ("Petrov", "Big"),
        ("Sidorov", "Big"),
        ("Tanaka", "Small"),
    ]


def test_missing_names_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match=r"no <Language>\.txt files"):
        read_names(tmp_path)


def test_split_is_stratified_disjoint_and_reproducible(names_folder):
    data = read_names(names_folder)
    first = stratified_split(data, validation=0.1, test=0.2, seed=3)
    again = stratified_split(data, validation=0.1, test=0.2, seed=3)
    other = stratified_split(data, validation=0.1, test=0.2, seed=4)
    assert first.test.inputs == again.test.inputs
    assert first.info["test_fingerprint"] == again.info["test_fingerprint"] != other.info["test_fingerprint"]
    parts = [set(first.train.inputs), set(first.validation.inputs), set(first.test.inputs)]
    assert sum(map(len, parts)) == len(data) and len(set.union(*parts)) == len(data)
    for label, count in Counter(data.labels).items():
        assert Counter(first.test.labels)[label] == pytest.approx(0.2 * count, abs=1)


def test_bucketed_batches_cover_every_index_once_with_similar_lengths():
    lengths = [((i * 7919) % 50) + 1 for i in range(1000)]
    sampler = BucketBatchSampler(lengths, batch_size=32, seed=0, window=10)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 10  # random batches would span ~45
    sampler.set_epoch(1)
    assert list(sampler) != batches  # a new order each epoch
    sampler.set_epoch(0)
    assert list(sampler) == batches  # and reproducible


def test_collate_pads_right_and_keeps_lengths():
    inputs, lengths, labels = collate([(torch.tensor([3, 4]), 1), (torch.tensor([5]), 0)])
    assert inputs.tolist() == [[3, 4], [5, 0]] and lengths.tolist() == [2, 1] and labels.tolist() == [1, 0]
    frames, frame_lengths = pad_batch([torch.ones(3, 2), torch.ones(1, 2)])
    assert frames.shape == (2, 3, 2) and frame_lengths.tolist() == [3, 1]
