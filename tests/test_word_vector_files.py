"""``seqclf train text --word-vectors FILE``: the user's GloVe / fastText / word2vec text vectors.

The end-to-end test is built so that only the vectors can carry the answer: the test
sentences use words that never occur in training, whose vectors lie next to those of
the training words of their class. With the vectors the model gets them right; without,
every test word is unknown to it and it is at chance.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from seqclf import Predictor
from seqclf.cli import app
from seqclf.data.word_vectors import init_embedding, read_vector_file
from seqclf.encoders.words import WordEncoder
from seqclf.errors import DataError

runner = CliRunner()
DIM = 12
FILLER = ["the", "a", "film", "movie", "is", "was", "quite", "this"]


def write_vectors(path: Path, rng: np.random.Generator, header: bool) -> dict[str, np.ndarray]:
    """Positive words near +u, negative near -u, filler words anywhere; as GloVe or .vec lines."""
    direction = rng.normal(size=DIM)
    direction /= np.linalg.norm(direction)
    vectors = {}
    for i in range(30):
        vectors[f"good{i}"] = 2.0 * direction + 0.3 * rng.normal(size=DIM)
        vectors[f"bad{i}"] = -2.0 * direction + 0.3 * rng.normal(size=DIM)
    for word in FILLER:
        vectors[word] = rng.normal(size=DIM)
    lines = [f"{w} {' '.join(f'{x:.5f}' for x in v)}" for w, v in vectors.items()]
    text = (f"{len(lines)} {DIM}\n" if header else "") + "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return vectors


def write_texts(path: Path, words: range, rng: np.random.Generator, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for i in range(n):
            label = "positive" if i % 2 else "negative"
            stem = "good" if label == "positive" else "bad"
            sentence = [*rng.choice(FILLER, 2), f"{stem}{rng.choice(words)}", *rng.choice(FILLER, 2)]
            writer.writerow([" ".join(sentence), label])


@pytest.mark.parametrize(
    ("name", "header"), [("glove.txt", False), ("wiki.vec", True), ("wiki.vec.gz", True)]
)
def test_each_text_format_reads_the_same_vectors(tmp_path: Path, name: str, header: bool) -> None:
    written = write_vectors(tmp_path / name, np.random.default_rng(0), header)
    vectors = read_vector_file(tmp_path / name)
    assert vectors.words == list(written) and vectors.dim == DIM
    np.testing.assert_allclose(vectors.vectors, np.stack(list(written.values())), atol=5e-6)  # 5 decimals


def test_only_wanted_and_common_rows_are_kept_lower_cased_first_wins(tmp_path: Path) -> None:
    path = tmp_path / "v.txt"
    path.write_text("The 1 1\nthe 9 9\nfilm 2 2\nrare 3 3\nother 4 4\n", encoding="utf-8")
    vectors = read_vector_file(path, wanted={"rare"}, common=2)
    assert vectors.words == ["the", "rare"]  # "The" first, lower-cased; "film" is line 3 > common
    assert vectors.vectors.tolist() == [[1, 1], [3, 3]]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("the 1 2\nfilm 1 2 3\n", "v.txt:2: 3 numbers for 'film'; the others have 2"),
        ("2 2\nthe 1 x\n", "v.txt:2: not a word and its numbers"),
        ("", "holds no word vectors"),
    ],
)
def test_a_bad_file_is_named_with_its_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "v.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        read_vector_file(path)


def test_binary_and_missing_files_say_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "g.bin").write_bytes(b"\x00\x01")
    with pytest.raises(DataError, match="binary word2vec files are not read; save them as text"):
        read_vector_file(tmp_path / "g.bin")
    with pytest.raises(DataError, match="no word-vector file at"):
        read_vector_file(tmp_path / "none.vec")


def test_the_vocabularys_rows_start_as_the_vectors(tmp_path: Path) -> None:
    written = write_vectors(tmp_path / "v.txt", np.random.default_rng(1), header=False)
    vectors = read_vector_file(tmp_path / "v.txt")
    encoder = WordEncoder.fit(["the good1 film", "zzz unseen"], keep=vectors.index, extra=vectors.words)
    embedding = torch.nn.Embedding(len(encoder.vocab), DIM)
    found = init_embedding(embedding, encoder.vocab, vectors)
    assert found == len(written)  # every vector word joined; "zzz" and "unseen" have none
    for word in ("good1", "bad29", "film"):
        np.testing.assert_allclose(
            embedding.weight[encoder.vocab.index(word)].detach().numpy(), written[word], atol=5e-6
        )
    assert embedding.weight[:2].abs().sum() == 0  # padding and <unk>


def _train(tmp_path: Path, out: str, *extra: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        [
            "train", "text", "--data", str(tmp_path / "train.csv"), "--test", str(tmp_path / "test.csv"),
            "--out", str(tmp_path / out), "--epochs", "25", "--patience", "25", "--hidden-size", "16",
            "--step-dropout", "0", "--ensemble", "1", *extra,
        ],
    )  # fmt: skip
    return result.exit_code, result.output


@pytest.mark.slow  # a whole training run: CI runs it, the edit loop leaves it out
def test_vectors_carry_words_training_never_saw(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    write_vectors(tmp_path / "vectors.vec", rng, header=True)
    write_texts(tmp_path / "train.csv", range(0, 15), rng, 120)
    write_texts(tmp_path / "test.csv", range(15, 30), rng, 60)  # only unseen class words

    code, output = _train(tmp_path, "with", "--word-vectors", str(tmp_path / "vectors.vec"))
    assert code == 0, output
    assert "tokens: words (auto: word vectors were given)" in output
    assert "embeddings: 12-d, from the file vectors.vec, which covers 100% of the training words" in output
    config = json.loads((tmp_path / "with" / "config.json").read_text(encoding="utf-8"))
    assert config["model"]["embedding_dim"] == DIM
    assert config["training"]["split"]["word_vectors"] == str(tmp_path / "vectors.vec")
    with_vectors = config["training"]["metrics"]["test"]["accuracy"]

    code, output = _train(tmp_path, "without", "--tokens", "words", "--embedding-dim", str(DIM))
    assert code == 0, output
    without = json.loads((tmp_path / "without" / "config.json").read_text(encoding="utf-8"))
    without_vectors = without["training"]["metrics"]["test"]["accuracy"]
    assert with_vectors >= 0.9 > 0.75 >= without_vectors  # chance is 0.5
    # the saved model carries its own table: it predicts with no vector file around
    (tmp_path / "vectors.vec").unlink()
    predictor = Predictor.from_pretrained(tmp_path / "with", device="cpu")
    assert predictor.predict("the movie was good27 this", top_k=1)[0]["label"] == "positive"
    assert predictor.predict("the movie was bad22 this", top_k=1)[0]["label"] == "negative"


def test_vectors_with_character_tokens_are_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    write_vectors(tmp_path / "v.txt", rng, header=False)
    write_texts(tmp_path / "train.csv", range(0, 15), rng, 40)
    write_texts(tmp_path / "test.csv", range(15, 30), rng, 10)
    code, output = _train(tmp_path, "m", "--word-vectors", str(tmp_path / "v.txt"), "--tokens", "chars")
    assert code == 2 and "use --tokens words (or auto), not chars" in output
    assert not (tmp_path / "m").exists()


def test_a_large_named_set_adds_only_its_commonest_words() -> None:
    """A named set holds every word it has (GloVe: 400k); only the first COMMON_WORDS join."""
    from seqclf.data.splits import Examples
    from seqclf.data.word_vectors import COMMON_WORDS, WordVectors
    from seqclf.tasks.generic import TextTask

    words = [f"w{i}" for i in range(COMMON_WORDS + 5_000)]
    vectors = WordVectors("big", words, np.zeros((len(words), 2), dtype=np.float32))
    encoder = TextTask().build_encoder(Examples(["w1 w2 zz", "w30000 yy"], ["a", "b"]), "words", vectors)
    assert len(encoder.vocab) == 2 + COMMON_WORDS + 3  # specials, the commonest words, zz, yy, w30000
    assert "w30000" in encoder.vocab and f"w{COMMON_WORDS + 1}" not in encoder.vocab
