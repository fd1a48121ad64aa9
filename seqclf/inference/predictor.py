"""The inference API: ``Predictor.from_pretrained(...).predict(inputs, top_k=...)``.

Outputs follow the transformers pipeline convention: for each input a list of
``{"label": str, "score": float}`` sorted by score, scores summing to 1 over all
labels; ``top_k=None`` returns every label.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from seqclf.config import DEVICES
from seqclf.errors import ConfigError, InvalidInputError
from seqclf.inference import explain as explaining
from seqclf.inference.batching import batched_logits
from seqclf.modalities import Modality, modality_named
from seqclf.network.pretrained import PretrainedClassifier

Prediction = list[dict[str, Any]]


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_device(name: str | torch.device | None) -> torch.device:
    """The device ``name`` asks for, checked here so that a typo or a missing GPU is one
    clear message instead of an error from deep inside torch; ``None``: the default."""
    if name is None:
        return default_device()
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError) as err:
        raise ConfigError(f"unknown device {name!r}: use {DEVICES}") from err
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ConfigError(
                f"device {name!r} was asked for, but this machine has no usable CUDA GPU: use cpu"
            )
        if device.index is not None and device.index >= count:
            raise ConfigError(f"device {name!r} was asked for, but this machine has {count} CUDA GPU(s)")
    elif device.type == "mps":
        if not torch.backends.mps.is_available():
            raise ConfigError(
                f"device {name!r} was asked for, but this machine has no usable MPS (Apple) GPU"
            )
    elif device.type != "cpu":
        raise ConfigError(f"device {name!r} is not supported: use {DEVICES}")
    return device


def check_top_k(top_k: int | None) -> None:
    """Refuse a ``top_k`` that is neither a positive integer nor ``None``, before any work."""
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise InvalidInputError(f"top_k must be a positive integer or None, got {top_k!r}")


class Predictor:
    """Answers predictions from a trained model; see :meth:`predict`.

    The three steps are public so a server can validate requests as they arrive
    (:meth:`encode`), run many requests in one forward pass (:meth:`probabilities`),
    and shape each answer (:meth:`top`).
    """

    def __init__(self, pretrained: PretrainedClassifier, batch_size: int = 256) -> None:
        self.pretrained = pretrained
        self.model = pretrained.model
        self.encoder = pretrained.encoder
        #: what callers send this model, and every way it arrives (JSON, files, the UI)
        self.modality: Modality = modality_named(pretrained.encoder.modality_name)
        self.labels = pretrained.labels
        self.task = pretrained.task
        self.batch_size = batch_size

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | Path,
        revision: str | None = None,
        device: str | torch.device | None = None,
    ) -> Predictor:
        """Load a model folder or Hub repo id; CUDA when available unless ``device`` is given."""
        device = resolve_device(device)
        return cls(PretrainedClassifier.from_pretrained(name_or_path, revision=revision, device=device))

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def encode(self, inputs: Sequence[Any]) -> list[torch.Tensor]:
        """Validate and encode a batch; errors name the offending item's position."""
        if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
            raise InvalidInputError(f"expected a list of inputs, got {type(inputs).__name__}")
        if len(inputs) == 0:
            raise InvalidInputError("no inputs given: pass at least one")
        encoded = []
        for i, example in enumerate(inputs):
            try:
                encoded.append(self.encoder.encode(example))
            except InvalidInputError as err:
                raise InvalidInputError(f"input {i}: {err}") from err
        return encoded

    def probabilities(self, encoded: Sequence[torch.Tensor]) -> torch.Tensor:
        """Class probabilities ``(N, num_labels)`` for already-encoded inputs."""
        return torch.softmax(batched_logits(self.model, encoded, self.batch_size), dim=-1)

    def _resolve_top_k(self, top_k: int | None) -> int:
        check_top_k(top_k)
        return len(self.labels) if top_k is None else min(top_k, len(self.labels))

    def top(self, probabilities: torch.Tensor, top_k: int | None = 1) -> list[Prediction]:
        """Turn probability rows into sorted ``{"label", "score"}`` lists."""
        scores, indices = probabilities.topk(self._resolve_top_k(top_k), dim=-1)
        return [  # one tolist() per matrix: iterating a tensor's rows costs more than the model on the hot path
            [{"label": self.labels[i], "score": s} for i, s in zip(row_i, row_s, strict=True)]
            for row_i, row_s in zip(indices.tolist(), scores.tolist(), strict=True)
        ]

    def predict(self, inputs: Any, top_k: int | None = 1) -> list[Prediction] | Prediction:
        """Predict for a batch of inputs, or for a single one.

        A batch (e.g. a list of strings) gives one list of predictions per input; a
        single input (e.g. one string) gives its list of predictions directly.
        """
        single = self.modality.is_single(inputs)
        batch = [inputs] if single else inputs
        self._resolve_top_k(top_k)  # reject a bad top_k before any work
        results = self.top(self.probabilities(self.encode(batch)), top_k)
        return results[0] if single else results

    def prepare(self, example: Any) -> explaining.Prepared:
        """``example`` encoded once, for a caller that explains, unfolds or measures it."""
        return explaining.prepare(self, example)

    def explain(self, example: Any, target: str | int | None = None) -> explaining.Explanation:
        """Which steps of ``example`` drove the prediction of ``target`` (default: the top class).

        Integrated gradients; see :mod:`seqclf.inference.explain` for the method and its baseline.
        """
        return explaining.explain(self, example, target)

    def unfold(self, example: Any) -> explaining.Unfolding:
        """Class probabilities after each prefix of ``example`` (how the answer forms over time)."""
        return explaining.unfold(self, example)
