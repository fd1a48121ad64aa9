"""How many threads torch computes with, chosen from the CPUs this process may use and their load.

torch starts one intra-op thread per core it can see. On a small machine that other
work shares, those threads spin waiting for each other while the other work holds the
cores: on two cores with one busy process, ``seqclf evaluate models/names`` took 125 s
with torch's default and 9.4 s with one thread. And in a container torch sees the host's
cores, not the container's CPU quota. So every command starts by choosing:

1. ``--threads N`` or ``SEQCLF_TORCH_THREADS=N``, when given;
2. ``OMP_NUM_THREADS``, when set (torch reads it itself; torchrun sets it to 1);
3. otherwise the CPUs this process may use (its affinity, capped by a cgroup CPU quota),
   less those the 1-minute load average says other work keeps busy, at least one.

A choice made here (3.) is printed once, with how to override it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from seqclf.errors import ConfigError

ENV = "SEQCLF_TORCH_THREADS"
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


@dataclass(frozen=True)
class ThreadChoice:
    threads: int | None  # None: leave torch's own setting (OMP_NUM_THREADS) alone
    reason: str
    chosen: bool = False  # chosen here rather than asked for, so worth saying

    def describe(self, current: int) -> str:
        n = self.threads or current
        return f"torch: {n} thread{'s' if n != 1 else ''} ({self.reason}; --threads or {ENV} to change)"


def quota_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> float | None:
    """The CPUs a cgroup v2 quota allows (``docker run --cpus``, a Kubernetes limit), or None."""
    try:
        quota, period = cpu_max.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def usable_cpus(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """The CPUs this process may run on, capped by a CPU quota."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = quota_cpus(cpu_max)
    return max(1, min(cpus, math.floor(quota))) if quota is not None else cpus


def choose_threads(
    requested: int | None = None,
    environ: Mapping[str, str] = os.environ,
    cpus: int | None = None,
    load: float | None = None,
) -> ThreadChoice:
    """The thread count for this command (see the module docstring for the order of choice)."""
    if requested is None and environ.get(ENV):
        try:
            requested = int(environ[ENV])
        except ValueError:
            raise ConfigError(f"{ENV}={environ[ENV]!r}: give a whole number of threads, e.g. 1") from None
    if requested is not None:
        if requested < 1:
            raise ConfigError(f"--threads {requested}: give at least 1")
        return ThreadChoice(requested, "as asked")
    if environ.get("OMP_NUM_THREADS"):
        return ThreadChoice(None, "OMP_NUM_THREADS")
    cpus = usable_cpus() if cpus is None else cpus
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    # the 1-minute load counts runnable processes; what is left of the CPUs is ours
    free = max(1, min(cpus, math.floor(cpus - load + 0.5)))
    if free == cpus:
        return ThreadChoice(cpus, f"{cpus} CPU{'s' if cpus != 1 else ''}, idle", chosen=True)
    return ThreadChoice(free, f"{cpus} CPUs, other work keeps about {load:.1f} of them busy", chosen=True)


def apply_threads(choice: ThreadChoice) -> str | None:
    """Set torch's intra-op threads to ``choice``; the line to print once, if it was chosen here.

    An asked-for count (flag, variable, OMP_NUM_THREADS) is what the user said, so it is
    applied silently and the command's output stays as it was.
    """
    import torch

    if choice.threads is not None:
        torch.set_num_threads(choice.threads)
    return choice.describe(torch.get_num_threads()) if choice.chosen else None
