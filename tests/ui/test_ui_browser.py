"""The demo in a real browser: Debian's Chromium driven by Playwright, with no outside network.

Skipped only where /usr/bin/chromium is missing (``apt-get install -y chromium``);
``playwright install`` is not used because it downloads browsers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from tiny_model import save_untrained
from ui_support import EXAMPLES, KEY, LANGUAGE, SURNAME, RunningDemo, audio_example

from seqclf import Predictor
from seqclf.encoders.chars import CharEncoder
from seqclf.ui.tabs import MAX_EXAMPLES
from seqclf.ui.views import LEGEND_CLASS, LINE_COLORS, chart_labels

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


#: a phone's width
NARROW = {"width": 400, "height": 900}
#: long class names, as real models have (languages, intents), where the short test ones fit anywhere
LONG_LABELS = [
    "Portuguese (Brazil)",
    "Vietnamese (Southern)",
    "Scottish Gaelic",
    "Japanese (Romaji)",
    "Czech (Moravian)",
    "Arabic (Levantine)",
    "Korean (Revised)",
    "Greek (Cypriot)",
]


def test_errors_speak_to_a_person_and_stay_with_their_tab(demo: RunningDemo) -> None:
    with open_page(demo.url) as (page, blocked):
        toasts = page.get_by_test_id("toast-body")
        names = open_tab(page, "names")
        names.get_by_role("button", name="Classify").click()  # nothing typed
        # one toast, its title and its one message
        expect(toasts).to_have_text(
            [re.compile(r"^\W*Error\W*Give an input first: type a text or pick an example\.\s*$")]
        )
        digits = open_tab(page, "digits")
        expect(toasts).to_have_count(0)  # the names tab's error is not the digits tab's
        digits.get_by_role("button", name="Classify").click()  # nothing recorded
        expect(toasts).to_have_text(
            [re.compile(r"^\W*Error\W*Give an input first: record or upload a WAV\.\s*$")]
        )
    assert blocked == []


def _inside(inner: dict, outer: dict) -> bool:
    return outer["x"] - 0.5 <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5


def test_on_a_phone_the_unfolding_legend_names_every_line_within_the_chart(
    demo: RunningDemo, tmp_path: Path
) -> None:
    folder = save_untrained(tmp_path / "languages", CharEncoder.fit([SURNAME] * 2), LONG_LABELS, "names")
    lines = chart_labels(Predictor.from_pretrained(folder, device="cpu").unfold(SURNAME))
    assert len(lines) >= 4
    with open_page(demo.url) as (page, blocked):
        page.set_viewport_size(NARROW)
        names = open_tab(page, "names")
        names.get_by_text("Model source").click()
        names.get_by_label("Model folder or Hub repo id").fill(str(folder))  # labels the tab never saw
        box = names.get_by_label("Input")
        box.fill(SURNAME)
        box.press("Enter")
        wait_for_answer(names)
        chart = page.locator("#unfolding-names")
        plot_box = chart.bounding_box()
        assert plot_box["width"] <= NARROW["width"]
        for legend in chart.locator("g.role-legend").all():  # a legend drawn in the chart, if any
            assert _inside(legend.bounding_box(), plot_box), "the chart's legend runs past its box"
        entries = page.locator(f"#unfolding-legend-names .{LEGEND_CLASS} > span")
        expect(entries).to_have_text(lines)  # every line, in its place
        for entry in entries.all():
            assert _inside(entry.bounding_box(), plot_box), entry.inner_text()
        swatches = [
            entry.locator("span").evaluate("e => getComputedStyle(e).backgroundColor")
            for entry in entries.all()
        ]
        strokes = {path.get_attribute("stroke") for path in chart.locator("g.mark-line path").all()}
        assert strokes == set(LINE_COLORS[: len(lines)])  # each line drawn in its legend's colour
        assert swatches == [_rgb(color) for color in LINE_COLORS[: len(lines)]]
    assert blocked == []


def _rgb(hex_color: str) -> str:
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


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
