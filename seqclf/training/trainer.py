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
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from seqclf.config import TrainConfig
from seqclf.data.batching import BucketBatchSampler, collate
from seqclf.errors import ConfigError
from seqclf.inference import batched_logits
from seqclf.model import SequenceClassifier
from seqclf.scoring import macro_f1
from seqclf.training import distributed
from seqclf.training.checkpoint import check_settings, data_fingerprint, rng_state, set_rng_state
from seqclf.training.checkpoint import load as load_checkpoint
from seqclf.training.checkpoint import save_atomic as save_checkpoint


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
    checkpoint: Path | None = None,
    resume: bool = False,
) -> TrainResult:
    """Fit ``model`` in place and leave it holding the best validation weights.

    ``train`` and ``validation`` are encoded ``(sequence, label_id)`` pairs. With
    ``checkpoint``, the whole training state is written there after every epoch; with
    ``resume``, training continues from that file and ends exactly where an
    uninterrupted run would. Inside a torchrun job (see
    :mod:`seqclf.training.distributed`) each process trains on its share of the batches
    under DistributedDataParallel, metrics are summed over processes, and only rank 0
    logs and writes the checkpoint.
    """
    num_labels = model.config.num_labels
    world, rank = distributed.world_size(), distributed.rank()
    log = distributed.main_only(log)
    # Dropout masks differ between processes; rank 0 draws what a single process would.
    seed_everything(config.seed + rank)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    model.to(device)

    sampler = BucketBatchSampler(
        [len(seq) for seq, _ in train], config.batch_size, seed=config.seed, num_replicas=world, rank=rank
    )
    loader = DataLoader(
        list(train), batch_sampler=sampler, collate_fn=collate, pin_memory=device.type == "cuda"
    )
    weights = class_weights([y for _, y in train], num_labels, config.class_weighting).to(device)
    criterion = nn.CrossEntropyLoss(weight=weights, label_smoothing=config.label_smoothing)
    # The fused CUDA kernel updates all parameters in a few launches instead of several per tensor.
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.lr,
        weight_decay=config.weight_decay,
        fused=True if device.type == "cuda" else None,
    )
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
    # The weights that are validated and kept: the live model, or its moving average.
    ema = (
        AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(config.ema_decay), use_buffers=True)
        if config.ema_decay > 0
        else None
    )
    if ema is not None:
        # The average is a deep copy, and a copied cuDNN RNN holds its weights in separate
        # tensors, which cuDNN would warn about and compact on every validation pass.
        # Re-packing them once fixes that; on the CPU this does nothing.
        for module in ema.modules():
            if isinstance(module, nn.RNNBase):
                module.flatten_parameters()
    scored = ema.module if ema is not None else model

    # Each process scores every world-th validation example; the logits are then summed
    # into one full table, so all processes see the same metrics and stop together.
    val_index = list(range(rank, len(validation), world))
    val_seqs = [validation[i][0] for i in val_index]
    val_labels = torch.tensor([y for _, y in validation])
    result = TrainResult(best_epoch=0, best_val_macro_f1=-1.0)
    best_val_loss = math.inf
    best_state: dict[str, torch.Tensor] = {}
    settings = {
        "train": config.to_dict(),
        "model": model.config.to_dict(),
        "data": data_fingerprint(train, validation),
        "processes": world,
    }
    first_epoch, finished, seconds_before = 1, False, 0.0
    if resume:
        if checkpoint is None:
            raise ConfigError("resuming needs a checkpoint path")
        state = load_checkpoint(checkpoint)
        check_settings(state["settings"], settings, checkpoint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if scaler is not None and state["scaler"]:
            scaler.load_state_dict(state["scaler"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        result.best_epoch, result.best_val_macro_f1 = state["best_epoch"], state["best_val_macro_f1"]
        result.history = [EpochLog(**entry) for entry in state["history"]]
        best_val_loss = next(h.val_loss for h in result.history if h.epoch == result.best_epoch)
        best_state, finished, seconds_before = state["best_model"], state["finished"], state["seconds"]
        first_epoch = state["epoch"] + 1
        set_rng_state(state["rng"][rank])
        log(f"resumed from {checkpoint} after epoch {state['epoch']}")
    # DDP averages gradients over processes during backward. No device_ids: with them,
    # DDP would move the CPU lengths that packing needs onto the GPU.
    stepper = DistributedDataParallel(model) if world > 1 else model

    started = time.perf_counter()
    for epoch in range(first_epoch, config.epochs + 1):
        if finished:
            break
        epoch_start = time.perf_counter()
        sampler.set_epoch(epoch)
        model.train()
        # Accumulate on the device; reading the loss every step would synchronise.
        loss_sum = torch.zeros((), device=device)
        seen = 0
        bar = tqdm(loader, desc=f"epoch {epoch}", leave=False, disable=None if rank == 0 else True)
        for inputs, lengths, labels in bar:
            inputs = inputs.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with autocast:
                loss = criterion(stepper(inputs, lengths).float(), labels)
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
            if ema is not None:
                ema.update_parameters(model)
            loss_sum += loss.detach() * len(labels)
            seen += len(labels)

        totals = distributed.all_reduce_sum(torch.stack([loss_sum, torch.tensor(float(seen), device=device)]))
        loss_total, seen_total = totals.tolist()
        logits = torch.zeros(len(validation), num_labels)
        logits[val_index] = batched_logits(scored, val_seqs)
        logits = distributed.all_reduce_sum(logits.to(device)).cpu()
        predictions = logits.argmax(-1)
        entry = EpochLog(
            epoch=epoch,
            train_loss=loss_total / seen_total,
            val_loss=nn.functional.cross_entropy(logits, val_labels, weight=weights.cpu()).item(),
            val_accuracy=(predictions == val_labels).float().mean().item(),
            val_macro_f1=macro_f1(val_labels.tolist(), predictions.tolist(), num_labels),
            lr=scheduler.get_last_lr()[0],
            seconds=time.perf_counter() - epoch_start,
        )
        result.history.append(entry)
        improved = entry.val_macro_f1 > result.best_val_macro_f1 or (
            config.ties == "lower_loss"
            and entry.val_macro_f1 == result.best_val_macro_f1
            and entry.val_loss < best_val_loss
        )
        log(entry.line() + ("  *" if improved else ""))
        if improved:
            result.best_epoch, result.best_val_macro_f1 = epoch, entry.val_macro_f1
            best_val_loss = entry.val_loss
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in scored.state_dict().items()}
        elif epoch - result.best_epoch >= config.patience:
            log(f"early stop: no better validation macro-F1 for {config.patience} epochs")
            finished = True
        finished = finished or epoch == config.epochs
        if checkpoint is not None:
            rng = distributed.all_gather_objects(rng_state())
            if rank == 0:
                save_checkpoint(
                    {
                        "format": "seqclf-checkpoint-1",
                        "settings": settings,
                        "epoch": epoch,
                        "finished": finished,
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "scaler": scaler.state_dict() if scaler is not None else {},
                        "ema": ema.state_dict() if ema is not None else {},
                        "rng": rng,
                        "best_epoch": result.best_epoch,
                        "best_val_macro_f1": result.best_val_macro_f1,
                        "best_model": best_state,
                        "history": [vars(e) for e in result.history],
                        "seconds": seconds_before + time.perf_counter() - started,
                    },
                    checkpoint,
                )
    model.load_state_dict(best_state)
    result.seconds = seconds_before + time.perf_counter() - started
    return result
