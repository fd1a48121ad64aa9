"""Drive the running demo in a real browser: README screenshots, and the browser test's steps.

Uses Playwright with the system's Chromium (Debian's ``chromium`` package), because
``playwright install`` downloads browsers and the machines this runs on may be
offline. Every request that leaves the demo's own host is blocked and recorded, so
a page that needs the internet shows up as a failure, not as a slow load.

``python -m seqclf.ui.screenshots --url http://127.0.0.1:7860 --out docs/images``
clicks the first example of every tab and saves ``ui-<tab>.png``.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import Locator, Page, Route, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1100, "height": 900}
#: generous: the first request of a tab may wait for a model's first forward pass
ANSWER_TIMEOUT_MS = 60_000
#: let the plots finish drawing after the answer arrives
SETTLE_MS = 1_500


@contextmanager
def open_page(url: str, viewport: dict[str, int] = VIEWPORT) -> Iterator[tuple[Page, list[str]]]:
    """A page on ``url`` and the list of outside requests it tried (all of them blocked).

    Also used for other local pages the docs show (``benchmarks/tensorboard_screenshot.py``).
    """
    own_host = urlsplit(url).netloc
    blocked: list[str] = []

    def only_own_host(route: Route) -> None:
        request_url = route.request.url
        if urlsplit(request_url).netloc == own_host or request_url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(request_url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=viewport)
            page.route("**/*", only_own_host)
            page.goto(url, wait_until="networkidle")
            yield page, blocked
        finally:
            browser.close()


def open_tab(page: Page, name: str) -> Locator:
    """Switch to a model's tab and return its panel."""
    page.locator(f"#tab-{name}-button").click()
    panel = page.locator(f"#tab-{name}")
    expect(panel).to_be_visible()
    return panel


def prediction(panel: Locator) -> Locator:
    """The top label ``gr.Label`` shows in a tab."""
    return panel.locator("[data-testid=label-output-value]")


def wait_for_answer(panel: Locator) -> str:
    """The predicted label, once the answer has arrived and the plots have drawn."""
    top = prediction(panel)
    expect(top).not_to_be_empty(timeout=ANSWER_TIMEOUT_MS)
    panel.page.wait_for_timeout(SETTLE_MS)
    return top.inner_text()


def tab_names(page: Page) -> list[str]:
    """The model tabs on the page, by the names their ``tab-<name>-button`` ids carry."""
    buttons = page.locator("[role=tab][id^=tab-]")
    buttons.first.wait_for()
    return [b.get_attribute("id").removeprefix("tab-").removesuffix("-button") for b in buttons.all()]


def save_small_png(page: Page, path: Path) -> None:
    """A full-page screenshot reduced to a 256-colour palette: a UI loses nothing, the file ~3x."""
    image = Image.open(io.BytesIO(page.screenshot(full_page=True))).convert("RGB")
    image.quantize(colors=256).save(path, optimize=True)


def take_screenshots(url: str, out: Path) -> dict[str, str]:
    """Screenshot every tab after clicking its first example; returns each tab's answer."""
    out.mkdir(parents=True, exist_ok=True)
    answers = {}
    with open_page(url) as (page, blocked):
        for name in tab_names(page):
            panel = open_tab(page, name)
            panel.locator("button.gallery-item").first.click()
            answers[name] = wait_for_answer(panel)
            save_small_png(page, out / f"ui-{name}.png")
        if blocked:
            raise RuntimeError(f"the page tried to reach outside hosts: {blocked}")
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860", help="the running demo")
    parser.add_argument("--out", type=Path, default=Path("docs/images"), help="folder for ui-<tab>.png")
    args = parser.parse_args()
    for name, answer in take_screenshots(args.url, args.out).items():
        print(f"{args.out / f'ui-{name}.png'}: {answer}")


if __name__ == "__main__":
    main()
