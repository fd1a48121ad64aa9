"""Speaker (1-9) of a Japanese /ae/ from its LPC-cepstrum frames (UCI/UEA JapaneseVowels)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from seqclf.config import TrainConfig
from seqclf.data.splits import SPLIT_SEED, VALIDATION_SHARE, Examples, Splits, fingerprint, stratified_split
from seqclf.data.uea import read_ts
from seqclf.encoders import Encoder
from seqclf.encoders.features import FeatureEncoder
from seqclf.errors import DataError
from seqclf.tasks.base import Task

TRAIN_FILE = "JapaneseVowels_TRAIN.ts"
# 25.6 ms frames every 6.4 ms at 10 kHz (the UCI description).
FRAME_SHIFT_SECONDS = 0.0064


def _ts_file(data: Path) -> Path:
    if data.is_dir():
        data = data / TRAIN_FILE
    if not data.is_file():
        raise DataError(f"no {TRAIN_FILE} at {data}: point --data at the file or its folder")
    return data


class VowelsTask(Task):
    name = "vowels"
    description = "Which of nine male speakers uttered a Japanese /ae/, from 12 LPC-cepstrum channels."
    # The Hub has no tag for classifying sequences of feature vectors; this is speaker
    # identification from speech, which the Hub files under audio classification (as SUPERB's
    # speaker-ID task). The Hub's audio widget will not work: inputs are LPC frames, not audio.
    pipeline_tag = "audio-classification"
    example_input = "[[1.86, -0.21, 0.26, -0.21, -0.17, -0.11, -0.05, 0.2, -0.07, -0.06, -0.02, -0.03]]"
    dataset: ClassVar[dict[str, str]] = {
        "name": "Japanese Vowels (UCI; UEA multivariate archive, JapaneseVowels_TRAIN.ts)",
        "id": "japanese_vowels",
        "url": "https://doi.org/10.24432/C5NS47",
        "license": "CC BY 4.0 (UCI)",
    }
    data_notes = (
        "Only the official TRAIN file (270 utterances, 30 per speaker) is used; the official TEST "
        "file is held back. It is split stratified by speaker with seed 0: 30% test, 10% validation "
        "(early stopping), 60% train. Each channel is standardised with the training frames' mean "
        "and standard deviation."
    )
    license = "cc-by-4.0"
    limitations = (
        "Nine male Japanese speakers, one vowel, one recording session (UCI, 1999): the model tells "
        "these nine speakers apart from LPC-cepstrum frames computed as in that data set (10 kHz, "
        "25.6 ms frames, 6.4 ms shift, 12 coefficients) and knows no one else; every input gets one "
        "of the nine labels. A teaching and benchmarking model, not a speaker-recognition system: "
        "do not use it to identify or verify people. The test split here is 81 utterances, so one "
        "error moves accuracy by 1.2 points."
    )
    model_defaults: ClassVar[dict[str, Any]] = {
        "embedding_dim": 64,
        "cell": "gru",
        "hidden_size": 64,
        "num_layers": 1,
        "bidirectional": True,
        "dropout": 0.3,
        "pooling": "mean+max",
    }
    train_defaults = TrainConfig(
        epochs=60,
        batch_size=16,
        lr=3e-3,
        patience=20,
        class_weighting="none",
        warmup_epochs=3.0,
        # 28 validation utterances: macro-F1 ties are the rule, and the first tied epoch is
        # under-fitted (epoch 7 of 34, train loss 0.08 where later epochs reach 0.002).
        ties="lower_loss",
    )

    def load_splits(self, data: Path, split: dict[str, Any] | None = None) -> Splits:
        split = split or {}
        splits = stratified_split(
            read_ts(_ts_file(Path(data))),
            validation=split.get("validation", VALIDATION_SHARE),
            test=split.get("test", 0.3),
            seed=split.get("seed", SPLIT_SEED),
        )
        # Fingerprint the values themselves, not numpy's printout of them.
        splits.info["test_fingerprint"] = fingerprint(
            splits.test, describe=lambda frames: np.round(frames, 5).tolist()
        )
        return splits

    def build_encoder(self, train: Examples, **options: Any) -> Encoder:
        return FeatureEncoder.fit(train.inputs, max_length=1000, step_seconds=FRAME_SHIFT_SECONDS)
