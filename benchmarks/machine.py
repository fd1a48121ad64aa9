"""The machine a benchmark ran on, printed above every table so figures carry their context."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def describe() -> str:
    """CPU model, cores, torch version and threads; the GPU too when there is one."""
    lines = [
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores, load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg()),
        f"torch {torch.__version__}, {torch.get_num_threads()} intra-op threads, Python {platform.python_version()}",
    ]
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        lines.append(
            f"GPU: {props.name}, {props.total_memory / 2**30:.0f} GiB, CUDA {torch.version.cuda}, "
            f"cuDNN {torch.backends.cudnn.version()}"
        )
    return "\n".join(lines)


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table, so output can be pasted into docs/performance.md as is."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *map(line, cells[1:])])
