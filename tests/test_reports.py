"""The reporters: what each format shows, and that no value can turn into markup."""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from auditor.documents.load import Document
from auditor.documents.snapshot import check_snapshot, load_snapshot
from auditor.documents.validation import validator_for
from auditor.engine.sections import SECTIONS
from auditor.report.filters import md
from auditor.report.render import FORMATS, _is_html, render, render_summary_table
from tests.report_fixtures import (
    HOSTILE,
    SCRIPT,
    demo_results,
    demo_snapshot,
    results_for,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.snapshot.json"))
PROFILES = ("audit", "onboarding")

# Elements that fetch, run or submit something; none belongs in a report.
ACTIVE_TAGS = {"script", "img", "iframe", "frame", "object", "embed", "link", "base", "form",
               "audio", "video", "source", "svg", "math", "input", "button", "meta-refresh"}


INLINE_TAGS = {"a", "b", "code", "em", "small", "span", "strong"}


class Page(HTMLParser):
    """What a browser would see in a report: elements, attributes and visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_parts: list[str] = []
        self.style = ""
        self._in: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in.append(tag)
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        self._break(tag)
        if tag in self._in:
            while self._in.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "style":
            self.style += data
        else:
            self.text_parts.append(data)

    def _break(self, tag: str) -> None:
        # Block elements separate words; inline ones (<code> in a sentence) do not.
        if tag not in INLINE_TAGS:
            self.text_parts.append(" ")

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def csp(self) -> str:
        for tag, attrs in self.tags:
            equiv = (attrs.get("http-equiv") or "").lower()
            if tag == "meta" and equiv == "content-security-policy":
                return attrs.get("content") or ""
        raise AssertionError("no Content-Security-Policy meta tag")


@pytest.fixture(scope="module")
def hostile() -> dict[str, dict[str, Any]]:
    return {profile: demo_results(profile=profile) for profile in PROFILES}


# --- the environment --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("audit.html.j2", True),
        ("onboarding.html.j2", True),
        ("_macros.html.j2", True),
        ("something-new.j2", True),  # fail closed
        ("audit.md.j2", False),
    ],
)
def test_html_templates_are_always_autoescaped(name: str, escaped: bool) -> None:
    assert _is_html(name) is escaped


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report format"):
        render(demo_results(), "pdf")


def test_demo_snapshot_is_a_valid_snapshot() -> None:
    # A hostile value only proves something if it sits where real data can.
    check_snapshot(Document(data=demo_snapshot(), file="<demo>", text=""))


# --- HTML -------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_html_escapes_every_hostile_value(hostile: dict[str, Any], profile: str) -> None:
    html = render(hostile[profile], "html")
    page = Page(html)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for value in HOSTILE:
        assert value in page.text, value
    assert not {tag for tag, _ in page.tags} & ACTIVE_TAGS


@pytest.mark.parametrize("profile", PROFILES)
def test_html_has_a_strict_csp_that_admits_only_its_own_stylesheet(
    hostile: dict[str, Any], profile: str
) -> None:
    page = Page(render(hostile[profile], "html"))
    directives = dict(
        [*d.split(None, 1), ""][:2] for d in (p.strip() for p in page.csp().split(";")) if d
    )
    assert directives["default-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'none'"
    assert "unsafe" not in page.csp()
    assert "script-src" not in directives  # default-src 'none' forbids every script
    digest = base64.b64encode(hashlib.sha256(page.style.encode()).digest()).decode()
    assert directives["style-src"] == f"'sha256-{digest}'"
    # The CSP meta tag must come before the stylesheet it governs.
    names = [tag for tag, _ in page.tags]
    assert names.index("meta") < names.index("style")
    assert "@media print" in page.style


@pytest.mark.parametrize("profile", PROFILES)
def test_html_fetches_nothing_from_outside(hostile: dict[str, Any], profile: str) -> None:
    page = Page(render(hostile[profile], "html"))
    for tag, attrs in page.tags:
        assert "src" not in attrs and "srcset" not in attrs, tag
        assert "style" not in attrs, tag  # an inline style attribute would break the CSP
        href = attrs.get("href")
        if href is not None:
            # In-page navigation, or a reference: a link the reader follows, never a fetch.
            assert tag == "a" and (href.startswith("#") or (
                href.startswith("https://") and attrs.get("rel") == "noopener noreferrer")), href
    assert "url(" not in page.style and "@import" not in page.style
    # Without hostile text, the only addresses are the rules' references, as links.
    for fmt_profile in PROFILES:
        results = demo_results(profile=fmt_profile, hostile=False)
        clean = render(results, "html")
        urls = {r["url"] for f in results["findings"] for r in f["references"]}
        assert "http://" not in clean
        for url in re.findall(r"https://[^\s\"<>]+", clean):
            assert html.unescape(url) in urls, url


def test_html_fragment_links_point_at_findings(hostile: dict[str, Any]) -> None:
    page = Page(render(hostile["audit"], "html"))
    ids = {attrs.get("id") for _, attrs in page.tags}
    targets = [attrs.get("href") or "" for tag, attrs in page.tags
               if tag == "a" and not (attrs.get("href") or "").startswith("https://")]
    assert targets
    for href in targets:
        assert href[1:] in ids


def test_html_evidence_of_any_shape_is_escaped() -> None:
    results = demo_results(hostile=False)
    finding = results["findings"][0]
    finding["evidence"] = {
        "nested": {"name": SCRIPT, "deeper": [{"x": ["<b>bold</b>"]}]},
        "records": [{"name": SCRIPT, "tags": ["<i>", "ok"]}],
        "flat": SCRIPT,
        "none": None,
        "empty": [],
    }
    html = render(results, "html")
    assert "<b>bold</b>" not in html and "<i>" not in html and "<script" not in html
    text = Page(html).text
    assert SCRIPT in text and "<b>bold</b>" in text and "<i>, ok" in text


def test_html_reference_urls_link_only_to_the_web() -> None:
    results = demo_results(hostile=False)
    results["findings"][0]["references"] = [
        {"title": "Guide", "url": "https://example.com/guide"},
        {"title": "Trap", "url": "javascript:alert(1)"},
        {"title": "Plain", "url": "http://example.com/plain"},
    ]
    page = Page(render(results, "html"))
    links = {attrs.get("href"): attrs for tag, attrs in page.tags if tag == "a"}
    assert links["https://example.com/guide"]["rel"] == "noopener noreferrer"
    assert not any(h and h.startswith(("javascript", "http:")) for h in links)
    # An address that is not https is shown as text beside the title, never linked.
    assert "Trap (javascript:alert(1))" in page.text
    assert "Plain (http://example.com/plain)" in page.text


def test_audit_html_shows_the_summary(hostile: dict[str, Any]) -> None:
    results = hostile["audit"]
    text = Page(render(results, "html")).text
    summary = results["summary"]
    assert f"{summary['score']}/100" in text
    assert "2026-11-21 09:30 UTC" in text  # snapshot time
    assert "by jane@acme.example on 2026-11-20 in settings.yaml" in text
    assert "1 failing finding at or above high severity" in text
    for status, count in summary["by_status"].items():
        tile = f"{count} {status.replace('_', ' ').capitalize()}"
        # No waivers file, so no "0 Waived" tile suggesting one was considered.
        assert (tile in text) is (status != "waived"), tile
    # Collection per source, with the requests each spent.
    assert re.search(r"Salesforce Collected 2026-11-21 09:28 UTC 14", text)
    assert re.search(r"Intercom Collected 2026-11-21 09:29 UTC 6", text)


def test_audit_html_shows_each_finding_in_full(hostile: dict[str, Any]) -> None:
    results = hostile["audit"]
    text = Page(render(results, "html")).text
    for finding in results["findings"]:
        assert finding["rule_id"] in text
        assert finding["title"] in text
        # Backticked names become <code>, so the backticks themselves are not text.
        assert " ".join(finding["remediation"].replace("`", "").split()) in text
    # Provenance, both kinds, and what an unknown finding lacks and how to supply it.
    assert "Attested by jane@acme.example on 2026-11-20 in settings.yaml" in text
    assert "Observed in Salesforce at 2026-11-21 09:28 UTC" in text
    assert "403 INSUFFICIENT_ACCESS on Lead" in text
    assert "To supply it: grant the auditing user access to it" in text
    # Status is spelled out, not only coloured.
    assert "Fail" in text and "Unknown" in text and "Not applicable" in text


@pytest.mark.parametrize("profile", PROFILES)
def test_html_sections_follow_the_guide(hostile: dict[str, Any], profile: str) -> None:
    text = Page(render(hostile[profile], "html")).text
    positions = [text.index(f"{n}. {s.title}") for n, s in enumerate(SECTIONS, 1)]
    assert positions == sorted(positions)


def test_html_without_score_or_threshold() -> None:
    results = demo_results(hostile=False)
    results["summary"]["score"] = None
    results["fail_on"] = "never"
    text = Page(render(results, "html")).text
    assert "n/a" in text and "at or above" not in text


# --- Markdown ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "unwanted"),
    [
        (SCRIPT, "<"),
        ("a | b", "|"),
        ("[link](http://x)", "["),
        ("![img](http://x)", "]("),
        ("see http://x or www.example.com", "://"),
        ("line one\n\nline two", "\n"),
        ("# heading", "# "),
        ("1. item", "1."),
        ("- item", "-"),
        ("*bold* _em_ ~~gone~~", "*"),
        ("`code` \\escape", "\\"),
        ("<!-- comment -->", "<!--"),
        ("$x^2$", "$"),
        ("&lt;script&gt;", "&lt;script"),
    ],
)
def test_md_filter_neutralises(raw: str, unwanted: str) -> None:
    assert unwanted not in md(raw)


def test_md_filter_keeps_text_readable() -> None:
    assert md("Email address is the unique identifier.") == (
        "Email address is the unique identifier."
    )
    assert md("job_title and `settings.path` stay") == "job_title and `settings.path` stay"
    # A mention would notify people from a pull-request comment; a word joiner stops it.
    assert md("ping @acme/admins") == "ping @\u2060acme/admins"
    assert md("jane@acme.example") == "jane@acme.example"


@pytest.mark.parametrize("profile", PROFILES)
def test_markdown_escapes_every_hostile_value(hostile: dict[str, Any], profile: str) -> None:
    text = render(hostile[profile], "md")
    assert "<script" not in text.lower()
    # Evidence sits in JSON code blocks, where nothing is markup; look at the rest.
    text = re.sub(r"```json\n.*?\n```", "", text, flags=re.DOTALL)
    assert "](http" not in text and "![img]" not in text and "[link]" not in text
    assert "http://" not in text
    # Every table row keeps the header's number of cells.
    for table in re.findall(r"(?:^\|.*\|[ ]*\n)+", text, flags=re.MULTILINE):
        widths = {line.count("|") for line in table.splitlines()}
        assert len(widths) == 1, table


@pytest.mark.parametrize("profile", PROFILES)
def test_markdown_renders_safely_on_github(hostile: dict[str, Any], profile: str) -> None:
    reason = "cmarkgfm (GitHub's own Markdown renderer) not installed: pip install cmarkgfm"
    cmarkgfm = pytest.importorskip("cmarkgfm", reason=reason)
    cmark = pytest.importorskip("cmarkgfm.cmark", reason=reason)
    # Unsafe mode: GitHub's sanitiser is not there to help, the escaping must hold alone.
    html = cmarkgfm.github_flavored_markdown_to_html(
        render(hostile[profile], "md"), options=cmark.Options.CMARK_OPT_UNSAFE
    )
    page = Page(html)
    tags = {tag for tag, _ in page.tags}
    assert not tags & (ACTIVE_TAGS - {"input"})  # task list boxes are disabled inputs
    findings = hostile[profile]["findings"]
    anchors = {f"finding-{f['rule_id']}" for f in findings}
    references = {r["url"] for f in findings for r in f["references"]}
    for tag, attrs in page.tags:
        if tag == "a":
            # GitHub links email addresses; beyond those, only the report's own links:
            # each finding's anchor, "see RULE_ID" to it, and the rules' references.
            href = attrs.get("href")
            assert (attrs.get("name") in anchors if href is None
                    else href.startswith("mailto:") or href[1:] in anchors
                    or href in references), attrs
        if tag == "input":
            assert "disabled" in attrs
    for value in HOSTILE:
        assert value in page.text, value


def test_markdown_audit_lists_failures_first(hostile: dict[str, Any]) -> None:
    results = hostile["audit"]
    text = render(results, "md")
    attention = text.split("## Needs attention", 1)[1].split("## Findings by section", 1)[0]
    rows = [line for line in attention.splitlines() if line.startswith("| ")][1:]
    failing = [f for f in results["findings"] if f["status"] == "fail"]
    unknown = [f for f in results["findings"] if f["status"] == "unknown"]
    assert len(rows) == len(failing) + len(unknown)
    assert all("Fail" in row for row in rows[: len(failing)])
    assert all("Unknown" in row for row in rows[len(failing) :])
    assert "Score: 57/100" in text
    for finding in results["findings"]:
        assert f"`{finding['rule_id']}`" in text or f"<code>{finding['rule_id']}</code>" in text
    # Evidence as a list written for people, never JSON.
    assert "```" not in text and '": ' not in text
    assert "- Attested at: 2026-11-20\n- Age days: 1\n- Max age days: 90" in text


# --- onboarding -------------------------------------------------------------------------


def _by_status(results: dict[str, Any], status: str) -> list[dict[str, Any]]:
    return [f for f in results["findings"] if f["status"] == status]


def test_onboarding_markdown_is_a_task_list(hostile: dict[str, Any]) -> None:
    results = hostile["onboarding"]
    text = render(results, "md")
    assert "**Progress: 12 of 25 steps done, 6 to do, 7 not yet verifiable.**" in text
    lines = text.splitlines()

    def line_of(finding: dict[str, Any]) -> str:
        return next(line for line in lines if f"`{finding['rule_id']}`" in line
                    or f"{md(finding['title'])}~~" in line)

    for finding in _by_status(results, "pass"):
        assert line_of(finding).startswith("- [x] ")
    for finding in _by_status(results, "fail"):
        assert line_of(finding).startswith("- [ ] ") and "to do" in line_of(finding)
    for finding in _by_status(results, "unknown"):
        assert line_of(finding).startswith("- [ ] ")
        assert "not yet verifiable" in line_of(finding)
    for finding in _by_status(results, "not_applicable"):
        assert line_of(finding).startswith("- ~~")
    assert "Not yet verifiable: Salesforce `leads` was unavailable" in text
    # Steps are numbered in the guide's order and each says where and what.
    numbers = [int(n) for n in re.findall(r"\*\*Step (\d+)\. ", text)]
    assert numbers == list(range(1, 26))
    assert text.count("  - Where to click: ") == 25
    assert text.count("  - What to choose: ") == 25


def test_onboarding_html_checks_off_what_is_done(hostile: dict[str, Any]) -> None:
    results = hostile["onboarding"]
    html = render(results, "html")
    text = Page(html).text
    assert "12 of 25 steps done, 6 to do, 7 not yet verifiable." in text
    for finding in results["findings"]:
        step = re.search(
            rf'<li class="step (\w+)" id="step-{re.escape(finding["rule_id"])}">(.*?)</li>\n',
            html,
            flags=re.DOTALL,
        )
        assert step, finding["rule_id"]
        status, body = step.groups()
        assert status == finding["status"]
        words = Page(body).text
        expected = {
            "pass": "☑ Step",
            "fail": "☐ Step",
            "unknown": "☐ Step",
            "not_applicable": "— Skipped:",
        }[status]
        assert words.startswith(expected), words
        state = {"pass": "Done", "fail": "To do", "unknown": "Not yet verifiable",
                 "not_applicable": "Not applicable"}[status]
        assert state in words
        if status == "unknown":
            assert "To supply it:" in words
        if status != "not_applicable":
            assert "Where to click" in words and "What to choose" in words


# --- JSON and stdout --------------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_json_report_is_the_model(hostile: dict[str, Any], profile: str) -> None:
    results = hostile[profile]
    text = render(results, "json")
    assert json.loads(text) == results
    assert not list(validator_for("report").iter_errors(json.loads(text)))


def test_summary_table_lists_failures_first(hostile: dict[str, Any]) -> None:
    table = render_summary_table(hostile["audit"])
    # Headings start a line; messages are indented beneath them.
    statuses = [line.split()[0] for line in table.splitlines() if line[:1].isupper()][:8]
    assert statuses[:6] == ["FAIL"] * 6 and statuses[6:8] == ["UNKNOWN"] * 2


# --- every example, every format --------------------------------------------------------


@pytest.mark.skipif(not EXAMPLE_FILES, reason="no examples/*.snapshot.json yet")
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("profile", PROFILES)
def test_every_example_renders_every_rule(path: Path, profile: str) -> None:
    snapshot = load_snapshot(path)
    results = results_for(copy.deepcopy(snapshot), profile=profile, snapshot_file=path.name)
    for fmt in FORMATS:
        text = render(results, fmt)
        # GitLab's Code Quality lists only what is to act on: issues, not checks.
        listed = [f for f in results["findings"]
                  if fmt != "codequality" or f["status"] in ("fail", "unknown")]
        for finding in listed:
            assert finding["rule_id"] in text, (fmt, finding["rule_id"])
    page = Page(render(results, "html"))
    page.csp()
    for source, info in results["collection"].items():
        if "reason" in info:
            assert " ".join(info["reason"].replace("`", "").split()) in page.text, source
