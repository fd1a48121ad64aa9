"""The demo in a real browser: Debian's Chromium driven by Playwright, with no outside network.

Skipped only where /usr/bin/chromium is missing (``apt-get install -y chromium``);
``playwright install`` is not used because it downloads browsers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from ui_support import EXAMPLES, KEY, LANGUAGE, SURNAME, RunningDemo, audio_example

from seqclf import Predictor
from seqclf.ui.tabs import MAX_EXAMPLES

pytest.importorskip("playwright", reason="the browser tests need playwright: pip install 'seqclf[test]'")
from seqclf.ui.screenshots import (
    CHROMIUM,
    open_page,
    open_tab,
    take_screenshots,
    wait_for_answer,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no {CHROMIUM}: install Debian's browser with `apt-get install -y chromium`",
    ),
]


def test_a_typed_surname_and_an_uploaded_wav_get_their_answers(demo: RunningDemo) -> None:
    wav = audio_example()
    digit = Predictor.from_pretrained(demo.models_dir / "digits", device="cpu").predict(wav)[0]["label"]
    with open_page(demo.url) as (page, blocked):
        names = open_tab(page, "names")
        expect(names.get_by_text("Model source")).to_have_count(1)  # on loopback, other models may be tried
        box = names.get_by_label("Input")
        box.fill(SURNAME)
        box.press("Enter")
        assert wait_for_answer(names) == LANGUAGE

        digits = open_tab(page, "digits")
        digits.locator("input[type=file]").set_input_files(wav)
        digits.get_by_test_id("audio-player-Recording (WAV)").wait_for(
            state="attached"
        )  # the upload has landed
        digits.get_by_role("button", name="Classify").click()
        assert wait_for_answer(digits) == digit
    assert blocked == []  # nothing on the page needs the internet


def test_every_tab_can_be_screenshotted_after_an_example(demo: RunningDemo, tmp_path: Path) -> None:
    answers = take_screenshots(demo.url, tmp_path)
    assert sorted(answers) == ["digits", "names", "sentiment", "vowels"]
    for name, answer in answers.items():
        predictor = Predictor.from_pretrained(demo.models_dir / name, device="cpu")
        first = predictor.modality.examples(EXAMPLES, name, MAX_EXAMPLES)[0]
        example = predictor.modality.from_widget(first)  # a CSV of frames is read, others go as they are
        assert answer == predictor.predict(example)[0]["label"], name  # the page shows the library's answer
        size = (tmp_path / f"ui-{name}.png").stat().st_size
        assert 10_000 < size < 300_000


def test_a_person_logs_in_with_the_key_and_gets_answers(guarded: str) -> None:
    with open_page(f"{guarded}/ui/") as (page, blocked):
        assert page.url.endswith("/login?next=/ui/")  # sent to the form, not shown the demo
        page.get_by_label("API key").fill("not the key")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("not the key")
        page.get_by_label("API key").fill(KEY)
        page.get_by_role("button", name="Log in").click()
        names = open_tab(page, "names")
        expect(names.get_by_text("Model source")).to_have_count(0)  # the operator chose the models
        box = names.get_by_label("Input")
        box.fill(SURNAME)
        box.press("Enter")
        assert wait_for_answer(names) == LANGUAGE
        # under the /ui mount, an example's audio must load (its URL carries the mount path)
        digits = open_tab(page, "digits")
        digits.locator("button.gallery-item").first.click()
        wait_for_answer(digits)
        expect(digits.locator("#duration").first).not_to_have_text("0:00", timeout=30_000)
    assert blocked == []


def test_the_api_docs_list_the_operations_offline(guarded: str) -> None:
    with open_page(f"{guarded}/docs") as (page, blocked):
        expect(page.get_by_text("/v1/models/{model_id}/predict").first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("/healthz").first).to_be_visible()
    assert blocked == []  # Swagger UI's script and styles come from the server, not a CDN
