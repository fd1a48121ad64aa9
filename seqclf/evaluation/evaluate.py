"""Scoring a trained model on labelled examples with the same code that serves it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from seqclf.data.ondisk import encode_all
from seqclf.data.splits import Examples
from seqclf.errors import DataError
from seqclf.evaluation.metrics import classification_metrics
from seqclf.inference.batching import batched_logits
from seqclf.network.pretrained import PretrainedClassifier


def evaluate(
    pretrained: PretrainedClassifier, examples: Examples, sequences: Sequence[torch.Tensor] | None = None
) -> dict[str, Any]:
    """Metrics of ``pretrained`` on ``examples``; labels it does not know are an error.

    ``sequences``, the examples already encoded (training encodes them early), saves
    encoding them again.
    """
    index = {label: i for i, label in enumerate(pretrained.labels)}
    unknown = sorted(set(examples.labels) - set(index))
    if unknown:
        raise DataError(f"the data has labels the model does not know: {unknown}")
    if sequences is None:
        sequences = encode_all(examples.inputs, pretrained.encoder.encode, "encoded-scored")
    predictions = batched_logits(pretrained.model, sequences).argmax(-1).tolist()
    return classification_metrics([index[y] for y in examples.labels], predictions, pretrained.labels)
