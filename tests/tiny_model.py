"""The tiny models the suite shares: one trained names model and its settings, and untrained
models of any encoder for tests where only the plumbing is under test.

Training it takes a few seconds, so ``tests/conftest.py`` trains it once per test run
(the ``tiny_names`` fixture); tests that change a model folder copy it first. It learns
the synthetic languages of :mod:`names_data` well above chance, so tests on it can
check real answers rather than shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from seqclf.config import ModelConfig, TrainConfig
from seqclf.encoders.base import Encoder
from seqclf.network.model import SequenceClassifier
from seqclf.network.pretrained import PretrainedClassifier
from seqclf.training.run import run_training

TINY_MODEL = {"embedding_dim": 16, "hidden_size": 24, "num_layers": 1, "dropout": 0.1, "ensemble": 1}
TINY_TRAINING = TrainConfig(epochs=8, batch_size=16, lr=1e-2, patience=8, seed=0)
TINY_COMMAND = "seqclf train names --data names --out tiny --epochs 8"
#: a small network for `seqclf train names` runs in a subprocess (resume, torchrun)
TINY_FLAGS = ["--hidden-size", "12", "--embedding-dim", "8", "--num-layers", "1", "--batch-size", "16"]
TINY_FLAGS += ["--ensemble", "1"]
#: the architecture of the untrained models (the service's and the UI's plumbing tests)
UNTRAINED = {"embedding_dim": 8, "hidden_size": 16, "num_layers": 1, "dropout": 0.0}


@dataclass(frozen=True)
class TrainedModel:
    pretrained: PretrainedClassifier
    folder: Path
    logs: list[str]


def train_tiny_names(names_folder: Path, folder: Path) -> TrainedModel:
    logs: list[str] = []
    pretrained = run_training(
        "names",
        names_folder,
        folder,
        model=TINY_MODEL,
        train=TINY_TRAINING.to_dict(),
        command=TINY_COMMAND,
        log=logs.append,
    )
    return TrainedModel(pretrained, folder, logs)


def save_untrained(folder: Path, encoder: Encoder, labels: list[str], task: str) -> Path:
    """An untrained model folder (seeded, so its answers repeat) for ``encoder``'s kind of input."""
    torch.manual_seed(0)
    config = ModelConfig(num_labels=len(labels), **encoder.model_fields(), **UNTRAINED)
    return PretrainedClassifier(SequenceClassifier(config), encoder, labels, task).save_pretrained(folder)
