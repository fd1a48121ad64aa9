"""``seqclf train text`` on text CSVs of growing size: preparation time, peak memory, steps/s.

For each row count it writes a CSV of that many labelled sentences (``--make``: halves of
two SST-2 training sentences of one label joined, so rows are nearly all distinct and the
labels mean something), then runs ``seqclf train text --data FILE --checkpoint-steps K`` as
its own process (or ``--processes 2`` under ``torchrun``) with the recipe the data chooses,
and stops it once the checkpoint says ``--steps`` optimiser steps are done. From the
checkpoint: the training steps and the seconds they took (``step_seconds``); preparation is
the wall time before the first step (reading, de-duplicating, splitting, fitting the
vocabulary, encoding to disk). Peak resident memory is the kernel's high-water mark
(``VmHWM``) of each training process, read just before it is stopped, the largest of the
processes shown. The run's last stage (scoring the test part, the baseline, writing the
model) is not reached and not measured here.

    python benchmarks/train_memory.py --rows 200000 2000000 20000000 --processes 1 2
    python benchmarks/train_memory.py --rows 200000 2000000 --seqclf ../wt-before  # a checkout of 8565afd

The CSVs go to ``--workdir`` (20M rows are 2.1 GB; the prepared data as much again under
``$TMPDIR`` while a run lasts) and are kept for the next invocation.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from machine import describe, table


def make_csv(source: Path, rows: int, out: Path, seed: int = 0) -> None:
    """``rows`` sentences, each the first half of one source sentence and the second of another
    of the same label."""
    with source.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        by_label: dict[str, list[list[str]]] = {}
        for row in reader:
            by_label.setdefault(row["label"], []).append(row["sentence"].split())
    rng = np.random.default_rng(seed)
    labels = sorted(by_label)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            chosen = rng.integers(0, len(labels), n)
            for label_index, a, b in zip(chosen, rng.random(n), rng.random(n), strict=True):
                pool = by_label[labels[label_index]]
                first, second = pool[int(a * len(pool))], pool[int(b * len(pool))]
                words = first[: max(1, len(first) // 2)] + second[len(second) // 2 :]
                writer.writerow([" ".join(words), labels[label_index]])


def _peak_mib(pids: list[int]) -> float:
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM")]
    return max(peaks, default=float("nan"))


def _trainers(root: int) -> list[int]:
    """``root`` and its descendants that run seqclf (torchrun's workers are its children)."""
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        if b"seqclf" in cmdline and b"torchrun" not in cmdline:
            found.append(pid)
        queue += [int(c) for c in children]
    return found


def run(
    data: Path, processes: int, steps: int, every: int, threads: int, checkout: Path | None
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        model = Path(out) / "model"
        args = ["train", "text", "--data", str(data), "--out", str(model), "--checkpoint-steps", str(every)]
        args += ["--no-baseline"]
        launcher = [sys.executable, "-m", "seqclf"]
        if processes > 1:
            launcher = [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--standalone",
                "--nproc_per_node",
                str(processes),
                "-m",
                "seqclf",
            ]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        if checkout is not None:  # another checkout's seqclf, for the before-and-after rows
            env["PYTHONPATH"] = str(checkout.resolve())
        started = time.perf_counter()
        child = subprocess.Popen(
            [*launcher, *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        checkpoint = model / "checkpoint.pt"
        seen_mtime, peak, result = 0.0, 0.0, None
        try:
            while child.poll() is None:
                time.sleep(0.5)
                peak = max(peak, _peak_mib(_trainers(child.pid)))
                if checkpoint.exists() and checkpoint.stat().st_mtime != seen_mtime:
                    seen_mtime = checkpoint.stat().st_mtime
                    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
                    if result is None:
                        first = time.perf_counter() - started
                        result = {"prepare_s": first - state["step_seconds"]}
                    if state["step"] >= steps:
                        result["steps_per_s"] = state["step"] / state["step_seconds"]
                        break
            else:
                raise SystemExit(f"training ended early:\n{child.stderr.read().decode()[-3000:]}")
        finally:
            trainers = _trainers(child.pid)  # torchrun starts each worker in a session of its own
            peak = max(peak, _peak_mib(trainers))
            for pid in [child.pid, *trainers]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)  # seqclf train exits and removes its prepared data
            child.wait()
        assert result is not None
        return {**result, "peak_mib": peak}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 2_000_000, 20_000_000])
    parser.add_argument("--processes", type=int, nargs="+", default=[1])
    parser.add_argument("--source", type=Path, default=Path("../shared/data/sst2/train.tsv"))
    parser.add_argument("--workdir", type=Path, default=Path("runs/train-memory"))
    parser.add_argument("--steps", type=int, default=100, help="optimiser steps timed per run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument(
        "--seqclf", type=Path, help="run the seqclf of this checkout (e.g. one before a change)"
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.rows:
        data = args.workdir / f"texts-{n}.csv"
        if not data.exists():
            make_csv(args.source, n, data)
        for processes in args.processes:
            measured = run(data, processes, args.steps, args.steps // 2, args.threads, args.seqclf)
            rows.append(
                [
                    f"{n:,}",
                    processes,
                    f"{data.stat().st_size / 2**20:,.0f} MiB",
                    f"{measured['prepare_s']:,.0f} s",
                    f"{n / measured['prepare_s']:,.0f}",
                    f"{measured['peak_mib']:,.0f} MiB",
                    f"{measured['steps_per_s']:.1f}",
                ]
            )
            print(rows[-1], flush=True)
    print(describe())
    headers = ["rows", "processes", "CSV", "preparation", "rows/s", "peak RSS (per process)", "steps/s"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
