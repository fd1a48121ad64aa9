"""The training loop: AdamW, clipped BPTT, class weights, early stopping on macro-F1.

Kept as plain PyTorch rather than a framework so every step the lecture names is
visible: unrolled forward over packed sequences, backpropagation through time,
gradient-norm clipping, the optimiser step. On CUDA it uses cuDNN's RNN kernels
and fp16 autocast with a gradient scaler (see :func:`precision` for why not bf16).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from seqclf.config import TrainConfig
from seqclf.data.batching import BucketBatchSampler, collate
from seqclf.data.encoded import Encoded
from seqclf.errors import ConfigError
from seqclf.evaluation.metrics import macro_f1
from seqclf.inference.batching import batched_logits
from seqclf.network.model import SequenceClassifier
from seqclf.record import EpochLog
from seqclf.training import distributed
from seqclf.training.averaging import DeviceEMA
from seqclf.training.checkpoint import (
    CHECKPOINT_FORMAT,
    check_settings,
    data_fingerprint,
    rng_state,
    set_rng_state,
)
from seqclf.training.checkpoint import load as load_checkpoint
from seqclf.training.checkpoint import save_atomic as save_checkpoint


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def class_weights(label_ids: Sequence[int] | np.ndarray, num_labels: int, scheme: str) -> torch.Tensor:
    """Cross-entropy weights from class frequencies; mean weight over examples is 1."""
    counts = np.bincount(np.asarray(label_ids, dtype=np.int64), minlength=num_labels)
    n = torch.tensor(counts, dtype=torch.float64).clamp(min=1)
    if scheme == "none":
        weights = torch.ones(num_labels, dtype=torch.float64)
    else:
        weights = n.sum() / (num_labels * n)
        if scheme == "sqrt":
            weights = weights.sqrt()
    weights = weights * n.sum() / (weights * n).sum()
    return weights.float()


@dataclass(frozen=True)
class Precision:
    """What a training step computes in: an autocast dtype (None: fp32) and gradient scaling."""

    dtype: torch.dtype | None
    scaled: bool

    @property
    def label(self) -> str:
        """As the docs and ``benchmarks/gpu_bench.py`` name it."""
        if self.dtype is None:
            return "fp32"
        name = "fp16" if self.dtype == torch.float16 else str(self.dtype).removeprefix("torch.")
        return f"{name} autocast" + (" + GradScaler" if self.scaled else "")


def precision(device: torch.device) -> Precision:
    """fp16 autocast with a GradScaler on every CUDA GPU; fp32 on any other device.

    Not bf16, even on GPUs that have it: PyTorch's autocast wrapper for cuDNN's RNN
    (``_cudnn_rnn_cast_reflatten`` in ``aten/src/ATen/cudnn/AutocastRNN.cpp``) casts the
    input, hidden state and weights to Half whatever dtype autocast was given. Under
    "bf16" autocast the recurrence, most of these models' compute, would run in fp16
    with no scaler, and small gradients would underflow. So one policy that says what
    runs: fp16 for the whole forward pass, the loss in fp32, gradients scaled.
    """
    if device.type != "cuda":
        return Precision(None, scaled=False)
    return Precision(torch.float16, scaled=True)


def _autocast(device: torch.device) -> Any:
    """The forward pass's autocast context under :func:`precision` (none off CUDA)."""
    chosen = precision(device)
    if chosen.dtype is None:
        return nullcontext()
    return torch.autocast(device.type, dtype=chosen.dtype)


def _grad_scaler(device: torch.device) -> torch.amp.GradScaler | None:
    """fp16 gradients need scaling so that small ones do not underflow; fp32 ones do not."""
    return torch.amp.GradScaler(device.type) if precision(device).scaled else None


