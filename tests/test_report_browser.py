"""The HTML reports in a real browser: headless Chromium, through playwright.

A hostile teammate name must show as text, run nothing, and the strict CSP must leave
the report's own stylesheet working without a single console error.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor.documents.snapshot import load_snapshot
from auditor.report.render import render
from auditor.report.values import human
from tests.report_fixtures import SCRIPT, demo_results, results_for

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Where Debian's package and Homebrew's cask put it, when it is not on PATH.
KNOWN_PLACES = (
    "/usr/bin/chromium",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)
HOW_TO_INSTALL = (
    "apt-get install chromium (Debian, Ubuntu) or brew install --cask chromium (macOS), "
    "or set AUDITOR_CHROMIUM to a Chromium or Chrome executable"
)


def _chromium() -> str | None:
    named = os.environ.get("AUDITOR_CHROMIUM")
    if named:
        return named
    found = shutil.which("chromium")
    if found:
        return found
    return next((place for place in KNOWN_PLACES if os.access(place, os.X_OK)), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not installed: pip install -e '.[test]'")
    executable = _chromium()
    if executable is None:
        if os.environ.get("AUDITOR_REQUIRE_BROWSER"):  # set by .ci/run: CI must not skip
            pytest.fail(f"Chromium is required here (AUDITOR_REQUIRE_BROWSER): {HOW_TO_INSTALL}")
        pytest.skip(f"Chromium not installed: {HOW_TO_INSTALL}")
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


# --- print: the misconfigured example as a client receives it ---------------------------

MISCONFIGURED = Path(__file__).resolve().parent.parent / "examples" / "misconfigured.snapshot.json"


def _leaves(value: Any, key: Any = None) -> Iterator[str]:
    """Every value of the evidence as the report writes it for people."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, name)
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        for item in value:
            yield from _leaves(item, key)
    else:
        yield human(value, key)


def _squeezed(text: str) -> str:
    # PDF text comes back broken into lines wherever the page wrapped it.
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(("paper", "most_pages"), [("A4", 9), ("Letter", 10)])
def test_the_misconfigured_example_prints_whole_on_few_pages(
    browser: Any, tmp_path: Path, paper: str, most_pages: int
) -> None:
    pypdf = pytest.importorskip("pypdf", reason="pypdf is a test extra: pip install -e '.[test]'")
    results = results_for(load_snapshot(MISCONFIGURED), snapshot_file=MISCONFIGURED.name)
    report = tmp_path / "report.html"
    report.write_text(render(results, "html"), encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(report.as_uri(), wait_until="load")
        pdf = page.pdf(format=paper)
        # No element is wider than the page: nothing is clipped at the right margin.
        page.emulate_media(media="print")
        overflowing = page.evaluate(
            "() => [...document.querySelectorAll('main *')]"
            ".filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX"
            " !== 'visible').map(e => e.tagName + '.' + e.className)")
    finally:
        page.close()
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) <= most_pages
    assert overflowing == []
    text = _squeezed("".join(pdf_page.extract_text() for pdf_page in reader.pages))
    failing = [f for f in results["findings"] if f["status"] == "fail"]
    assert len(failing) == 19
    for finding in failing:
        assert _squeezed(finding["message"].replace("`", "")) in text, finding["rule_id"]
        for shown in _leaves(finding["evidence"]):
            assert _squeezed(shown) in text, (finding["rule_id"], shown)
    # The words that prove the admin-rights failure are on paper, not cut off a wide table.
    for words in ("System Administrator", "Data Steward", "it@acme.example", "29 %", "15,000"):
        assert _squeezed(words) in text
    # Passing findings print as one line each: their advice is not on paper.
    passing = next(f for f in results["findings"] if f["rule_id"] == "account_sync.disabled")
    assert _squeezed(passing["rationale"]) not in text


# --- the trend: the chart on screen and on paper -------------------------------------------

def test_the_trend_chart_shows_prints_and_runs_nothing(browser: Any, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf", reason="pypdf is a test extra: pip install -e '.[test]'")
    from auditor.documents.history import read_history
    from auditor.report.render import render_trend
    from auditor.report.trend import build_trend
    from tests.golden.history import make_history

    history = make_history(tmp_path / "history")
    trend = build_trend(*read_history([history]))
    page_file = tmp_path / "trend.html"
    page_file.write_text(render_trend(trend, "html"), encoding="utf-8")
    watched = Watched(browser)
    page = watched.page
    try:
        page.goto(page_file.as_uri(), wait_until="load")
        assert page.locator("script").count() == 0
        chart = page.locator("svg[role=img]")
        box = chart.bounding_box()
        assert box is not None and box["width"] > 500 and box["height"] > 100
        # The line is drawn in the stylesheet's colour: the CSP let the stylesheet apply.
        stroke = page.eval_on_selector(".score-line", "e => getComputedStyle(e).stroke")
        assert stroke == "rgb(31, 58, 95)"
        page.emulate_media(media="print")
        overflowing = page.evaluate(
            "() => [...document.querySelectorAll('main *')]"
            ".filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX"
            " !== 'visible').map(e => e.tagName + '.' + e.className)")
        pdf = page.pdf(format="A4")
        assert watched.errors == [] and watched.dialogs == []
    finally:
        page.close()
    assert overflowing == []
    text = _squeezed("".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    # The chart's axis and dates, and every run's score in the table beside it, on paper.
    for words in ("Scoreperrun", "2026-11-0102:00UTC", "2026-11-3002:00UTC", "Runs"):
        assert words in text
    for run in trend["runs"]:
        when = run["generated_at"][:10] + run["generated_at"][11:16] + "UTC"
        assert f"{when}{run['score']}" in text, run["run"]
    assert "cases.case_owner" in text and "stillfailing" not in text
