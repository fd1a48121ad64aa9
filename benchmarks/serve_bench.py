"""Serving benchmark: the service against a plain endpoint and against the model itself, driven by wrk.

For each model, one input per request (cycling through real inputs from ``examples/``), at
64 connections and more (1, 16, 64, 256 by default), each level 8 s after a 2 s warm-up:

- **plain**: a minimal FastAPI endpoint that runs one forward pass per request
  (``Predictor.predict`` in a sync route, so FastAPI's thread pool runs them);
- **service**: ``seqclf serve`` (``/v1/models/{id}/predict``), batching; with ``--workers N``
  also the service with N server processes;
- **ceiling**: ``Predictor.predict`` on batches of 64 inputs in this process (no HTTP), the
  most a server could get out of the model; every HTTP row gives its ratio to it.

Then **overload**: the names service at 16x the 64 connections (1,024), with a probe on the
side that times a few predictions (to split the latency of accepted requests from that of
503s) and ``/healthz``. And **memory**: the resident memory of ``seqclf serve`` with every
model under ``models/``, per worker count.

The servers and wrk share this machine; each server's CPU time per request (all its
processes and threads, from /proc) is reported too, as it depends far less than
wall-clock rates on what else runs. Needs ``wrk`` (``apt-get install wrk``) and Linux.

    python benchmarks/serve_bench.py                         # names and sentiment from models/
    python benchmarks/serve_bench.py --workers 2 --seconds 8
    python benchmarks/serve_bench.py --model names=models/names --targets service ceiling

Without models/names, an untrained model of the names task's architecture stands in
(speed does not depend on the weights); the output says so.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from itertools import cycle
from pathlib import Path

import torch
from machine import describe, table

from seqclf.inference.predictor import Predictor

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().with_suffix(".lua")
EXAMPLES = {"names": ROOT / "examples" / "names.txt", "sentiment": ROOT / "examples" / "sentiment.txt"}
CONCURRENCY = (1, 16, 64, 256)
CEILING_BATCH = 64
OVERLOAD_HEADERS = [
    "model",
    "target",
    "connections",
    "200/s",
    "of peak",
    "503/s",
    "other",
    "accepted p50 / p99 ms",
    "503 p99 ms",
    "Retry-After",
    "/healthz answered, max ms",
    "server CPU ms/req",
]
TARGETS = {
    "plain": "plain FastAPI, 1 pass/request",
    "service": "seqclf serve",
    "ceiling": f"in-process predict, batches of {CEILING_BATCH} (ceiling)",
}


def plain_app(source: str):
    """The baseline: one forward pass per request, nothing shared between requests."""
    from fastapi import FastAPI

    predictor = Predictor.from_pretrained(source, device="cpu")
    app = FastAPI()

    @app.post("/predict")
    def predict(body: dict) -> dict:
        return {"predictions": predictor.predict(body["inputs"], top_k=None)}

    return app


def run_plain(source: str, port: int, threads: int) -> None:
    """Entry point of the plain server's subprocess."""
    import uvicorn

    torch.set_num_threads(threads)
    uvicorn.run(plain_app(source), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _many_files() -> None:
    """Room for 1,024 connections and more (in the server as in wrk)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


def get(url: str, path: str, timeout: float = 5) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def start(command: list[str], env: dict[str, str], port: int) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(command, env={**os.environ, **env}, preexec_fn=_many_files)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command} exited with code {process.returncode}")
        with contextlib.suppress(OSError):
            if get(url, "/docs")[0] == 200:
                return process, url
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{command} did not start")


def start_plain(source: str, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve-plain", source, "--port", str(port)]
    return start(command, thread_env(threads), port)


def start_service(models: list[str], threads: int, workers: int, extra: dict[str, str]):
    """``seqclf serve`` with these models and ``--workers`` (without it, the command chooses)."""
    port = free_port()
    command = [sys.executable, "-m", "seqclf", "serve", "--port", str(port), "--log-level", "warning"]
    for spec in models:
        command += ["--model", spec]
    command += ["--workers", str(workers)]
    return start(command, {**thread_env(threads), "SEQCLF_TORCH_THREADS": str(threads), **extra}, port)


def thread_env(threads: int) -> dict[str, str]:
    return {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parent = int(stat[stat.rindex(")") + 2 :].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants (every thread), from /proc."""
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{member}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def memory_mib(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MiB of a process and its descendants; PSS shares shared pages out fairly."""
    rss = pss = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
    return rss / 1024, pss / 1024


def batches(url: str, model_id: str) -> tuple[float, float]:
    """(forward passes, inputs) so far, from the /metrics of whichever worker answers."""
    passes = inputs = 0.0
    text = get(url, "/metrics")[1].decode()
    for name, value in re.findall(
        rf'^seqclf_batch_size_(count|sum){{model="{model_id}"}} (\S+)$', text, re.M
    ):
        if name == "count":
            passes = float(value)
        else:
            inputs = float(value)
    return passes, inputs


def wrk(url: str, path: str, bodies: Path, connections: int, seconds: float) -> dict:
    threads = 1 if connections == 1 else 2
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s"]
    command += ["-s", str(LUA), url, "--", path, str(bodies)]
    output = subprocess.run(command, capture_output=True, text=True, check=True, preexec_fn=_many_files)
    line = next(x for x in reversed(output.stdout.splitlines()) if x.startswith("JSON "))
    return json.loads(line.removeprefix("JSON "))


def measure(
    url: str, pid: int, path: str, bodies: Path, connections: int, seconds: float, warmup: float, model_id
) -> dict:
    wrk(url, path, bodies, connections, warmup)
    passes, inputs = batches(url, model_id) if model_id else (0, 0)
    cpu = cpu_seconds(pid)
    result = wrk(url, path, bodies, connections, seconds)
    cpu = cpu_seconds(pid) - cpu
    ok = result["statuses"].get("200", 0)
    answered = sum(result["statuses"].values())
    # wrk counts a request as timed out only after --timeout; one still waiting when the run
    # ends is not counted at all, so a server that answered nothing would show no errors.
    # Each connection has one request in flight: count those as unanswered.
    unanswered = connections if answered == 0 else 0
    result.update(
        ok=ok,
        errors=answered - ok + result["socket_errors"] + unanswered,
        rate=ok / result["seconds"],
        cpu_ms=cpu * 1000 / max(answered, 1),
        batch=None,
    )
    if model_id:
        passes_after, inputs_after = batches(url, model_id)
        if passes_after > passes:
            result["batch"] = (inputs_after - inputs) / (passes_after - passes)
    return result


def ceiling(predictor: Predictor, inputs: list[str], seconds: float) -> dict:
    """``Predictor.predict`` on batches of 64 raw inputs for ``seconds``: encode, forward, top."""
    batch = [text for text, _ in zip(cycle(inputs), range(CEILING_BATCH))]
    predictor.predict(batch, top_k=None)  # warm up
    latencies = []
    cpu = time.process_time()
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        t = time.perf_counter()
        predictor.predict(batch, top_k=None)
        latencies.append(time.perf_counter() - t)
    wall = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "ok": len(latencies) * CEILING_BATCH,
        "errors": 0,
        "rate": len(latencies) * CEILING_BATCH / wall,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
        "cpu_ms": (time.process_time() - cpu) * 1000 / (len(latencies) * CEILING_BATCH),
        "batch": CEILING_BATCH,
    }


class Probe(threading.Thread):
    """Times requests on its own keep-alive connection at a steady pace until stopped."""

    def __init__(self, url: str, method: str, path: str, body: bytes | None, interval: float) -> None:
        super().__init__(daemon=True)
        self.url, self.method, self.path, self.body, self.interval = url, method, path, body, interval
        self.results: list[tuple[int, float, str | None]] = []  # (status, seconds, Retry-After)
        self.halt = threading.Event()

    def run(self) -> None:
        host, port = self.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"content-type": "application/json"}
        while not self.halt.is_set():
            started = time.perf_counter()
            try:
                connection.request(self.method, self.path, self.body, headers)
                response = connection.getresponse()
                response.read()
                status, retry = response.status, response.getheader("retry-after")
            except (OSError, http.client.HTTPException):
                connection.close()
                status, retry = 0, None
            self.results.append((status, time.perf_counter() - started, retry))
            self.halt.wait(max(0.0, self.interval - (time.perf_counter() - started)))
        connection.close()


def overload(url: str, pid: int, model_id: str, bodies: Path, connections: int, seconds: float) -> dict:
    """wrk at ``connections`` plus probes of predictions and of /healthz at the same time."""
    path = f"/v1/models/{model_id}/predict"
    body = bodies.read_text().splitlines()[0].encode()
    wrk(url, path, bodies, connections, 2)  # warm up into the overload
    probes = [Probe(url, "GET", "/healthz", None, 0.1)] + [
        Probe(url, "POST", path, body, 0.02) for _ in range(4)
    ]
    cpu = cpu_seconds(pid)
    for probe in probes:
        probe.start()
    result = wrk(url, path, bodies, connections, seconds)
    cpu = cpu_seconds(pid) - cpu
    for probe in probes:
        probe.halt.set()
        probe.join()

    def p99(values: list[float]) -> float:
        return 1000 * (statistics.quantiles(values, n=100)[98] if len(values) > 1 else max(values, default=0))

    answered = sum(result["statuses"].values())
    posted = [result for probe in probes[1:] for result in probe.results]
    accepted = [s for status, s, _ in posted if status == 200]
    shed = [(s, retry) for status, s, retry in posted if status == 503]
    health = [s for status, s, _ in probes[0].results]
    return {
        "rate": result["statuses"].get("200", 0) / result["seconds"],
        "shed_rate": result["statuses"].get("503", 0) / result["seconds"],
        "other": answered - result["statuses"].get("200", 0) - result["statuses"].get("503", 0),
        "socket_errors": result["socket_errors"],
        "wrk_p50": result["p50"],
        "wrk_p99": result["p99"],
        "cpu_ms": cpu * 1000 / max(answered, 1),
        "probe_ok": len(accepted),
        "probe_ok_p50": 1000 * statistics.median(accepted) if accepted else float("nan"),
        "probe_ok_p99": p99(accepted),
        "probe_shed": len(shed),
        "probe_shed_p99": p99([s for s, _ in shed]),
        "retry_after": sorted({retry or "missing" for _, retry in shed}),
        "health": len(health),
        "health_ok": sum(status == 200 for status, _, _ in probes[0].results),
        "health_max": 1000 * max(health, default=0),
    }


def resident_memory(threads: int, worker_counts: list[int]) -> list[list[object]]:
    """Memory of ``seqclf serve`` with every model folder under models/ (one request each to names/sentiment)."""
    rows = []
    served = sorted(p.name for p in (ROOT / "models").iterdir() if (p / "config.json").is_file())
    for workers in worker_counts:
        process, url = start_service(
            [f"{name}={ROOT / 'models' / name}" for name in served], threads, workers, {}
        )
        try:
            for name, example in EXAMPLES.items():
                if name in served:
                    for _ in range(4 * workers):
                        post(url, f"/v1/models/{name}/predict", example.read_text().splitlines()[0])
            time.sleep(1)
            rss, pss = memory_mib(process.pid)
            rows.append(
                [", ".join(served), workers, len(process_tree(process.pid)), f"{rss:.0f}", f"{pss:.0f}"]
            )
        finally:
            stop(process)
    return rows


def post(url: str, path: str, text: str) -> int:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", path, json.dumps({"inputs": [text]}), {"content-type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def untrained_names_model(folder: Path) -> str:
    """The names task's architecture with random weights, for machines without models/names."""
    from dataclasses import replace

    from seqclf.config import ModelConfig
    from seqclf.encoders import CharEncoder
    from seqclf.network.model import SequenceClassifier
    from seqclf.network.pretrained import PretrainedClassifier
    from seqclf.tasks import get_task

    encoder = CharEncoder.fit(EXAMPLES["names"].read_text(encoding="utf-8").split(), min_freq=1)
    labels = [f"language {i}" for i in range(18)]
    config = replace(ModelConfig(num_labels=18, **encoder.model_fields()), **get_task("names").model_defaults)
    PretrainedClassifier(SequenceClassifier(config), encoder, labels, "names").save_pretrained(folder)
    return str(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", action="append", default=[], metavar="ID=PATH", help="names=..., sentiment=..."
    )
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCY))
    parser.add_argument("--seconds", type=float, default=8, help="measured seconds per level")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each level")
    parser.add_argument(
        "--workers", type=int, default=1, help="also measure the service with this many processes"
    )
    parser.add_argument(
        "--overload", type=int, default=1024, help="connections of the overload run (0: skip)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the resident memory measurement")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="intra-op threads of every server and the ceiling (default 1: on 2 cores shared with wrk, "
        "spinning OpenMP threads waiting for descheduled partners cost more than they give)",
    )
    parser.add_argument("--serve-plain", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_plain:
        run_plain(args.serve_plain, args.port, args.torch_threads)
        return

    torch.set_num_threads(args.torch_threads)  # for the in-process ceiling
    models = dict(spec.split("=", 1) for spec in args.model)
    notes = []
    if not models:
        trained = [name for name in EXAMPLES if (ROOT / "models" / name / "config.json").is_file()]
        models = {name: str(ROOT / "models" / name) for name in trained}
        if "names" not in models:
            models["names"] = untrained_names_model(Path(tempfile.mkdtemp()) / "names")
            notes.append("names: untrained model of the task's architecture (models/names absent)")
        if "sentiment" not in models:
            notes.append("sentiment: skipped, models/sentiment absent")
    workers = sorted({1, args.workers})
    load_before = os.getloadavg()

    rows: list[list[object]] = []
    ceilings: dict[str, float] = {}
    overloads: list[list[object]] = []
    peaks: dict[str, float] = {}
    folder = Path(tempfile.mkdtemp())
    for model_id, source in models.items():
        inputs = [x for x in EXAMPLES[model_id].read_text(encoding="utf-8").splitlines() if x.strip()]
        bodies = folder / f"{model_id}.jsonl"
        bodies.write_text("".join(json.dumps({"inputs": [x]}) + "\n" for x in inputs))
        if "ceiling" in args.targets:
            result = ceiling(
                Predictor.from_pretrained(source, device="cpu"), inputs, max(args.seconds / 2, 2)
            )
            ceilings[model_id] = result["rate"]
            rows.append([model_id, TARGETS["ceiling"], CEILING_BATCH, result])
        runs = []
        if "plain" in args.targets:
            runs.append(
                ("plain", TARGETS["plain"], lambda s=source: start_plain(s, args.torch_threads), "/predict")
            )
        if "service" in args.targets:
            for n in workers:
                label = f"{TARGETS['service']} --workers {n}"
                runs.append(
                    (
                        "service",
                        label,
                        lambda n=n, m=model_id, s=source: start_service(
                            [f"{m}={s}"], args.torch_threads, n, {}
                        ),
                        f"/v1/models/{model_id}/predict",
                    )
                )
        for kind, label, launch, path in runs:
            process, url = launch()
            try:
                for connections in args.concurrency:
                    # /metrics is per process: with several workers the batch sizes are not all in one
                    metric_id = model_id if kind == "service" and label.endswith(" --workers 1") else None
                    result = measure(
                        url, process.pid, path, bodies, connections, args.seconds, args.warmup, metric_id
                    )
                    rows.append([model_id, label, connections, result])
                    if kind == "service":
                        peaks[label, model_id] = max(peaks.get((label, model_id), 0), result["rate"])
                    print(f"{model_id} {label} c={connections}: {result['rate']:.0f} req/s", file=sys.stderr)
                if kind == "service" and args.overload and model_id == "names":
                    result = overload(url, process.pid, model_id, bodies, args.overload, args.seconds)
                    peak = peaks[label, model_id]
                    overloads.append([model_id, label, args.overload, result, peak])
                    print(f"{model_id} {label} overload: {result}", file=sys.stderr)
            finally:
                stop(process)
    memory = [] if args.no_memory else resident_memory(args.torch_threads, workers)

    print(describe())
    print("load average before the run " + ", ".join(f"{x:.1f}" for x in load_before))
    print(f"wrk {args.seconds:g} s per level after {args.warmup:g} s of warm-up, one input per request")
    print(f"server settings: {service_settings()}, torch threads {args.torch_threads} (OMP_NUM_THREADS too)")
    for note in notes:
        print(f"note: {note}")
    print()
    headers = ["model", "target", "connections", "answered 200", "errors", "req/s", "of ceiling"]
    headers += ["p50 ms", "p99 ms", "server CPU ms/req", "mean batch"]
    print(
        table(
            headers,
            [
                [
                    m,
                    label,
                    c,
                    int(r["ok"]),
                    int(r["errors"]),
                    f"{r['rate']:.0f}",
                    f"{r['rate'] / ceilings[m]:.0%}" if m in ceilings else "-",
                    f"{r['p50']:.1f}",
                    f"{r['p99']:.1f}",
                    f"{r['cpu_ms']:.2f}",
                    f"{r['batch']:.1f}" if r["batch"] else "-",
                ]
                for m, label, c, r in rows
            ],
        )
    )
    if overloads:
        print()
        print(
            table(
                OVERLOAD_HEADERS,
                [
                    [
                        m,
                        label,
                        c,
                        f"{r['rate']:.0f}",
                        f"{r['rate'] / peak:.0%}",
                        f"{r['shed_rate']:.0f}",
                        r["other"] + r["socket_errors"],
                        f"{r['probe_ok_p50']:.0f} / {r['probe_ok_p99']:.0f} ({r['probe_ok']} probes)",
                        f"{r['probe_shed_p99']:.1f} ({r['probe_shed']} probes)"
                        if r["probe_shed"]
                        else "none",
                        ",".join(r["retry_after"]) or "-",
                        f"{r['health_ok']}/{r['health']}, {r['health_max']:.0f}",
                        f"{r['cpu_ms']:.2f}",
                    ]
                    for m, label, c, r, peak in overloads
                ],
            )
        )
        print("peak: the best 200/s of the same server at the concurrency levels above; accepted and 503")
        print("latencies from 4 probes posting every 20 ms beside wrk (wrk's own percentiles mix both)")
    if memory:
        print()
        print(table(["models", "workers", "processes", "RSS MiB", "PSS MiB"], memory))
    print("\nload average after the run " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


def service_settings() -> str:
    from seqclf.serving.settings import ServiceSettings

    settings = ServiceSettings()
    fields = ("max_batch_size", "max_wait_ms", "max_queue", "max_queue_wait_ms")
    return ", ".join(f"{name}={getattr(settings, name)}" for name in fields if hasattr(settings, name))


if __name__ == "__main__":
    main()
