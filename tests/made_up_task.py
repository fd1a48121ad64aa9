"""A made-up task, in one module: tallies, read from a JSON Lines file of ``{"counts", "label"}``.

Nothing else in seqclf knows of it: importing this module registers it, and ``seqclf
train``'s run, the model card and every door that serves a model take it from there
(tests/test_made_up_kind.py). Its inputs are the made-up kind of tests/made_up_kind.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from made_up_kind import CountEncoder

from seqclf.config import TrainConfig
from seqclf.data.splits import SPLIT_SEED, VALIDATION_SHARE, Examples, Splits, per_class_split
from seqclf.encoders import Encoder
from seqclf.tasks.base import Task
from seqclf.tasks.recipe import Recipe


class TalliesTask(Task):
    name = "tallies"
    description = "Which process made a run of counts (a made-up task)."
    pipeline_tag = "text-classification"
    dataset: ClassVar[dict[str, str]] = {"name": "made-up tallies"}
    example_input = "[3, 0, 4]"

    def load_splits(self, data: Path, split: dict[str, Any] | None = None) -> Splits:
        rows = [json.loads(line) for line in Path(data).read_text(encoding="utf-8").splitlines() if line]
        examples = Examples([row["counts"] for row in rows], [row["label"] for row in rows])
        options = split or {}
        return per_class_split(
            examples,
            validation=options.get("validation", VALIDATION_SHARE),
            seed=options.get("seed", SPLIT_SEED),
        )

    def recipe(self, splits: Splits) -> Recipe:
        model = {"embedding_dim": 8, "hidden_size": 16, "num_layers": 1, "ensemble": 1, "dropout": 0.0}
        return Recipe(model, TrainConfig(epochs=30, batch_size=16, lr=1e-2, patience=30), ["made up"])

    def build_encoder(self, train: Examples, **options: Any) -> Encoder:
        return CountEncoder.fit(train.inputs)
