"""The TensorBoard screenshot in docs/own-data.md, made again from a real run.

Trains the names task briefly with ``--report-to tensorboard`` (8 epochs, one network, no
baseline: about 4 minutes on 2 CPU cores), starts ``tensorboard --logdir runs`` on the
run directory, and saves TensorBoard's Scalars page as Debian's headless Chromium shows it
(the browser driving of :mod:`seqclf.ui.screenshots`, which blocks every request that
leaves the page's own host, so a page that needs the internet fails instead of looking
different). The page shows the validation figures, the training loss and the learning
rate, unsmoothed and with outliers kept in the y range: eight points are not noise.

    python benchmarks/tensorboard_screenshot.py --data ../shared/data/names
    python benchmarks/tensorboard_screenshot.py --runs runs      # an existing run directory

Needs ``seqclf[tensorboard]``, playwright and ``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import expect

from seqclf.ui.screenshots import open_page, save_small_png

#: the recorded command's settings besides --data, --out and the reporting flags
TRAIN = ["names", "--epochs", "8", "--ensemble", "1", "--no-baseline", "--device", "cpu"]
#: the validation figures, training loss and learning rate (not epoch seconds, nor the one-point test figures)
TAGS = "eval/|train/(loss|learning_rate)"
#: three of TensorBoard's 330-pixel cards a row, two rows
VIEWPORT = {"width": 1440, "height": 800}
STARTUP_SECONDS = 120


def train(data: Path, work: Path) -> Path:
    """``seqclf train names ... --report-to tensorboard --report-dir runs`` in ``work``; its ``runs``."""
    command = [sys.executable, "-m", "seqclf", "train", *TRAIN, "--data", str(data.resolve())]
    command += ["--out", "names", "--overwrite", "--report-to", "tensorboard", "--report-dir", "runs"]
    print("$ seqclf", " ".join(command[3:]))
    subprocess.run(command, cwd=work, check=True)
    return work / "runs"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _has_scalars(url: str) -> bool:
    with (
        suppress(OSError, ValueError),
        urllib.request.urlopen(f"{url}/data/plugin/scalars/tags", timeout=5) as got,
    ):
        return bool(json.load(got))
    return False


@contextmanager
def running_tensorboard(logdir: Path) -> Iterator[str]:
    """``tensorboard --logdir NAME`` from the folder above ``logdir``, until it serves scalars; its URL."""
    port = _free_port()
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", logdir.name]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=logdir.resolve().parent, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not _has_scalars(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"tensorboard served no scalars from {logdir}: {log.read().decode()}")
                time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def screenshot_scalars(url: str, out: Path) -> dict[str, int]:
    """Save the Scalars page, filtered to ``TAGS``, as a small PNG; each card's tag and points drawn."""
    page_url = f"{url}/#scalars&tagFilter={quote(TAGS, safe='')}&_smoothingWeight=0"
    with open_page(page_url, viewport=VIEWPORT) as (page, blocked):
        page.get_by_role("checkbox", name="Ignore outliers in chart scaling").uncheck()
        cards = page.locator("tf-category-paginated-view").first.locator("tf-scalar-card")
        cards.first.wait_for()
        # the charts redraw on the next animation frames after a setting changes
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        drawn = {}
        for card in cards.all():
            line = card.locator("path.line").first
            expect(line).to_have_attribute("d", re.compile("^M"))
            drawn[card.evaluate("card => card.tag")] = line.get_attribute("d").count("L") + 1
        out.parent.mkdir(parents=True, exist_ok=True)
        save_small_png(page, out)
        if blocked:
            raise RuntimeError(f"the page tried to reach outside hosts: {blocked}")
    return drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="the names data folder: train a run first")
    source.add_argument("--runs", type=Path, help="an existing --report-dir to show instead")
    parser.add_argument(
        "--work", type=Path, help="where the trained model and runs/ go (default: a temporary folder)"
    )
    parser.add_argument("--out", type=Path, default=Path("docs/images/tensorboard-scalars.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        runs = args.runs
        if runs is None:
            work = args.work or Path(temporary)
            work.mkdir(parents=True, exist_ok=True)
            runs = train(args.data, work)
        with running_tensorboard(runs) as url:
            drawn = screenshot_scalars(url, args.out)
    print(f"{args.out}: {args.out.stat().st_size / 1024:.0f} KB; points drawn per card: {drawn}")


if __name__ == "__main__":
    main()
