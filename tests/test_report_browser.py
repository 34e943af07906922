"""The HTML reports in a real browser: headless Chromium, through playwright.

A hostile teammate name must show as text, run nothing, and the strict CSP must leave
the report's own stylesheet working without a single console error.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.report.render import render
from tests.report_fixtures import SCRIPT, demo_results

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not installed: pip install -e '.[test]'")
    executable = _chromium()
    if executable is None:
        if os.environ.get("AUDITOR_REQUIRE_BROWSER"):  # set by .ci/run: CI must not skip
            pytest.fail("Chromium is required here (AUDITOR_REQUIRE_BROWSER) but not installed")
        pytest.skip("Chromium not installed: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Watched:
    """A page whose console errors, uncaught errors and dialogs are all recorded."""

    def __init__(self, browser: Any) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": 1100, "height": 1400})
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        self.page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        # CSP violations arrive as console errors ("Refused to apply inline style ...").
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def _open(browser: Any, tmp_path: Path, profile: str) -> Watched:
    report = tmp_path / f"{profile}.html"
    report.write_text(render(demo_results(profile=profile), "html"), encoding="utf-8")
    watched = Watched(browser)
    watched.page.goto(report.as_uri(), wait_until="load")
    return watched


@pytest.mark.parametrize("profile", ["audit", "onboarding"])
def test_hostile_name_is_text_and_nothing_runs(browser: Any, tmp_path: Path, profile: str) -> None:
    watched = _open(browser, tmp_path, profile)
    page = watched.page
    try:
        # The teammate's name, markup and all, is on screen as text.
        assert page.get_by_text(SCRIPT).first.is_visible()
        assert SCRIPT in page.inner_text("main")
        assert page.locator("script").count() == 0
        # The hash-pinned stylesheet applied despite default-src 'none'.
        color = page.eval_on_selector("h1", "e => getComputedStyle(e).color")
        assert color == "rgb(31, 58, 95)"
        # Printing works and keeps every finding.
        page.emulate_media(media="print")
        assert page.pdf()[:4] == b"%PDF"
        assert watched.errors == []
        assert watched.dialogs == []
    finally:
        page.close()


def test_fragment_links_stay_in_the_report(browser: Any, tmp_path: Path) -> None:
    watched = _open(browser, tmp_path, "audit")
    page = watched.page
    try:
        start = page.url
        page.locator(".attention a").first.click()
        assert page.url.split("#")[0] == start
        assert "#finding-" in page.url
        assert watched.errors == [] and watched.dialogs == []
    finally:
        page.close()
