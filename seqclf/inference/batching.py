"""Forward passes over many encoded sequences in length-sorted batches.

Sorting by length before cutting batches keeps padding small; results come back in
the caller's order. Shared by the trainer's validation pass and the Predictor, so
the figures on a model card come from the same code that serves predictions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from seqclf.data.batching import pad_batch
from seqclf.data.ondisk import sequence_lengths
from seqclf.network.ensemble import Classifier


@torch.inference_mode()
def batched_logits(
    model: Classifier, sequences: Sequence[torch.Tensor], batch_size: int = 256
) -> torch.Tensor:
    """Logits ``(len(sequences), num_labels)`` in float32 on the CPU, model in eval mode."""
    device = next(model.parameters()).device
    order = np.argsort(sequence_lengths(sequences), kind="stable")
    out = torch.empty(len(sequences), model.config.num_labels)
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), batch_size):
            # longest first inside the batch, so the model packs it without sorting on the device
            index = order[start : start + batch_size][::-1].tolist()
            inputs, lengths = pad_batch([sequences[i] for i in index])
            logits = model(inputs.to(device, non_blocking=True), lengths)
            out[index] = logits.float().cpu()
    finally:
        model.train(was_training)
    return out
