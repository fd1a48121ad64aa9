"""Training data on disk: the ragged files, their views, and a run that matches the in-memory one.

A table over :data:`seqclf.data.tables.IN_MEMORY_BYTES` is read into files on disk; the
tests lower that limit to zero so a small table takes the same path, and check that the
split, the recipe, the model and its figures are the ones the in-memory run gives.
"""

from __future__ import annotations

import csv
import json
import pickle
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from seqclf.data import ragged, tables
from seqclf.data.batching import BucketBatchSampler
from seqclf.data.encoded import Encoded
from seqclf.data.ondisk import DiskSequences, DiskTexts, TextWriter, encode_to_disk
from seqclf.data.splits import Examples, fingerprint, per_class_split
from seqclf.training.run import run_training

TEXTS = ["", "a", "naïve café", "emoji 😀 here", "\uffff", "line\nbreak", "x" * 5000, "lone \ud800", "last"]
POSITIVE = ["good", "great", "fine", "lovely", "superb", "nice"]
NEGATIVE = ["bad", "awful", "poor", "dull", "boring", "ugly"]
FILLER = ["the", "a", "film", "plot", "was", "and", "it", "is", "very"]


def _write_sentences(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for i in range(rows):
            label = rng.choice(["pos", "neg"])
            words = [*rng.sample(FILLER, 4), rng.choice(POSITIVE if label == "pos" else NEGATIVE)]
            rng.shuffle(words)
            writer.writerow([" ".join(words) if i != 7 else "", label])
        writer.writerow(["the film was good", "pos"])  # a repeat, whatever the draws gave before
        writer.writerow(["the film was good", "pos"])


def _texts(values: list[str]) -> DiskTexts:
    writer = TextWriter()
    for value in values:
        writer.append(value)
    return writer.close()


def test_rows_come_back_as_written_whatever_the_block_sizes(monkeypatch):
    monkeypatch.setattr(ragged, "WRITE_ROWS", 3)
    monkeypatch.setattr(ragged, "READ_ROWS", 2)
    texts = _texts(TEXTS)
    assert len(texts) == len(TEXTS)
    assert [texts[i] for i in range(len(TEXTS))] == TEXTS
    assert list(texts) == TEXTS
    assert texts[-1] == "last"
    assert list(texts[2:5]) == TEXTS[2:5]
    with pytest.raises(IndexError):
        texts[len(TEXTS)]
    unsorted = [6, 1, 1, 3]
    assert list(texts.subset(unsorted)) == [TEXTS[i] for i in unsorted]
    dense = texts.subset([0, 1, 2, 3, 5])  # read in blocks
    assert list(dense) == [TEXTS[i] for i in (0, 1, 2, 3, 5)]
    sparse = texts.subset([0, 3, 7])  # one read a row
    assert list(sparse) == [TEXTS[0], TEXTS[3], TEXTS[7]]
    assert list(sparse.joined(texts.subset([2]))) == [TEXTS[0], TEXTS[3], TEXTS[7], TEXTS[2]]
    copy = pickle.loads(pickle.dumps(sparse))  # another process opens the files by their path
    assert list(copy) == list(sparse)


def test_encoded_rows_keep_their_lengths_and_labels():
    texts = _texts(["a b c", "d", "e f"])
    encoded = encode_to_disk(
        texts, lambda text: torch.tensor([ord(c) for c in text.split()[0]] * len(text.split())), "ids"
    )
    assert isinstance(encoded, DiskSequences)
    assert encoded.lengths.tolist() == [3, 1, 2]
    assert torch.equal(encoded[2], torch.tensor([ord("e")] * 2))
    assert encoded[2].dtype == torch.int64
    pairs = Encoded(encoded, [1, 0, 1])
    assert pairs.subset([2, 0]).lengths.tolist() == [2, 3]
    assert [(x.tolist(), y) for x, y in pairs[1:]] == [([ord("d")], 0), ([ord("e")] * 2, 1)]
    assert pairs[:] is pairs


def _reference_fingerprint(examples: Examples) -> str:
    """The plain definition: every row's JSON, sorted whole, joined by newlines."""
    import hashlib
    import json

    rows = sorted(
        json.dumps([x, y], ensure_ascii=False) for x, y in zip(examples.inputs, examples.labels, strict=True)
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]


def test_the_fingerprint_sorts_as_the_whole_rows_do():
    rng = random.Random(3)
    stems = ["a" * 40, "a" * 40 + "\uffff", "a" * 40 + "\U0001f600", "é" * 30, "b"]
    inputs = [rng.choice(stems) + rng.choice(["", "x", "y", "😀", "\u00e9"]) for _ in range(300)]
    labels = [rng.choice(["p", "q"]) for _ in inputs]
    examples = Examples(inputs, labels)
    assert fingerprint(examples) == _reference_fingerprint(examples)
    assert fingerprint(Examples(_texts(inputs), labels)) == _reference_fingerprint(examples)


def test_the_sampler_draws_the_batches_of_the_plain_algorithm():
    """The reference is the list-based sampler seqclf had: same seed, same batches."""
    lengths = [random.Random(i).randint(1, 30) for i in range(517)]
    for batch_size, window, replicas in [(8, 3, 1), (16, 50, 1), (7, 2, 3)]:
        for rank in range(replicas):
            sampler = BucketBatchSampler(
                lengths, batch_size, seed=4, window=window, num_replicas=replicas, rank=rank
            )
            for epoch, start in [(0, 0), (2, 1)]:
                sampler.set_epoch(epoch, start)
                generator = torch.Generator().manual_seed(4 * 100_003 + epoch)
                order = torch.randperm(len(lengths), generator=generator).tolist()
                batches = []
                for i in range(0, len(order), batch_size * window):
                    chunk = sorted(order[i : i + batch_size * window], key=lengths.__getitem__)
                    batches += [chunk[j : j + batch_size] for j in range(0, len(chunk), batch_size)]
                shuffled = torch.randperm(len(batches), generator=generator).tolist()
                padded = (shuffled * replicas)[: len(sampler) * replicas]
                expected = [batches[i] for i in padded[rank + start * replicas :: replicas]]
                assert list(sampler) == expected


def test_the_split_of_labels_in_memory_and_on_disk_is_one():
    rng = random.Random(5)
    labels = [rng.choice("abc") for _ in range(400)]
    inputs = [f"text {i}" for i in range(400)]
    in_memory = per_class_split(Examples(inputs, labels))
    on_disk = per_class_split(Examples(_texts(inputs), labels))
    for part in ("train", "validation", "test"):
        assert list(on_disk.get(part).inputs) == in_memory.get(part).inputs
        assert on_disk.get(part).labels == in_memory.get(part).labels
    # the per-class shuffle is random.shuffle's with the split's seed, as before
    a_rows = [i for i, y in enumerate(labels) if y == "a"]
    random.Random(0).shuffle(a_rows)
    n_test = round(0.2 * len(a_rows))
    assert sorted(a_rows[:n_test]) == [
        int(t.split()[1])
        for t, y in zip(in_memory.test.inputs, in_memory.test.labels, strict=True)
        if y == "a"
    ]


TRAINING = {"epochs": 6, "batch_size": 16, "patience": 6, "lr": 1e-2}
ARCHITECTURE = {"hidden_size": 12, "embedding_dim": 8, "num_layers": 1, "ensemble": 1}


def _run(data: Path, model: dict = ARCHITECTURE, train: dict = TRAINING) -> object:
    return run_training(
        "text",
        data,
        None,
        model=model,
        train=train,
        reader_options={"word_vectors": "none"},
        log=lambda _: None,
    )


def test_a_table_over_the_memory_limit_trains_the_model_it_trains_in_memory(
    tmp_path, monkeypatch, one_torch_thread
):
    data = tmp_path / "reviews.csv"
    _write_sentences(data, 400)
    in_memory = _run(data)
    assert isinstance(tables.read_texts(data).inputs, list)
    monkeypatch.setattr(tables, "IN_MEMORY_BYTES", 0)
    assert isinstance(tables.read_texts(data).inputs, DiskTexts)
    on_disk = _run(data)

    a, b = in_memory.training, on_disk.training
    assert b.split == a.split  # sizes, skipped row, duplicates dropped, test fingerprint, tokens
    assert a.split["duplicates_dropped"] >= 1 and a.split["skipped"]["count"] == 1
    assert b.recipe == a.recipe
    assert b.examples == a.examples
    # bit-identical: one process, one thread, the same batches in the same order
    weights_a, weights_b = in_memory.model.state_dict(), on_disk.model.state_dict()
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)
    assert b.test == a.test and b.validation == a.validation
    assert a.test["accuracy"] > 0.8  # one sentiment word per text: the model has learnt it
    assert (b.baseline.method, b.baseline.accuracy) == (a.baseline.method, a.baseline.accuracy)