@dataclass
class TrainState:
    """Everything training changes from one epoch to the next, so everything a checkpoint holds.

    :meth:`state_dict` and :meth:`load_state_dict` are the checkpoint's layout, written
    and read in this one place. ``epoch`` is the last finished epoch; ``best_model`` the
    weights that scored best on validation (the moving average's, with EMA).
    """

    model: SequenceClassifier
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler | None
    ema: DeviceEMA | None
    epoch: int = 0
    finished: bool = False
    best_epoch: int = 0
    best_val_macro_f1: float = -1.0
    best_val_loss: float = math.inf
    best_model: dict[str, torch.Tensor] = field(default_factory=dict)
    #: the last epoch whose macro-F1 rose by ``min_delta`` over the previous such epoch's;
    #: patience counts from here (a tie on a lower loss keeps new weights, not the run going)
    progress_epoch: int = 0
    progress_macro_f1: float = -1.0
    history: list[EpochLog] = field(default_factory=list)
    seconds: float = 0.0
    #: written mid-epoch: the batches finished in epoch ``epoch + 1``, and that part-epoch's
    #: seconds and this process's summed loss and examples (all 0 at an epoch's end); the
    #: checkpoint keeps every process's sums (``step_sums``), each resumes with its own
    step: int = 0
    step_loss: float = 0.0
    step_seen: int = 0
    step_seconds: float = 0.0

    @property
    def scored(self) -> nn.Module:
        """The weights that are validated and kept: the live model, or its moving average."""
        return self.ema.module if self.ema is not None else self.model

    def observe(self, entry: EpochLog, ties: str, min_delta: float) -> bool:
        """Log an epoch's figures; keep its weights if they are the best yet (returned)."""
        self.history.append(entry)
        self.epoch = entry.epoch
        if entry.val_macro_f1 >= self.progress_macro_f1 + min_delta:
            self.progress_epoch, self.progress_macro_f1 = entry.epoch, entry.val_macro_f1
        improved = entry.val_macro_f1 > self.best_val_macro_f1 or (
            ties == "lower_loss"
            and entry.val_macro_f1 == self.best_val_macro_f1
            and entry.val_loss < self.best_val_loss
        )
        if improved:
            self.best_epoch, self.best_val_macro_f1 = entry.epoch, entry.val_macro_f1
            self.best_val_loss = entry.val_loss
            self.best_model = {
                k: v.detach().to("cpu", copy=True) for k, v in self.scored.state_dict().items()
            }
        return improved

    def state_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "finished": self.finished,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler is not None else {},
            "ema": self.ema.state_dict() if self.ema is not None else {},
            "best_epoch": self.best_epoch,
            "best_val_macro_f1": self.best_val_macro_f1,
            "best_model": self.best_model,
            "progress_epoch": self.progress_epoch,
            "progress_macro_f1": self.progress_macro_f1,
            "history": [asdict(e) for e in self.history],
            "seconds": self.seconds,
            "step": self.step,
            "step_seconds": self.step_seconds,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        # The saved param groups carry the writing run's fused/foreach choice, which need
        # not suit this device (a CPU-written checkpoint resumed on CUDA, or back); keep
        # the choice this run's optimizer was built with.
        chosen = [{k: g.get(k) for k in ("fused", "foreach")} for g in self.optimizer.param_groups]
        self.optimizer.load_state_dict(state["optimizer"])
        for group, flags in zip(self.optimizer.param_groups, chosen, strict=True):
            group.update(flags)
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state["scaler"]:
            self.scaler.load_state_dict(state["scaler"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])
        self.epoch, self.finished = state["epoch"], state["finished"]
        self.best_epoch, self.best_val_macro_f1 = state["best_epoch"], state["best_val_macro_f1"]
        self.history = [EpochLog(**entry) for entry in state["history"]]
        # before the first epoch's end (a mid-epoch checkpoint) nothing has been scored yet
        self.best_val_loss = next((h.val_loss for h in self.history if h.epoch == self.best_epoch), math.inf)
        self.best_model, self.seconds = state["best_model"], state["seconds"]
        self.progress_epoch = state["progress_epoch"]
        self.progress_macro_f1 = state["progress_macro_f1"]
        # a format-2 checkpoint (before mid-epoch steps) was always written at an epoch's end
        self.step, self.step_seconds = state.get("step", 0), state.get("step_seconds", 0.0)

    def end_epoch_part(self) -> None:
        """The epoch is whole: no part-epoch left to resume."""
        self.step, self.step_loss, self.step_seen, self.step_seconds = 0, 0.0, 0, 0.0

    def last_epoch(self, config: TrainConfig) -> int:
        """The epoch training ends after unless validation makes progress before then."""
        return min(config.epochs, self.progress_epoch + config.patience)


