"""Serving benchmark: the batching service against a plain endpoint and against the model itself.

For each model, one input per request at concurrency 1, 16 and 64:

- **plain**: a minimal FastAPI endpoint that runs one forward pass per request
  (``Predictor.predict`` in a sync route, so FastAPI's thread pool runs them);
- **service**: ``seqclf.serving`` with dynamic batching (``/v1/models/{id}/predict``);
- **ceiling**: the model's raw batched throughput in-process (batches of 1, 16 and
  64 already-encoded inputs, no HTTP), the most any server could get out of it.

Each server runs in its own process and the load generator (aiohttp) in this one,
all on the same machine; the server's CPU time per input is reported too, as it
depends far less than wall-clock rates on what else the machine runs.

Needs the serve extra and aiohttp (``pip install aiohttp``).

    python benchmarks/serve_bench.py                      # models/names and models/sentiment
    python benchmarks/serve_bench.py --model names=models/names --requests 300

Without models/names, an untrained model of the names task's architecture stands
in (speed does not depend on the weights); the table says so.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

import aiohttp
import httpx
import torch
from machine import describe, table

from seqclf.predictor import Predictor

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {"names": ROOT / "examples" / "names.txt", "sentiment": ROOT / "examples" / "sentiment.txt"}
CONCURRENCY = (1, 16, 64)
TARGETS = {
    "plain": "plain FastAPI, 1 pass/request",
    "service": "seqclf serve (batching)",
    "ceiling": "in-process batched (ceiling)",
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


def run_server(kind: str, model_id: str, source: str, port: int, threads: int) -> None:
    """Entry point of a server subprocess."""
    import uvicorn

    torch.set_num_threads(threads)

    if kind == "plain":
        app = plain_app(source)
    else:
        from seqclf.serving.app import create_app
        from seqclf.serving.settings import ServiceSettings

        app = create_app(ServiceSettings(models=[f"{model_id}={source}"], device="cpu"))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    kind: str, model_id: str, source: str, env: dict[str, str], threads: int
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        sys.executable,
        __file__,
        "--torch-threads",
        str(threads),
        "--serve",
        kind,
        "--model",
        f"{model_id}={source}",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {kind} server exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/docs", timeout=5).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the {kind} server did not start")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc (Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # fields from the third on: state, ppid, ...
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(
    url: str, path: str, inputs: list[str], concurrency: int, requests: int, server_pid: int
) -> dict[str, float]:
    """Send ``requests`` one-input requests from ``concurrency`` workers; latency per request.

    Also the server's CPU time per input: on a shared machine wall-clock rates
    depend on what else runs, while CPU time per input mostly does not.
    """
    latencies: list[float] = []
    errors = 0
    next_input = cycle(inputs)
    remaining = requests
    # aiohttp, not httpx: httpx costs the client several ms of CPU per request (over 10 ms with
    # 64 connections in one pool), enough to starve the servers of requests on a small machine.
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(url, connector=connector, timeout=aiohttp.ClientTimeout(120)) as session:

        async def post(text: str) -> int:
            async with session.post(path, json={"inputs": [text]}) as response:
                await response.read()
                return response.status

        # open every connection and warm up the model before the clock starts
        await asyncio.gather(*(post(text) for text, _ in zip(cycle(inputs), range(concurrency))))

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                try:
                    errors += await post(next(next_input)) != 200
                except aiohttp.ClientError:  # counted, not fatal: the table reports errors
                    errors += 1
                latencies.append(time.perf_counter() - started)

        cpu = process_cpu_seconds(server_pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
        cpu = process_cpu_seconds(server_pid) - cpu
    return summary(latencies, seconds, errors, cpu)


def summary(
    latencies: list[float], seconds: float, errors: int, cpu_seconds: float, per_call: int = 1
) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "n": len(latencies) * per_call,
        "cpu_ms": cpu_seconds * 1000 / (len(latencies) * per_call),
        "errors": errors,
        "rate": len(latencies) * per_call / seconds,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
    }


def ceiling(predictor, inputs: list[str], batch_size: int, calls: int) -> dict[str, float]:
    """In-process forward passes over batches of encoded inputs: no HTTP, no JSON."""
    batch = predictor.encode([text for text, _ in zip(cycle(inputs), range(batch_size))])
    predictor.probabilities(batch)  # warm up
    latencies = []
    cpu = time.process_time()
    started = time.perf_counter()
    for _ in range(calls):
        t = time.perf_counter()
        predictor.probabilities(batch)
        latencies.append(time.perf_counter() - t)
    seconds = time.perf_counter() - started
    return summary(latencies, seconds, 0, time.process_time() - cpu, per_call=batch_size)


def untrained_names_model(folder: Path) -> str:
    """The names task's architecture with random weights, for machines without models/names."""
    from dataclasses import replace

    from seqclf.config import ModelConfig
    from seqclf.encoders import CharEncoder
    from seqclf.model import SequenceClassifier
    from seqclf.pretrained import PretrainedClassifier
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
    parser.add_argument(
        "--requests",
        type=int,
        default=400,
        help="requests per concurrency level (at least 4 per concurrent client)",
    )
    parser.add_argument(
        "--ceiling-calls", type=int, default=30, help="forward passes per batch size, in-process"
    )
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--max-batch-size", type=int, help="the service's setting (default: its default)")
    parser.add_argument("--max-wait-ms", type=float, help="the service's setting (default: its default)")
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        help="intra-op threads for all three targets (default 1: on a small shared machine, spinning "
        "OpenMP threads waiting for descheduled partners cost more than they give)",
    )
    parser.add_argument("--serve", choices=["plain", "service"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        model_id, source = args.model[0].split("=", 1)
        run_server(args.serve, model_id, source, args.port, args.torch_threads)
        return

    service_env = {
        name: str(value)
        for name, value in (
            ("SEQCLF_MAX_BATCH_SIZE", args.max_batch_size),
            ("SEQCLF_MAX_WAIT_MS", args.max_wait_ms),
        )
        if value is not None
    }
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

    rows = []
    for model_id, source in models.items():
        inputs = [
            line for line in EXAMPLES[model_id].read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        servers = {"plain": "/predict", "service": f"/v1/models/{model_id}/predict"}
        for kind in [k for k in servers if k in args.targets]:
            process, url = start_server(kind, model_id, source, service_env, args.torch_threads)
            try:
                for concurrency in CONCURRENCY:
                    count = max(args.requests, 4 * concurrency)
                    result = asyncio.run(load(url, servers[kind], inputs, concurrency, count, process.pid))
                    rows.append([model_id, kind, concurrency, result])
                    print(f"{model_id} {kind} c={concurrency}: {result['rate']:.0f} req/s", file=sys.stderr)
            finally:
                process.terminate()
                process.wait(timeout=60)
        if "ceiling" in args.targets:
            predictor = Predictor.from_pretrained(source, device="cpu")
            for batch_size in CONCURRENCY:
                result = ceiling(predictor, inputs, batch_size, args.ceiling_calls)
                rows.append([model_id, "ceiling", batch_size, result])

    print(describe())
    print(f"service settings: {service_settings(service_env)}")
    for note in notes:
        print(f"note: {note}")
    print()
    headers = [
        "model",
        "target",
        "concurrency / batch",
        "inputs",
        "errors",
        "inputs/s",
        "p50 ms",
        "p99 ms",
        "server CPU ms/input",
    ]
    print(
        table(
            headers,
            [
                [
                    m,
                    TARGETS[k],
                    c,
                    int(r["n"]),
                    int(r["errors"]),
                    f"{r['rate']:.0f}",
                    f"{r['p50']:.1f}",
                    f"{r['p99']:.1f}",
                    f"{r['cpu_ms']:.2f}",
                ]
                for m, k, c, r in rows
            ],
        )
    )


def service_settings(env: dict[str, str]) -> str:
    from seqclf.serving.settings import ServiceSettings

    settings = ServiceSettings(**{k.removeprefix("SEQCLF_").lower(): v for k, v in env.items()})
    return f"max_batch_size={settings.max_batch_size}, max_wait_ms={settings.max_wait_ms:g}, torch threads {torch.get_num_threads()}"


if __name__ == "__main__":
    main()
