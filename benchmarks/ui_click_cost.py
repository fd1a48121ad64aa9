"""What one demo click costs at each tab's longest input: CPU seconds before and after the bounds.

A click (``seqclf/ui/tabs.py``, ``analyse``) reads the widget's value, encodes it, explains
it with integrated gradients, unfolds it over prefixes and shapes the three answers for
the page. Before the bounds in :mod:`seqclf.inference.explain`, the explanation took 64
integration points of the full length and the unfolding every prefix, so a click's work
grew with the square of the input's length; now both are capped. This script measures
that click for every model under ``models/``, once each way:

- **before**: ``explain(..., steps=64)`` (the old fixed point count) and every prefix in
  one ``Predictor.probabilities`` call (the old unfolding's body);
- **after**: ``Predictor.explain`` and ``Predictor.unfold``, as the demo calls them.

The input is the longest the tab takes: ``seqclf.limits.MAX_STEPS`` steps or the model's
own limit where that is smaller (64 characters for names, 256 words for sentiment, 1,000
frames for vowels, 10 s of audio for digits; a 10 s WAV at the front end's rate is far
below ``MAX_BODY_BYTES``, so the duration is what binds). Text and CSV inputs are
generated, the WAV is white noise (nothing is trimmed as silence).

CPU is ``time.process_time()``: every thread of the process, so spinning intra-op
threads count, which is what a neighbour on the same cores pays for. Each (model, way)
runs in a fresh process that first makes one short warm-up click, so one-off
initialisation is not counted; "peak MB" is how far the click raised the process's peak
resident memory above where it stood before. "after" is the median of ``--repeats``
clicks; "before" is one click, since it takes up to minutes.

    python benchmarks/ui_click_cost.py                      # torch's default threads
    OMP_NUM_THREADS=1 python benchmarks/ui_click_cost.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from machine import describe, table

from seqclf import Predictor
from seqclf.inference import explain as explaining
from seqclf.limits import MAX_BODY_BYTES, MAX_STEPS
from seqclf.ui import views

ROOT = Path(__file__).resolve().parents[1]
WAYS = ("before", "after")


def write_wav(path: Path, seconds: float, rate: int) -> None:
    """``seconds`` of 16-bit mono white noise at ``rate`` Hz: sound throughout, so nothing is trimmed."""
    samples = np.random.default_rng(0).uniform(-0.5, 0.5, round(seconds * rate))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((samples * 32767).astype("<i2").tobytes())


def longest_input(predictor: Predictor, folder: Path, fraction: float = 1.0) -> str:
    """The widget value of the longest input the tab takes (or ``fraction`` of it), written
    under ``folder`` where the widget hands over a file."""
    encoder = predictor.encoder
    if encoder.type == "audio":
        frontend = encoder.frontend
        path = folder / f"noise-{fraction}.wav"
        write_wav(path, frontend.max_seconds * fraction, frontend.sampling_rate)
        if path.stat().st_size > MAX_BODY_BYTES:
            raise SystemExit(f"{path} is over the upload limit: the body size binds first")
        return str(path)
    steps = max(1, round(min(MAX_STEPS, encoder.max_length) * fraction))
    if encoder.type == "chars":
        return ("nakamura" * steps)[:steps]
    if encoder.type == "words":
        words = [w for w in encoder.vocab if re.fullmatch(r"[a-z]+", w)]
        return " ".join(words[i % len(words)] for i in range(steps))
    if encoder.type == "features":
        frames = np.random.default_rng(0).normal(size=(steps, encoder.num_features))
        path = folder / f"frames-{fraction}.csv"
        np.savetxt(path, frames, delimiter=",", fmt="%.5f")
        return str(path)
    raise SystemExit(f"no longest input for a {encoder.type} encoder")


def click(predictor: Predictor, value: str, way: str) -> tuple[int, int, int]:
    """One analyse click the old or the new way: (steps, integration points, prefixes)."""
    prepared = predictor.prepare(predictor.modality.from_widget(value))
    length = len(prepared.encoded)
    if way == "before":
        points = explaining.DEFAULT_IG_STEPS
        explanation = explaining.explain(predictor, prepared, steps=points)
        # the old unfolding: every prefix, in one call
        every = [prepared.encoded[:t] for t in range(1, length + 1)]
        probabilities = predictor.probabilities(every).tolist()
        unfolding = explaining.Unfolding(prepared.steps, list(predictor.labels), probabilities)
    else:
        points = explaining.integration_points(length, explaining.network_count(predictor.model))
        explanation, unfolding = predictor.explain(prepared), predictor.unfold(prepared)
    views.label_scores(unfolding)
    if predictor.encoder.input_kind == "tokens":
        views.highlighted_steps(explanation)
    else:
        views.step_importance_frame(explanation)
    views.unfolding_frame(unfolding)
    return length, points, len(unfolding.lengths)


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc/self/status")


def measure(model: Path, way: str, repeats: int) -> dict[str, Any]:
    """In this process: a warm-up click, then ``repeats`` timed clicks of the longest input."""
    predictor = Predictor.from_pretrained(model, device="cpu")
    with tempfile.TemporaryDirectory() as folder:
        click(predictor, longest_input(predictor, Path(folder), 0.05), "after")
        value = longest_input(predictor, Path(folder))
        before_mb = resident_mb()
        cpu, wall = [], []
        for _ in range(repeats):
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            length, points, prefixes = click(predictor, value, way)
            cpu.append(time.process_time() - start_cpu)
            wall.append(time.perf_counter() - start_wall)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "length": length,
        "networks": explaining.network_count(predictor.model),
        "points": points,
        "prefixes": prefixes,
        "cpu": statistics.median(cpu),
        "wall": statistics.median(wall),
        "peak_mb": max(0.0, peak_mb - before_mb),
    }


def in_fresh_process(model: Path, way: str, repeats: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--one", str(model), way, str(repeats)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{model.name} ({way}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=ROOT / "models", help="folder of model folders")
    parser.add_argument("--tabs", nargs="*", help="model folder names (default: all)")
    parser.add_argument("--repeats", type=int, default=3, help="clicks measured after (median)")
    parser.add_argument("--one", nargs=3, metavar=("MODEL", "WAY", "REPEATS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        model, way, repeats = args.one
        print(json.dumps(measure(Path(model), way, int(repeats))))
        return

    models = sorted(p for p in args.models.iterdir() if (p / "config.json").is_file())
    if args.tabs:
        models = [p for p in models if p.name in args.tabs]
    print(describe())
    print(
        f"bounds: IG_BUDGET {explaining.IG_BUDGET} network-steps (at most {explaining.DEFAULT_IG_STEPS} "
        f"points), UNFOLD_BUDGET {explaining.UNFOLD_BUDGET} network-steps (at most "
        f"{explaining.MAX_PREFIXES} prefixes)\n"
    )
    fmt: Callable[[float], str] = "{:.2f}".format
    rows = []
    for model in models:
        before = in_fresh_process(model, "before", 1)
        after = in_fresh_process(model, "after", args.repeats)
        print(f"{model.name}: before {before}, after {after}", file=sys.stderr, flush=True)
        rows.append(
            [
                model.name,
                before["length"],
                after["networks"],
                f"{before['points']} -> {after['points']}",
                f"{before['prefixes']} -> {after['prefixes']}",
                fmt(before["cpu"]),
                fmt(after["cpu"]),
                fmt(after["wall"]),
                f"{before['peak_mb']:.0f} -> {after['peak_mb']:.0f}",
            ]
        )
    headers = [
        "tab",
        "input steps",
        "networks",
        "IG points",
        "prefixes",
        "CPU s before",
        "CPU s after",
        "wall s after",
        "peak MB",
    ]
    print(table(headers, rows))
    # a neighbour's work inflates CPU seconds (intra-op threads spin while it holds a core)
    print("load average at the end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