def _time_left(state: TrainState, epoch: int, last: int) -> str:
    """The estimate a user waits on: the epochs left until the stopping rule ends the run."""
    if epoch >= last:
        return ""
    left = state.seconds / len(state.history) * (last - epoch)
    return f"  ends by epoch {last} (~{_duration(left)}) unless validation improves"


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _new_state(
    model: SequenceClassifier, config: TrainConfig, device: torch.device, steps: int
) -> TrainState:
    """AdamW, warm-up then cosine decay over ``steps`` per epoch, mixed precision, EMA."""
    # The fused CUDA kernel updates all parameters in a few launches instead of several per tensor.
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.lr,
        weight_decay=config.weight_decay,
        fused=True if device.type == "cuda" else None,
    )
    total_steps = config.epochs * steps
    warmup = max(1, int(config.warmup_epochs * steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min(
            (step + 1) / warmup, 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
        ),
    )
    ema = DeviceEMA(model, config.ema_decay) if config.ema_decay > 0 else None
    if ema is not None:
        # The average is a deep copy, and a copied cuDNN RNN holds its weights in separate
        # tensors, which cuDNN would warn about and compact on every validation pass.
        # Re-packing them once fixes that; on the CPU this does nothing.
        for module in ema.modules():
            if isinstance(module, nn.RNNBase):
                module.flatten_parameters()
    return TrainState(model, optimizer, scheduler, _grad_scaler(device), ema)


def _train_epoch(
    state: TrainState,
    stepper: nn.Module,
    loader: DataLoader,
    criterion: nn.Module,
    config: TrainConfig,
    device: torch.device,
    show_progress: bool,
    resumed_rng: dict[str, Any] | None = None,
    on_step: Callable[[int, torch.Tensor, int], None] | None = None,
) -> tuple[torch.Tensor, int]:
    """One pass of clipped BPTT over the batches; the summed loss (on the device) and the count.

    A state checkpointed mid-epoch goes on from batch ``state.step + 1`` with that
    part-epoch's sums (the sampler skips the batches done); ``on_step`` gets each step's
    number and running sums, for checkpoints between epochs' ends.
    """
    state.model.train()
    autocast = _autocast(device)
    optimizer, scaler = state.optimizer, state.scaler
    # Accumulate on the device; reading the loss every step would synchronise.
    loss_sum = torch.full((), state.step_loss, device=device)
    seen = state.step_seen
    bar = tqdm(
        loader,
        total=len(loader),
        initial=state.step,
        desc=f"epoch {state.epoch + 1}",
        leave=False,
        disable=None if show_progress else True,
    )
    for step, (inputs, lengths, labels) in enumerate(bar, start=state.step + 1):
        if resumed_rng is not None:
            # after the loader drew its seeds from torch's RNG (tqdm.auto's tqdm opens one
            # iterator of its own too) and before the step's first draw, as the killed run had it
            set_rng_state(resumed_rng)
            resumed_rng = None
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
            nn.utils.clip_grad_norm_(state.model.parameters(), config.clip_norm)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        state.scheduler.step()
        if state.ema is not None:
            state.ema.update_parameters(state.model)
        loss_sum += loss.detach() * len(labels)
        seen += len(labels)
        if on_step is not None:
            on_step(step, loss_sum, seen)
    return loss_sum, seen


@dataclass
class _Validation:
    """The validation examples, each process scoring every world-th; metrics on all of them."""

    examples: Encoded
    weights: torch.Tensor
    num_labels: int

    def __post_init__(self) -> None:
        world, rank = distributed.world_size(), distributed.rank()
        self.index = torch.arange(rank, len(self.examples), world)
        self.share = self.examples.subset(self.index.numpy()).sequences
        self.labels = torch.from_numpy(self.examples.label_ids).long()

    def score(self, model: nn.Module, device: torch.device) -> tuple[float, float, float]:
        """Loss, accuracy and macro-F1 of ``model`` on the whole validation set.

        The logits of each process's share are summed into one full table, so every
        process sees the same metrics and all stop together.
        """
        logits = torch.zeros(len(self.examples), self.num_labels)
        logits[self.index] = batched_logits(model, self.share)
        logits = distributed.all_reduce_sum(logits.to(device)).cpu()
        predictions = logits.argmax(-1)
        return (
            nn.functional.cross_entropy(logits, self.labels, weight=self.weights).item(),
            (predictions == self.labels).float().mean().item(),
            macro_f1(self.labels.tolist(), predictions.tolist(), self.num_labels),
        )


def train_model(
    model: SequenceClassifier,
    train: Sequence[tuple[torch.Tensor, int]],
    validation: Sequence[tuple[torch.Tensor, int]],
    config: TrainConfig,
    device: torch.device,
    log: Callable[[str], None] = tqdm.write,
    checkpoint: Path | None = None,
    resume: bool = False,
    on_epoch: Callable[[EpochLog], None] | None = None,
    checkpoint_steps: int = 0,
) -> TrainState:
    """Fit ``model`` in place and leave it holding the best validation weights.

    ``train`` and ``validation`` are encoded ``(sequence, label_id)`` pairs
    (:class:`~seqclf.data.encoded.Encoded`, in memory or on disk, or a list). With
    ``checkpoint``, the whole training state is written there after every epoch, and with
    ``checkpoint_steps`` also after every that many optimiser steps inside an epoch; with
    ``resume``, training continues from that file (mid-epoch: from the step after it) and
    ends exactly where an uninterrupted run would. Inside a torchrun job (see
    :mod:`seqclf.training.distributed`) each process trains on its share of the batches
    under DistributedDataParallel, metrics are summed over processes, and only rank 0
    logs, writes the checkpoint and calls ``on_epoch`` with each epoch's log (a run's
    trackers, :mod:`seqclf.training.reporting`). Returns the final state: its history, best
    epoch and seconds are the run's record.
    """
    world, rank = distributed.world_size(), distributed.rank()
    log = distributed.main_only(log)
    # Dropout masks differ between processes; rank 0 draws what a single process would.
    seed_everything(config.seed + rank)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    model.to(device)

    train, validation = Encoded.of(train), Encoded.of(validation)
    sampler = BucketBatchSampler(
        train.lengths, config.batch_size, seed=config.seed, num_replicas=world, rank=rank
    )
    loader = DataLoader(train, batch_sampler=sampler, collate_fn=collate, pin_memory=device.type == "cuda")
    weights = class_weights(train.label_ids, model.config.num_labels, config.class_weighting)
    criterion = nn.CrossEntropyLoss(weight=weights.to(device), label_smoothing=config.label_smoothing)
    scoring = _Validation(validation, weights, model.config.num_labels)
    state = _new_state(model, config, device, len(sampler))
    settings = {
        "train": config.to_dict(),
        "model": model.config.to_dict(),
        # hashed by rank 0 alone: every example, which the other processes never read
        "data": distributed.made_by_main_process(lambda: data_fingerprint(train, validation)),
        "processes": world,
    }
    resumed_rng = None  # a mid-epoch checkpoint's RNG states wait for the epoch's loader
    if resume:
        if checkpoint is None:
            raise ConfigError("resuming needs a checkpoint path")
        saved = load_checkpoint(checkpoint)
        check_settings(saved["settings"], settings, checkpoint)
        state.load_state_dict(saved)
        if state.step:
            state.step_loss, state.step_seen = saved["step_sums"][rank]
            resumed_rng = saved["rng"][rank]
            log(f"resumed from {checkpoint} at step {state.step} of epoch {state.epoch + 1}")
        else:
            set_rng_state(saved["rng"][rank])
            log(f"resumed from {checkpoint} after epoch {state.epoch}")
    # DDP averages gradients over processes during backward. No device_ids: with them,
    # DDP would move the CPU lengths that packing needs onto the GPU.
    stepper = DistributedDataParallel(model) if world > 1 else model

    seconds_before, started = state.seconds, time.perf_counter()

    def save() -> None:
        state.seconds = seconds_before + time.perf_counter() - started
        # every process's RNG states and part-epoch sums, gathered by all in one exchange
        gathered = distributed.all_gather_objects((rng_state(), [state.step_loss, state.step_seen]))
        if rank == 0:
            save_checkpoint(
                {
                    "format": CHECKPOINT_FORMAT,
                    "settings": settings,
                    "rng": [rng for rng, _ in gathered],
                    "step_sums": [sums for _, sums in gathered],
                    **state.state_dict(),
                },
                checkpoint,
            )

    def save_mid_epoch(step: int, loss_sum: torch.Tensor, seen: int) -> None:
        if step % checkpoint_steps == 0 and step < len(sampler):  # the epoch's end has its own
            state.step, state.step_loss, state.step_seen = step, loss_sum.item(), seen
            state.step_seconds = time.perf_counter() - epoch_start
            save()

    on_step = save_mid_epoch if checkpoint is not None and checkpoint_steps > 0 else None
    while not state.finished:
        epoch, epoch_start = state.epoch + 1, time.perf_counter() - state.step_seconds
        sampler.set_epoch(epoch, start=state.step)
        loss_sum, seen = _train_epoch(
            state, stepper, loader, criterion, config, device, rank == 0, resumed_rng, on_step
        )
        resumed_rng = None
        state.end_epoch_part()
        totals = distributed.all_reduce_sum(torch.stack([loss_sum, torch.tensor(float(seen), device=device)]))
        loss_total, seen_total = totals.tolist()
        val_loss, val_accuracy, val_macro_f1 = scoring.score(state.scored, device)
        entry = EpochLog(
            epoch=epoch,
            train_loss=loss_total / seen_total,
            val_loss=val_loss,
            val_accuracy=val_accuracy,
            val_macro_f1=val_macro_f1,
            lr=state.scheduler.get_last_lr()[0],
            seconds=time.perf_counter() - epoch_start,
        )
        improved = state.observe(entry, config.ties, config.min_delta)
        state.seconds = seconds_before + time.perf_counter() - started
        last = state.last_epoch(config)
        if epoch >= last:
            state.finished = True
        log(entry.line() + ("  *" if improved else "  ") + _time_left(state, epoch, last))
        if on_epoch is not None and rank == 0:
            on_epoch(entry)
        if state.finished and epoch < config.epochs:
            log(
                f"early stop: validation macro-F1 has not risen by {config.min_delta:g} "
                f"for {config.patience} epochs"
            )
        if checkpoint is not None:
            save()
    model.load_state_dict(state.best_model)
    state.seconds = seconds_before + time.perf_counter() - started
    return state
