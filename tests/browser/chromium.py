"""Open a page in headless Chromium and report what a reader would see go wrong.

The pages we publish (``report.html``, ``board.html``) are self-contained files that a
board member opens by double-clicking. A page can pass every string check and still
show a broken image, a script error or a table squeezed to nothing, so these tests
open it in a real browser: Debian's ``chromium``, driven by Playwright for Python
(``make test`` installs the browser when it is missing, as it does R). Playwright's
own browser download is never used: it needs a host this project cannot reach.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import ConsoleMessage, sync_playwright

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
"""Where the screenshots go: ``build/`` is ignored by git and rebuilt by every run."""


@dataclass
class PageCheck:
    """What headless Chromium found on one page."""

    console_errors: list[str] = field(default_factory=list)
    images: list[dict[str, object]] = field(default_factory=list)
    tables: list[dict[str, object]] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def broken_images(self) -> list[dict[str, object]]:
        """Images the browser could not decode or drew with no width."""
        return [i for i in self.images if not i["complete"] or not i["natural_width"]]


def chromium_path() -> str:
    """The system Chromium; a clear failure when it is missing."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        "Debian's chromium is not installed; `make test` installs it (make browser-deps)"
    )


def check_page(html: Path, screenshot_name: str, *, width: int = 1280) -> PageCheck:
    """Load ``html`` from disk, collect console errors, images, tables; screenshot it.

    The screenshot (full page) is written to ``build/screenshots/<screenshot_name>.png``.
    """
    result = PageCheck()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            result.console_errors.append(message.text)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        # --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot
        # start; the page is our own local file, so nothing untrusted runs in it.
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", on_console)
            page.on("pageerror", lambda error: result.console_errors.append(str(error)))
            page.goto(html.resolve().as_uri(), wait_until="load")
            result.images = page.eval_on_selector_all(
                "img",
                """els => els.map(e => ({alt: e.alt, complete: e.complete,
                    natural_width: e.naturalWidth,
                    shown_width: e.getBoundingClientRect().width,
                    container_width: e.parentElement.getBoundingClientRect().width}))""",
            )
            result.tables = page.eval_on_selector_all(
                "table",
                """els => els.map(e => ({rows: e.rows.length,
                    width: e.getBoundingClientRect().width,
                    caption: e.caption ? e.caption.textContent : ''}))""",
            )
            result.headings = page.eval_on_selector_all(
                "h1, h2, h3", "els => els.map(e => e.textContent.trim())"
            )
            result.screenshot = SCREENSHOTS / f"{screenshot_name}.png"
            page.screenshot(path=str(result.screenshot), full_page=True)
        finally:
            browser.close()
    return result
