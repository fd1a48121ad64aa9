"""The training loop: AdamW, clipped BPTT, class weights, early stopping on macro-F1.

Kept as plain PyTorch rather than a framework so every step the lecture names is
visible: unrolled forward over packed sequences, backpropagation through time,
gradient-norm clipping, the optimiser step. On CUDA it uses cuDNN's RNN kernels
and bf16 autocast (fp16 with a gradient scaler where bf16 is unsupported).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from seqclf.data.batching import BucketBatchSampler, collate
from seqclf.inference import batched_logits
from seqclf.model import SequenceClassifier
from seqclf.training.config import TrainConfig
from seqclf.training.metrics import macro_f1


@dataclass
class EpochLog:
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    val_macro_f1: float
    lr: float
    seconds: float

    def line(self) -> str:
        return (
            f"epoch {self.epoch:3d}  loss {self.train_loss:.4f}  val_loss {self.val_loss:.4f}  "
            f"val_acc {self.val_accuracy:.4f}  val_macro_f1 {self.val_macro_f1:.4f}  "
            f"lr {self.lr:.2e}  {self.seconds:.1f}s"
        )


@dataclass
class TrainResult:
    best_epoch: int
    best_val_macro_f1: float
    history: list[EpochLog] = field(default_factory=list)
    seconds: float = 0.0


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def class_weights(label_ids: Sequence[int], num_labels: int, scheme: str) -> torch.Tensor:
    """Cross-entropy weights from class frequencies; mean weight over examples is 1."""
    counts = Counter(label_ids)
    n = torch.tensor([counts.get(i, 0) for i in range(num_labels)], dtype=torch.float64).clamp(min=1)
    if scheme == "none":
        weights = torch.ones(num_labels, dtype=torch.float64)
    else:
        weights = n.sum() / (num_labels * n)
        if scheme == "sqrt":
            weights = weights.sqrt()
    weights = weights * n.sum() / (weights * n).sum()
    return weights.float()


def _autocast(device: torch.device) -> tuple[Any, torch.amp.GradScaler | None]:
    """Mixed precision on CUDA: bf16 where supported, else fp16 with a gradient scaler."""
    if device.type != "cuda":
        return nullcontext(), None
    if torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16), None
    return torch.autocast("cuda", dtype=torch.float16), torch.amp.GradScaler("cuda")


def train_model(
    model: SequenceClassifier,
    train: Sequence[tuple[torch.Tensor, int]],
    validation: Sequence[tuple[torch.Tensor, int]],
    config: TrainConfig,
    device: torch.device,
    log: Callable[[str], None] = tqdm.write,
) -> TrainResult:
    """Fit ``model`` in place and leave it holding the best validation weights.

    ``train`` and ``validation`` are encoded ``(sequence, label_id)`` pairs.
    """
    num_labels = model.config.num_labels
    seed_everything(config.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    model.to(device)

    sampler = BucketBatchSampler([len(seq) for seq, _ in train], config.batch_size, seed=config.seed)
    loader = DataLoader(
        list(train), batch_sampler=sampler, collate_fn=collate, pin_memory=device.type == "cuda"
    )
    weights = class_weights([y for _, y in train], num_labels, config.class_weighting).to(device)
    criterion = nn.CrossEntropyLoss(weight=weights, label_smoothing=config.label_smoothing)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    total_steps = config.epochs * len(sampler)
    warmup = max(1, int(config.warmup_epochs * len(sampler)))
    # Linear warm-up, then cosine decay to zero over the full epoch budget.
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min(
            (step + 1) / warmup, 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
        ),
    )
    autocast, scaler = _autocast(device)

    val_seqs = [seq for seq, _ in validation]
    val_labels = torch.tensor([y for _, y in validation])
    result = TrainResult(best_epoch=0, best_val_macro_f1=-1.0)
    best_state: dict[str, torch.Tensor] = {}
    started = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.perf_counter()
        sampler.set_epoch(epoch)
        model.train()
        # Accumulate on the device; reading the loss every step would synchronise.
        loss_sum = torch.zeros((), device=device)
        seen = 0
        for inputs, lengths, labels in tqdm(loader, desc=f"epoch {epoch}", leave=False, disable=None):
            inputs = inputs.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = criterion(model(inputs, lengths).float(), labels)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
            else:
                loss.backward()
            if config.clip_norm > 0:
                nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
            if scaler is not None:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer.step()
            scheduler.step()
            loss_sum += loss.detach() * len(labels)
            seen += len(labels)

        logits = batched_logits(model, val_seqs)
        predictions = logits.argmax(-1)
        entry = EpochLog(
            epoch=epoch,
            train_loss=loss_sum.item() / seen,
            val_loss=nn.functional.cross_entropy(logits, val_labels, weight=weights.cpu()).item(),
            val_accuracy=(predictions == val_labels).float().mean().item(),
            val_macro_f1=macro_f1(val_labels.tolist(), predictions.tolist(), num_labels),
            lr=scheduler.get_last_lr()[0],
            seconds=time.perf_counter() - epoch_start,
        )
        result.history.append(entry)
        improved = entry.val_macro_f1 > result.best_val_macro_f1
        log(entry.line() + ("  *" if improved else ""))
        if improved:
            result.best_epoch, result.best_val_macro_f1 = epoch, entry.val_macro_f1
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        elif epoch - result.best_epoch >= config.patience:
            log(f"early stop: no better validation macro-F1 for {config.patience} epochs")
            break
    model.load_state_dict(best_state)
    result.seconds = time.perf_counter() - started
    return result
