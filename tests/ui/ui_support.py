"""Shared helpers for the UI tests: where the examples are, and the tiny models' shape."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import torch

from seqclf import ModelConfig, SequenceClassifier
from seqclf.encoders import Encoder
from seqclf.pretrained import PretrainedClassifier

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TINY = {"embedding_dim": 8, "hidden_size": 16, "num_layers": 1, "dropout": 0.0}
SURNAME, LANGUAGE = "Kamuramoto", "Alpha"  # built from the synthetic Alpha syllables


def save_untrained(folder: Path, encoder: Encoder, labels: list[str], task: str) -> Path:
    torch.manual_seed(0)
    config = ModelConfig(num_labels=len(labels), **encoder.model_fields(), **TINY)
    return PretrainedClassifier(SequenceClassifier(config), encoder, labels, task).save_pretrained(folder)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class RunningDemo:
    url: str
    models_dir: Path


def audio_example() -> Path:
    return sorted((EXAMPLES / "digits").glob("*.wav"))[0]


def frames_example() -> Path:
    return sorted((EXAMPLES / "vowels").glob("*.csv"))[0]