def test_encoded_training_data_is_read_a_batch_at_a_time(monkeypatch):
    """A DataLoader over examples on disk reads exactly its batches' rows, no others."""
    from torch.utils.data import DataLoader

    from seqclf.data.batching import collate

    read: list[int] = []
    original = ragged.RaggedFile.row
    monkeypatch.setattr(ragged.RaggedFile, "row", lambda self, i: read.append(i) or original(self, i))
    texts = _texts([" ".join("w" * (i % 7 + 1)) for i in range(103)])
    encoded = Encoded(
        encode_to_disk(texts, lambda t: torch.arange(len(t.split())) + 1, "ids"), np.arange(103) % 2
    )
    for rank in range(2):
        read.clear()
        sampler = BucketBatchSampler(encoded.lengths, 8, seed=1, num_replicas=2, rank=rank)
        for _ in DataLoader(encoded, batch_sampler=sampler, collate_fn=collate):
            pass
        assert sorted(read) == sorted(i for batch in sampler for i in batch)


def test_a_cross_validated_ensemble_trains_on_a_table_on_disk(tmp_path, monkeypatch, one_torch_thread):
    """Each fold's network trains on the pool's rows on disk; the figures are the in-memory run's."""
    data = tmp_path / "reviews.csv"
    _write_sentences(data, 200)
    settings = {**ARCHITECTURE, "ensemble": 2}
    train = {**TRAINING, "epochs": 2, "cross_validate": True}

    in_memory = _run(data, settings, train)
    monkeypatch.setattr(tables, "IN_MEMORY_BYTES", 0)
    on_disk = _run(data, settings, train)
    assert on_disk.training.split["cross_validated"] == 2
    assert on_disk.training.validation == in_memory.training.validation
    assert on_disk.training.test == in_memory.training.test


