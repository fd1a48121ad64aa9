"""``seqclf predict --input`` on files of many lines: memory, and throughput against the ceiling.

For each line count it writes a text file of that many sentences (the source's sentences
over and over), runs ``seqclf predict MODEL --input FILE -o OUT.jsonl`` as its own process,
and reports that process's wall time, CPU time, lines per CPU second and peak resident memory
(the kernel's ``ru_utime + ru_stime`` and ``ru_maxrss`` for the child, from ``os.wait4``).
Throughput is compared in CPU seconds, with one torch thread on each side: on a shared
machine other work stretches wall time by whatever it takes, CPU time far less. Beside it,
the in-process ceiling
of the same model on the same thread count: ``Predictor.predict`` over the first
``--ceiling-lines`` sentences already in memory, in one call (one length sort over all of
them, so the least padding), which leaves out reading, checking and writing. The ceiling is
measured just before and just after each command and the two averaged, so other work on
the machine weighs on both sides alike. Every output file is then read back to check it has
one line per input line, in input order.

    python benchmarks/predict_stream.py --model models/sentiment \
        --source ../shared/data/sst2/train.tsv --lines 100000 1000000

Each size's input and output files are written under ``--workdir`` and deleted after it
(10M lines of SST-2 sentences are 0.6 GB in, 1.5 GB out).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

import torch
from machine import describe, table

from seqclf.inference.predictor import Predictor

TOP_K = 3


def sentences(source: Path) -> list[str]:
    """The first column of each line of a text or TSV file (a header ``sentence`` skipped)."""
    lines = source.read_text(encoding="utf-8").splitlines()
    texts = [line.split("\t")[0].strip() for line in lines]
    return [t for t in texts if t and t != "sentence"]


def write_lines(path: Path, texts: list[str], count: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        block = 100_000
        it = cycle(texts)
        for start in range(0, count, block):
            handle.write("\n".join(islice(it, min(block, count - start))) + "\n")


def ceiling(predictor: Predictor, texts: list[str], lines: int) -> float:
    """Lines per CPU second of ``Predictor.predict`` on ``lines`` sentences held in memory."""
    given = list(islice(cycle(texts), lines))
    start = time.process_time()
    predictor.predict(given, top_k=TOP_K)
    return lines / (time.process_time() - start)


def run_cli(model: str, source: Path, out: Path, threads: int, batch_size: int) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of ``seqclf predict --input source -o out``."""
    command = [sys.executable, "-m", "seqclf", "--threads", str(threads), "predict", model]
    command += [
        "--input",
        str(source),
        "-o",
        str(out),
        "--batch-size",
        str(batch_size),
        "--top-k",
        str(TOP_K),
    ]
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: nothing blocks a chatty child
        start = time.perf_counter()
        process = subprocess.Popen(command, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = code = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        if code:
            errors.seek(0)
            raise SystemExit(f"seqclf predict failed ({code}): {errors.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux reports KiB


def check_order(source: Path, out: Path) -> None:
    """One output line per input line, each naming its input, in order."""
    with source.open(encoding="utf-8") as given, out.open(encoding="utf-8") as answered:
        for number, (line, answer) in enumerate(zip(given, answered, strict=True), start=1):
            if json.loads(answer)["input"] != line.strip():
                raise SystemExit(f"{out}:{number} answers another input than {source}:{number}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/sentiment")
    parser.add_argument("--source", type=Path, default=Path("../shared/data/sst2/train.tsv"))
    parser.add_argument("--lines", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--ceiling-lines", type=int, default=50_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=256, help="--batch-size of the command")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    texts = sentences(args.source)
    torch.set_num_threads(args.threads)
    predictor = Predictor.from_pretrained(args.model, device="cpu")
    predictor.batch_size = args.batch_size
    predictor.predict(texts[: args.batch_size], top_k=TOP_K)  # warm-up: first-call allocations
    rows = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as work:
        for count in args.lines:
            source, out = Path(work) / "in.txt", Path(work) / "out.jsonl"
            write_lines(source, texts, count)
            before = ceiling(predictor, texts, args.ceiling_lines)
            wall, cpu, rss = run_cli(args.model, source, out, args.threads, args.batch_size)
            best = (before + ceiling(predictor, texts, args.ceiling_lines)) / 2
            check_order(source, out)
            rate = count / cpu
            rows.append(
                [
                    f"{count:,}",
                    f"{wall:.0f}",
                    f"{cpu:.0f}",
                    f"{rate:,.0f}",
                    f"{best:,.0f}",
                    f"{rate / best:.2f}",
                    f"{rss:.0f}",
                ]
            )
            source.unlink()
            out.unlink()
    print(describe())
    print(
        f"model {args.model}, {len(texts):,} distinct sentences from {args.source}, batch {args.batch_size}, top-{TOP_K}"
    )
    print(
        table(
            [
                "lines",
                "wall s",
                "CPU s",
                "lines/CPU s",
                "ceiling lines/CPU s",
                "share of ceiling",
                "peak RSS MiB",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
