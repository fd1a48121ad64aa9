"""The docs' TensorBoard screenshot: a --report-to run directory as TensorBoard's own page draws it.

``benchmarks/tensorboard_screenshot.py`` trains for minutes first; here the run directory is
written by seqclf's own TensorBoard reporter from a known three-epoch log, and the script's
server and browser steps must show each chosen figure with all three points, offline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from seqclf.record import EpochLog
from seqclf.training.reporting import TensorBoardReporter

pytest.importorskip("tensorboard", reason="needs seqclf[tensorboard]")
pytest.importorskip("playwright", reason="the browser tests need playwright: pip install 'seqclf[test]'")
from benchmarks.tensorboard_screenshot import running_tensorboard, screenshot_scalars
from seqclf.ui.screenshots import CHROMIUM

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no {CHROMIUM}: apt-get install -y chromium"),
]


def test_the_scalars_page_draws_every_epoch_of_the_chosen_figures(tmp_path: Path) -> None:
    reporter = TensorBoardReporter(tmp_path / "runs", "names-20260101-000000")
    reporter.start({"epochs": 3}, networks=1)
    for epoch, loss in enumerate([1.5, 0.9, 0.6], start=1):
        reporter.epoch(
            1, EpochLog(epoch, loss, loss + 0.1, 0.5 + epoch / 10, 0.3 + epoch / 10, 1e-3 / epoch, 2.0)
        )
    reporter.finish({"test/accuracy": 0.8, "test/macro_f1": 0.6}, failed=False)
    png = tmp_path / "shot.png"

    with running_tensorboard(tmp_path / "runs") as url:
        drawn = screenshot_scalars(url, png)

    # the filter keeps the validation figures, the training loss and the learning rate:
    # not the epoch seconds, nor the test figures (one point each)
    assert drawn == {
        "eval/accuracy": 3,
        "eval/loss": 3,
        "eval/macro_f1": 3,
        "train/learning_rate": 3,
        "train/loss": 3,
    }
    assert 10_000 < png.stat().st_size < 300_000
