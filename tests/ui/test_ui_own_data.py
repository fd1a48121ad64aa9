"""Models trained on the user's own data get tabs of their kind, in a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from live_server import run_app
from ui_support import LANGUAGE, SURNAME

import seqclf
from seqclf import Predictor

pytest.importorskip("playwright", reason="the browser tests need playwright: pip install 'seqclf[test]'")
from playwright.sync_api import expect

from seqclf.ui.screenshots import (
    ANSWER_TIMEOUT_MS,
    CHROMIUM,
    open_page,
    open_tab,
    prediction,
    wait_for_answer,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no {CHROMIUM}: apt-get install -y chromium"),
]


SURNAMES = "Which made-up language a surname comes from."


@pytest.fixture(scope="module")
def own_models(tmp_path_factory: pytest.TempPathFactory, names_folder: Path) -> Iterator[tuple[str, Path]]:
    from fastapi import FastAPI

    from seqclf.ui.app import load_tabs, mount

    root = tmp_path_factory.mktemp("own")
    texts, labels = [], []
    for path in sorted(names_folder.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        texts += lines
        labels += [path.stem] * len(lines)
    seqclf.fit(
        "text",
        texts,
        labels,
        root / "surnames",
        description=SURNAMES,
        epochs=15,
        hidden_size=24,
        log=lambda _: None,
    )
    rng = np.random.default_rng(0)
    series = [rng.normal(size=(20, 2)) + (i % 2) for i in range(40)]
    seqclf.fit(
        "series", series, [str(i % 2) for i in range(40)], root / "sensor", epochs=3, log=lambda _: None
    )
    running = run_app(mount(FastAPI(), load_tabs(root), root, path="/"))
    try:
        yield running.url + "/", root
    finally:
        running.stop()


def test_a_text_model_of_ones_own_gets_a_text_tab_with_the_library_s_answer(own_models) -> None:
    url, root = own_models
    predictor = Predictor.from_pretrained(root / "surnames", device="cpu")
    expected = predictor.predict(SURNAME)[0]["label"]
    assert expected == LANGUAGE
    kept = predictor.pretrained.training.examples
    assert len(kept) == 8
    with open_page(url) as (page, blocked):
        surnames = open_tab(page, "surnames")
        expect(surnames.get_by_text(SURNAMES)).to_be_visible()  # what it is for, not its data's format
        box = surnames.get_by_label("Input")
        box.fill(SURNAME)
        box.press("Enter")
        assert wait_for_answer(surnames) == expected
        # no examples folder of its own: it offers the test texts its folder kept
        expect(surnames.locator("button.gallery-item")).to_have_text(kept)
        surnames.locator("button.gallery-item").first.click()
        expect(box).to_have_value(kept[0])
        expect(prediction(surnames)).to_have_text(
            predictor.predict(kept[0])[0]["label"], timeout=ANSWER_TIMEOUT_MS
        )
        sensor = open_tab(page, "sensor")
        expect(sensor.get_by_text("Frames (CSV")).to_be_visible()  # series are uploaded as CSV
        expect(sensor.get_by_text("Sorting series inputs into 0, 1.")).to_be_visible()  # no description given
        expect(sensor.locator("button.gallery-item")).to_have_count(0)  # a series model keeps none
    assert blocked == []
