"""How close a recurrent training step comes to this machine's matmul speed.

A GRU or LSTM step is a few matrix products plus elementwise gate arithmetic, so the
best it can do is the FLOP/s of a plain matmul. This script measures, in one run:

- ``matmul``: ``torch.mm`` FLOP/s on a large square product (near the peak) and on the
  shape one recurrent step multiplies (batch x hidden by hidden x gates*hidden);
- ``layer``: forward + backward of the bare ``nn.GRU``/``nn.LSTM`` on a full batch;
- ``train step``: a whole seqclf training step (embedding, packed recurrence,
  pooling, head, loss, backward, clipping, AdamW) on batches of real-length names.

Recurrent FLOPs are counted analytically: per step, layer and direction a cell does
``gates x (input + hidden) x hidden`` multiply-adds (2 FLOPs each; gates = 3 for a GRU,
4 for an LSTM), and backward costs about twice forward, so a training step is ~3x
forward. Elementwise gate work and the head are left out, so the figures slightly
understate the work done.

    python benchmarks/rnn_flops.py [--threads N]   # about a minute
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

import torch
from machine import describe, table
from torch import nn

from seqclf.config import ModelConfig
from seqclf.data.batching import pad_batch
from seqclf.network.model import SequenceClassifier

GATES = {"gru": 3, "lstm": 4}


def recurrent_flops(
    cell: str, input_size: int, hidden: int, layers: int, directions: int, steps: int
) -> float:
    """Forward + backward FLOPs of the recurrent layers over ``steps`` sequence steps in total."""
    per_step = 0
    for layer in range(layers):
        inputs = input_size if layer == 0 else hidden * directions
        per_step += directions * GATES[cell] * (inputs + hidden) * hidden * 2
    return 3 * per_step * steps


def seconds_per_call(fn: Callable[[], object], budget: float) -> float:
    """Best wall time of ``fn`` over repeats filling about ``budget`` seconds, after a warm-up.

    The best, not the median: on a shared machine other processes only ever slow a call
    down, so the fastest repeat is the closest to what the hardware can do.
    """
    fn()
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline or len(times) < 3:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def layer_step(layer: nn.Module, inputs: torch.Tensor) -> None:
    out, _ = layer(inputs)
    out.sum().backward()


def train_step(
    model: SequenceClassifier,
    optimizer: torch.optim.Optimizer,
    tokens: torch.Tensor,
    lengths: torch.Tensor,
    labels: torch.Tensor,
) -> None:
    """What seqclf's trainer does per batch on a CPU."""
    optimizer.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(model(tokens, lengths), labels).backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8, help="sequence length of the bare-layer batch")
    parser.add_argument("--budget", type=float, default=4.0, help="seconds of timing per row")
    parser.add_argument("--threads", type=int, help="intra-op threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    b, h, e, layers, t = args.batch_size, args.hidden_size, args.embedding_dim, args.num_layers, args.steps
    rows = []

    for m, k, n, what in [
        (1024, 1024, 1024, "square 1024"),
        (b, h, 3 * h, f"GRU step {b}x{h} @ {h}x{3 * h}"),
    ]:
        product = partial(torch.mm, torch.randn(m, k), torch.randn(k, n))
        rows.append(["matmul", what, f"{2 * m * k * n / seconds_per_call(product, args.budget) / 1e9:.1f}"])
    peak = max(float(rows[0][2]), float(rows[1][2]))
    for row in rows:
        row += [f"{100 * float(row[2]) / peak:.0f}%", ""]

    # Names-like lengths (3..12 characters) for the whole training step.
    lengths = torch.randint(3, 13, (b,), generator=torch.Generator().manual_seed(0))
    tokens, lengths = pad_batch([torch.randint(1, 60, (int(n),)) for n in lengths])
    labels = torch.randint(0, 18, (b,))
    for cell in ("gru", "lstm"):
        rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[cell](
            e, h, num_layers=layers, bidirectional=True, batch_first=True
        )
        seconds = seconds_per_call(partial(layer_step, rnn, torch.randn(b, t, e)), args.budget)
        flops = recurrent_flops(cell, e, h, layers, 2, b * t)
        rows.append(["layer", f"{cell} {layers}x{h} bi, {b}x{t} padded", *_rates(flops, seconds, b, peak)])

        model = SequenceClassifier(
            ModelConfig(
                num_labels=18, vocab_size=60, embedding_dim=e, cell=cell, hidden_size=h, num_layers=layers
            )
        )
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        seconds = seconds_per_call(
            partial(train_step, model, optimizer, tokens, lengths, labels), args.budget
        )
        flops = recurrent_flops(cell, e, h, layers, 2, int(lengths.sum()))
        rows.append(["train step", f"{cell} seqclf, {b} names, packed", *_rates(flops, seconds, b, peak)])

    print(describe())
    print()
    print(table(["what", "shape", "GFLOP/s", "% of best matmul", "sequences/s"], rows))


def _rates(flops: float, seconds: float, batch: int, peak: float) -> list[str]:
    gflops = flops / seconds / 1e9
    return [f"{gflops:.1f}", f"{100 * gflops / peak:.0f}%", f"{batch / seconds:,.0f}"]


if __name__ == "__main__":
    main()