def test_a_lone_surrogate_from_json_is_kept_on_disk_as_in_memory(tmp_path, monkeypatch):
    data = tmp_path / "rows.jsonl"
    rows = [{"text": f"text {i} \ud800" if i == 3 else f"text {i}", "label": "ab"[i % 2]} for i in range(30)]
    data.write_text("\n".join(json.dumps(row) for row in rows))
    in_memory = tables.read_texts(data)
    monkeypatch.setattr(tables, "IN_MEMORY_BYTES", 0)
    on_disk = tables.read_texts(data)
    assert list(on_disk.inputs) == in_memory.inputs and in_memory.inputs[3] == "text 3 \ud800"
    split = per_class_split(on_disk, test=0.2)
    assert fingerprint(split.test) == fingerprint(per_class_split(in_memory, test=0.2).test)


def test_the_demo_keeps_the_examples_the_uncapped_rule_keeps():
    """kept_examples stops collecting a label's texts early; the reference collects them all."""
    from itertools import chain, zip_longest

    from seqclf.encoders.words import WordEncoder
    from seqclf.training.run import KEPT_EXAMPLES, kept_examples

    def reference(test: Examples) -> list[str]:
        by_label: dict[str, list[str]] = {}
        for text, label in zip(test.inputs, test.labels, strict=True):
            if text.strip():
                by_label.setdefault(label, []).append(text.strip())
        taken = chain.from_iterable(zip_longest(*(by_label[label] for label in sorted(by_label))))
        return list(dict.fromkeys(text for text in taken if text is not None))[:KEPT_EXAMPLES]

    encoder = WordEncoder.fit(["a"])
    for seed in range(40):
        rng = random.Random(seed)
        pool = [
            f"{pad}{word}{pad2}"
            for word in "abcdefghij"[: rng.randint(2, 10)]
            for pad in ("", " ")
            for pad2 in ("", " ")
        ]
        texts = [rng.choice(pool) for _ in range(rng.randint(1, 300))]
        labels = [rng.choice("xyz"[: rng.randint(1, 3)]) for _ in texts]
        assert kept_examples(Examples(texts, labels), encoder) == reference(Examples(texts, labels))


def test_a_full_disk_while_preparing_is_one_line(tmp_path):
    """/dev/full answers every write with ENOSPC, as a full $TMPDIR would."""
    from seqclf.errors import DataError

    writer = ragged.RaggedWriter(tmp_path / "texts")
    writer._data = open("/dev/full", "wb")  # noqa: SIM115 - closed with the writer's other file
    writer.append(b"a sentence")
    with pytest.raises(DataError, match=r"No space left on device; set TMPDIR to a folder with room"):
        writer.close()
