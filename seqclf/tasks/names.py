"""Surname -> language of origin, from characters (the PyTorch char-RNN tutorial data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from seqclf.config import TrainConfig
from seqclf.data.names import read_names
from seqclf.data.splits import SPLIT_SEED, VALIDATION_SHARE, Examples, Splits, stratified_split
from seqclf.encoders import CharEncoder, Encoder
from seqclf.tasks.base import Task


class NamesTask(Task):
    name = "names"
    description = "Surname to language of origin (18 languages), read character by character."
    pipeline_tag = "text-classification"
    dataset: ClassVar[dict[str, str]] = {
        "name": "char-RNN tutorial surnames (data/names)",
        "url": "https://github.com/spro/practical-pytorch/tree/master/data/names",
        "license": "MIT (practical-pytorch repository)",
    }
    data_notes = (
        "Names are deduplicated on their normalised form (NFC, trimmed, lower case); a name "
        "listed under several languages is given to the language with the fewest distinct names."
    )
    example_input = '"Nakamura"'
    license = "mit"
    limitations = (
        "The model says which of 18 surname lists a name resembles, from its spelling alone. "
        "It says nothing about a person's ancestry, nationality or ethnicity and must not be "
        "used to decide anything about people. The lists are romanised (mostly Latin script), "
        "their origin is undocumented, and they are skewed: about half the names are Russian, "
        "transliterated into English. A name that several languages share gets one answer; in "
        "training such a name was given to the language with the fewest names."
    )
    # Chosen on the validation split (runs and figures in docs/names.md): a 2-layer BiGRU
    # overfits these ~14k names within ~10 epochs, so it gets strong regularisation — step
    # dropout (whole characters), weight decay — and a long cosine run; single networks'
    # scores move by a point between seeds, so five are averaged, each validated on its
    # moving-average weights.
    model_defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 64,
        "cell": "gru",
        "hidden_size": 160,
        "num_layers": 2,
        "bidirectional": True,
        "dropout": 0.3,
        "step_dropout": 0.2,
        "pooling": "max+last",
        "ensemble": 5,
    }
    train_defaults = TrainConfig(
        epochs=40,
        batch_size=64,
        lr=3e-3,
        weight_decay=0.05,
        patience=10,
        class_weighting="none",
        ema_decay=0.999,
    )

    def load_splits(self, data: Path, split: dict[str, Any] | None = None) -> Splits:
        split = split or {}
        return stratified_split(
            read_names(data),
            validation=split.get("validation", VALIDATION_SHARE),
            test=split.get("test", 0.1),
            seed=split.get("seed", SPLIT_SEED),
        )

    def build_encoder(self, train: Examples, **options: Any) -> Encoder:
        return CharEncoder.fit(train.inputs, min_freq=2)
