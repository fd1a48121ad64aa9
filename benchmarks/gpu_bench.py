"""GPU training throughput: LSTM and GRU, batch 64 to 1024, packed vs padded, fp32 vs mixed precision.

Prepared so that a short GPU loan is enough: one command, a few minutes, one table.
Each row times full training steps (host-to-device copy of a pinned batch, forward,
loss, backward, clipping, fused AdamW) on names-like sequences (3 to 12 steps) and on
sentence-like ones (5 to 50 steps), reporting sequences per second and peak memory.

Modes:

- ``seqclf``: :class:`seqclf.network.model.SequenceClassifier` exactly as the trainer runs it
  (packed sequences, max+last pooling);
- ``bare packed`` / ``bare padded``: the same embedding + recurrent layer + max-pool
  + linear head, with and without packing, to show what packing costs or saves on
  cuDNN (padded batches run every sequence to the batch's longest length).

Precisions: ``fp32``, and ``mixed`` = what the trainer uses on a GPU (fp16 autocast with
a gradient scaler on every GPU; ``seqclf.training.trainer.precision`` says why not bf16).

    python benchmarks/gpu_bench.py | tee gpu_bench.md     # a few minutes on one GPU
    python benchmarks/gpu_bench.py --device cpu --quick   # smoke test of the script
"""

from __future__ import annotations

import argparse
import itertools
import time

import torch
from machine import describe, table
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqclf.config import ModelConfig
from seqclf.data.batching import pad_batch
from seqclf.network.model import SequenceClassifier
from seqclf.training.trainer import _autocast, _grad_scaler
from seqclf.training.trainer import precision as training_precision

VOCAB, LABELS, EMBED, HIDDEN, LAYERS = 60, 18, 64, 256, 2
LENGTHS = {"names-like 3-12": (3, 12), "sentence-like 5-50": (5, 50)}


class BareRNN(nn.Module):
    """Embedding, a bidirectional recurrent layer, max-pooling over steps and a linear head."""

    def __init__(self, cell: str, packed: bool) -> None:
        super().__init__()
        self.packed = packed
        self.embedding = nn.Embedding(VOCAB, EMBED, padding_idx=0)
        rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[cell]
        self.rnn = rnn(EMBED, HIDDEN, num_layers=LAYERS, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * HIDDEN, LABELS)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        embedded = self.embedding(inputs)
        if self.packed:
            packed = pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
            outputs, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True)
        else:
            outputs, _ = self.rnn(embedded)
        return self.head(outputs.amax(dim=1))


def build(mode: str, cell: str) -> nn.Module:
    if mode == "seqclf":
        config = ModelConfig(
            num_labels=LABELS,
            vocab_size=VOCAB,
            embedding_dim=EMBED,
            cell=cell,
            hidden_size=HIDDEN,
            num_layers=LAYERS,
            pooling="max+last",
        )
        return SequenceClassifier(config)
    return BareRNN(cell, packed=mode == "bare packed")


def batches(batch_size: int, span: tuple[int, int], count: int, pin: bool) -> list[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(batch_size)
    out = []
    for _ in range(count):
        lengths = torch.randint(span[0], span[1] + 1, (batch_size,), generator=g)
        inputs, lengths = pad_batch([torch.randint(1, VOCAB, (int(n),), generator=g) for n in lengths])
        labels = torch.randint(0, LABELS, (batch_size,), generator=g)
        out.append(tuple(t.pin_memory() if pin else t for t in (inputs, lengths, labels)))
    return out


def sequences_per_second(
    model: nn.Module, data: list[tuple[torch.Tensor, ...]], device: torch.device, mixed: bool, seconds: float
) -> float:
    """Time training steps as the trainer takes them; synchronise only around the timed span."""
    model.to(device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True if device.type == "cuda" else None)
    # the trainer's own policy (fp16 autocast + GradScaler on CUDA), or plain fp32
    autocast, scaler = (
        (_autocast(device), _grad_scaler(device))
        if mixed
        else (torch.autocast(device.type, enabled=False), None)
    )

    def step(inputs: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor) -> None:
        inputs = inputs.to(device, non_blocking=True)
        labels = labels.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        with autocast:
            loss = nn.functional.cross_entropy(model(inputs, lengths).float(), labels)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()

    for batch in data[:3]:  # warm-up: cuDNN autotuning, allocator
        step(*batch)
    _sync(device)
    steps, start = 0, time.perf_counter()
    for batch in itertools.cycle(data):
        step(*batch)
        steps += 1
        if steps % len(data) == 0:
            _sync(device)
            if time.perf_counter() - start >= seconds:
                break
    return steps * data[0][0].shape[0] / (time.perf_counter() - start)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 128, 256, 512, 1024])
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds per row")
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (e.g. on a CPU)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(
            "no CUDA GPU here: this benchmark is for a GPU (use --device cpu --quick to smoke-test)"
        )
    if args.quick:
        args.batch_sizes, args.seconds = [8, 16], 0.2
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    precisions = ["fp32", "mixed"] if device.type == "cuda" else ["fp32"]
    mixed_name = ""
    if device.type == "cuda":
        mixed_name = training_precision(device).label
    rows = []
    for (span_name, span), cell, batch_size in itertools.product(
        LENGTHS.items(), ("lstm", "gru"), args.batch_sizes
    ):
        data = batches(batch_size, span, 4 if args.quick else 16, pin=device.type == "cuda")
        for mode, precision in itertools.product(("seqclf", "bare packed", "bare padded"), precisions):
            torch.manual_seed(0)
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            try:
                rate = sequences_per_second(
                    build(mode, cell), data, device, precision == "mixed", args.seconds
                )
                result = f"{rate:,.0f}"
            except torch.OutOfMemoryError:
                result = "out of memory"
                torch.cuda.empty_cache()
            except RuntimeError as err:  # e.g. a kernel this GPU lacks: report it, keep going
                result = "error: " + str(err).splitlines()[0][:80]
            memory = (
                f"{torch.cuda.max_memory_allocated(device) / 2**20:,.0f}" if device.type == "cuda" else ""
            )
            rows.append([span_name, cell, batch_size, mode, precision, result, memory])
            print(" | ".join(map(str, rows[-1])), flush=True)
    print()
    print(describe())
    print(
        f"model: embedding {EMBED}, {LAYERS} layers x {HIDDEN} per direction, bidirectional; "
        f"mixed = {mixed_name or 'n/a on CPU'}; {args.seconds:g} s timed per row after 3 warm-up steps"
    )
    print()
    print(table(["lengths", "cell", "batch", "mode", "precision", "sequences/s", "peak MiB"], rows))


if __name__ == "__main__":
    main()
