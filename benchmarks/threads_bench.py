"""Commands on a small shared machine: seqclf's thread choice against each count chosen by hand.

Times ``seqclf evaluate models/names`` and one network-epoch of ``seqclf train names``
(``--ensemble 1 --epochs 1``) as fresh processes, with the machine idle and with one
competing busy process (a pure-Python spin loop, standing for any other work), under:

- **auto**: seqclf's choice (``seqclf.threads``: the CPUs this process may use, less
  those the load average says other work keeps busy);
- **torch default** (the baseline, what seqclf did before): one thread per visible core,
  forced with ``OMP_NUM_THREADS=<cores>``;
- each count from 1 to the core count, by hand.

The busy process runs for 20 s before the first timed command so the load average sees
it, as it would see any long-running neighbour. A run that passes ``--timeout`` is
stopped and reported as "> timeout".

    python benchmarks/threads_bench.py --data ../shared/data/names
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from machine import describe, table

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def busy_neighbour(seconds_before: float):
    """One process spinning on a core, started ``seconds_before`` ahead of the timed runs."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(seconds_before)
        yield
    finally:
        spinner.kill()
        spinner.wait()


def timed(command: list[str], env: dict[str, str], timeout: float) -> str:
    start = time.monotonic()
    try:
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"> {timeout:.0f} s"
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return f"{time.monotonic() - start:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "names")
    parser.add_argument("--timeout", type=float, default=150.0)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "SEQCLF_TORCH_THREADS")}
    settings = {"auto (seqclf)": {}, f"torch default ({cores})": {"OMP_NUM_THREADS": str(cores)}}
    settings.update({f"{n} by hand": {"SEQCLF_TORCH_THREADS": str(n)} for n in range(1, cores + 1)})
    seqclf = [sys.executable, "-m", "seqclf"]
    with tempfile.TemporaryDirectory() as scratch:
        commands = {
            "evaluate names": [*seqclf, "evaluate", "models/names", "--data", str(args.data), "--json"],
            "train names, 1 network-epoch": [
                *seqclf,
                "train",
                "names",
                "--data",
                str(args.data),
                "--out",
                f"{scratch}/m",
                "--ensemble",
                "1",
                "--epochs",
                "1",
                "--overwrite",
            ],
        }
        print(describe())
        rows = []
        for neighbour in ("idle", "one busy process"):
            context = busy_neighbour(20) if neighbour != "idle" else contextmanager(lambda: (yield))()
            with context:
                for setting, extra in settings.items():
                    times = [timed(c, {**base, **extra}, args.timeout) for c in commands.values()]
                    rows.append([neighbour, setting, *times])
        print()
        print(table(["machine", "threads", *commands], rows))
    print("\nload average after the run " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
