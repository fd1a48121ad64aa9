"""ONNX Runtime against ``Predictor``: in-process throughput of an exported model on this CPU.

For each model (models/names, a 5-network ensemble; models/sentiment, one word-level
GRU), the model is exported with ``seqclf export`` and both run the same inputs (the
lines of examples/NAME.txt, repeated to fill a batch) in batches of 1 and 64, two ways:

- **from text**: ``Predictor.predict(texts, top_k=None)`` against what an ONNX Runtime
  client does — encode with the same encoder, pad, ``session.run`` — so both include
  tokenising (Predictor also builds its label/score dicts);
- **forward only**: ``Predictor.probabilities(encoded)`` against ``session.run`` on the
  already padded batch: the model's arithmetic alone.

Both get the same number of intra-op threads (``--threads``, default 1, as the other
benchmarks: on a small shared machine spinning threads cost more than they give), and
they take turns in short slices, so both see the same load from the rest of the
machine. Each row also gives the largest difference between the two's probabilities on
its batch.

    python benchmarks/onnx_bench.py
    python benchmarks/onnx_bench.py --threads 2 --seconds 5

Needs the export extra (``pip install 'seqclf[export]'``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from itertools import cycle, islice
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from machine import describe, table

from seqclf.inference.predictor import Predictor
from seqclf.network.export import ONNX_NAME, export

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("names", "sentiment")
BATCH_SIZES = (1, 64)


def timed_pair(
    first: Callable[[], object], second: Callable[[], object], seconds: float
) -> tuple[list[float], list[float]]:
    """Seconds per call of each, after warm-up, taking turns in slices of 0.25 s.

    Taking turns gives both the same share of whatever else the machine runs, so the
    ratio of the two holds even when the absolute rates move with the load.
    """
    latencies: tuple[list[float], list[float]] = ([], [])
    for call in (first, second):
        call()
        call()
    while min(sum(one) for one in latencies) < seconds:
        for call, spent in zip((first, second), latencies, strict=True):
            deadline = time.perf_counter() + 0.25
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                call()
                spent.append(time.perf_counter() - started)
    return latencies


def padded(encoded: list[torch.Tensor]) -> tuple[np.ndarray, np.ndarray]:
    """The right-padded batch and lengths an ONNX Runtime client sends (token ids)."""
    lengths = np.array([len(ids) for ids in encoded], dtype=np.int64)
    batch = np.zeros((len(encoded), lengths.max()), dtype=np.int64)
    for row, ids in zip(batch, encoded, strict=True):
        row[: len(ids)] = ids.numpy()
    return batch, lengths


def bench_model(name: str, threads: int, seconds: float, folder: Path) -> list[list[object]]:
    source = ROOT / "models" / name
    export(source, folder / name)
    predictor = Predictor.from_pretrained(source, device="cpu")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        str(folder / name / ONNX_NAME), options, providers=["CPUExecutionProvider"]
    )
    examples = (ROOT / "examples" / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    lines = [line for line in examples if line.strip()]

    def run_onnx(batch: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        return session.run(["probabilities"], {"inputs": batch, "lengths": lengths})[0]

    def onnx_from_text(texts: list[str]) -> np.ndarray:
        return run_onnx(*padded([predictor.encoder.encode(text) for text in texts]))

    rows = []
    for batch_size in BATCH_SIZES:
        texts = list(islice(cycle(lines), batch_size))
        encoded = predictor.encode(texts)
        batch, lengths = padded(encoded)
        difference = float(np.abs(run_onnx(batch, lengths) - predictor.probabilities(encoded).numpy()).max())
        pairs = {
            "from text": (
                lambda texts=texts: predictor.predict(texts, top_k=None),
                lambda texts=texts: onnx_from_text(texts),
            ),
            "forward only": (
                lambda encoded=encoded: predictor.probabilities(encoded),
                lambda batch=batch, lengths=lengths: run_onnx(batch, lengths),
            ),
        }
        for path, (torch_call, onnx_call) in pairs.items():
            ours, theirs = timed_pair(torch_call, onnx_call, seconds)
            rate_ours = batch_size * len(ours) / sum(ours)
            rate_theirs = batch_size * len(theirs) / sum(theirs)
            rows.append(
                [
                    name,
                    batch_size,
                    path,
                    f"{rate_ours:,.0f}",
                    f"{rate_theirs:,.0f}",
                    f"{rate_theirs / rate_ours:.2f}x",
                    f"{statistics.median(ours) * 1000:.2f}",
                    f"{statistics.median(theirs) * 1000:.2f}",
                    f"{difference:.1e}",
                ]
            )
            print(f"{name} batch {batch_size} {path}: {rate_ours:.0f} vs {rate_theirs:.0f} inputs/s")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads for torch and ONNX Runtime")
    parser.add_argument("--seconds", type=float, default=3.0, help="timed seconds per target and row")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    notes, rows = [], []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models:
            if not (ROOT / "models" / name / "config.json").is_file():
                notes.append(f"{name}: skipped, models/{name} absent")
                continue
            rows += bench_model(name, args.threads, args.seconds, Path(folder))
    print()
    print(describe())
    print(f"onnxruntime {ort.__version__}, {args.threads} intra-op thread(s); {args.seconds:g} s per cell")
    for note in notes:
        print(f"note: {note}")
    print()
    headers = [
        "model",
        "batch",
        "path",
        "Predictor inputs/s",
        "ONNX Runtime inputs/s",
        "ORT / Predictor",
        "Predictor p50 ms",
        "ORT p50 ms",
        "max prob. diff",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
