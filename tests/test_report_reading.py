"""Reports and the terminal summary read by people: values in words, no JSON, the wide
evidence as cards, passing findings folded, only the tiles that can occur, and messages
wrapped to the terminal rather than cut."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.documents.snapshot import load_snapshot
from auditor.report.render import render, render_summary_table
from auditor.report.values import human, md_evidence
from tests.report_fixtures import demo_results, results_for

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def misconfigured() -> dict[str, Any]:
    path = EXAMPLES / "misconfigured.snapshot.json"
    return results_for(load_snapshot(path), snapshot_file=path.name)


@pytest.fixture(scope="module")
def partial() -> dict[str, Any]:
    path = EXAMPLES / "partial.snapshot.json"
    return results_for(load_snapshot(path), snapshot_file=path.name)


@pytest.mark.parametrize(("value", "key", "shown"), [
    (None, "limit", "not set"),
    (True, "is_active", "yes"),
    (False, "enabled", "no"),
    (15000, "contacts", "15,000"),
    (0.29, "share", "29 %"),
    (0.1, "max_share", "10 %"),
    (0.125, "share", "12.5 %"),
    (2.5, "ratio", "2.5"),
    ([], "record_types", "none"),
    (["Data Steward", "Ops"], "sets", "Data Steward, Ops"),
    ("2026-11-19T22:14:05Z", "last_used_date", "2026-11-19 22:14 UTC"),
    ("2026-05-04", "attested_at", "2026-05-04"),
    ({"a_b": 1, "id": "x"}, None, "A b: 1; Id: x"),
])
def test_values_are_written_for_people(value: Any, key: str | None, shown: str) -> None:
    assert human(value, key) == shown


def _finding(results: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(f for f in results["findings"] if f["rule_id"] == rule_id)


def _article(html: str, rule_id: str) -> str:
    start = html.index(f'id="finding-{rule_id}"')
    return html[start: html.index("</article>", start)]


def test_no_json_in_the_human_reports(misconfigured: dict[str, Any]) -> None:
    html = render(misconfigured, "html")
    markdown = render(misconfigured, "md")
    evidence = [*re.findall(r"<dt>Evidence</dt>(.*?)<div><dt>Based on", html, re.DOTALL),
                *re.findall(r"\nEvidence:\n(.*?)</details>", markdown, re.DOTALL)]
    assert len(evidence) == 26 + 25  # in Markdown, not the one with no evidence recorded
    for text in (html, markdown, *evidence):
        assert "<pre" not in text and "```" not in text
        assert not re.search(r'"\w+": ', text)  # no "key": value
    for text in evidence:
        assert not re.search(r"\b(null|true|false|True|False)\b", text), text
    contacts = _article(html, "lead_contact_sync.contacts_without_email")
    for words in ("15,000", "4,350", "29 %", "10 %"):
        assert words in contacts
    assert "0.29" not in contacts
    assert "not set" in _article(html, "api_usage.limit_set")
    # Nested evidence becomes nested lists and tables.
    duplicates = _article(html, "lead_contact_sync.duplicate_emails")
    assert "<table" in duplicates and "m***@initech.example" in duplicates
    assert ("- Leads:\n  - Emails shared: 23\n  - Examples:\n"
            "    - Email: m&#42;&#42;&#42;@\u2060initech.example · Records: 3") in markdown


def test_wide_records_are_cards_with_the_id_last(misconfigured: dict[str, Any]) -> None:
    admin = _article(render(misconfigured, "html"), "connection.admin_access_temporary")
    assert "<table" not in admin and '<ul class="cards">' in admin
    card = admin.split('<ul class="cards">', 1)[1].split("</ul>", 1)[0]
    labels = re.findall(r"<dt>([^<]+)</dt>", card)
    assert labels[0] == "Username" and labels[-1] == "Id"
    assert '<div class="pair id"><dt>Id</dt>' in admin
    # Narrow records stay a table, which is fixed to the width and wraps.
    tokens = _article(render(misconfigured, "html"), "connection.integration_user")
    assert '<table class="records">' in tokens
    assert tokens.index(">App name<") < tokens.index(">User id<")


def test_passing_findings_are_folded_and_failing_ones_open(misconfigured: dict[str, Any]) -> None:
    html = render(misconfigured, "html")
    for finding in misconfigured["findings"]:
        article = _article(html, finding["rule_id"])
        folded = finding["status"] in ("pass", "not_applicable")
        assert ("<details>" in article) is folded, finding["rule_id"]
        assert ("<header>" in article) is not folded, finding["rule_id"]
    assert "<script" not in html


def test_tiles_only_for_what_can_occur(misconfigured: dict[str, Any]) -> None:
    html = render(misconfigured, "html")
    tiles = re.findall(r'<li class="(\w+)"><strong>(\d+)</strong>', html)
    assert tiles == [("pass", "5"), ("fail", "19"), ("unknown", "0"), ("not_applicable", "2")]
    markdown = render(misconfigured, "md")
    assert "Waived" not in markdown
    # A severity is counted where a rule of it failed: info is (validation rules).
    assert "info **1**" in markdown
    # With a waivers file, "Waived 0" says that none applied.
    waived = copy.deepcopy(misconfigured)
    waived["waivers"] = {"file": "waivers.yaml", "applied": [], "expired": [], "unused": []}
    assert '<li class="waived"><strong>0</strong>' in render(waived, "html")


def test_markdown_evidence_of_any_shape() -> None:
    assert md_evidence({}) == "None recorded."
    text = md_evidence({"rows": [{"a": 1}, [1, 2], "x"], "deep": {"n": None}})
    assert text == ("- Rows:\n  - A: 1\n  -\n    - 1, 2\n  - x\n"
                    "- Deep:\n  - N: not set")


# --- the terminal ----------------------------------------------------------------------


def test_messages_wrap_to_the_width_and_are_never_cut(misconfigured: dict[str, Any]) -> None:
    for width in (60, 100, 220):
        text = render_summary_table(misconfigured, width=width)
        assert "..." not in text and "…" not in text
        assert all(len(line) <= width for line in text.splitlines()
                   if line.startswith("    ") and " " in line.strip())
        flat = " ".join(text.split())
        for finding in misconfigured["findings"]:
            if finding["status"] == "fail":
                assert " ".join(finding["message"].split()) in flat


def test_one_reason_for_many_unknowns_is_told_once(partial: dict[str, Any]) -> None:
    text = render_summary_table(partial, width=100)
    assert text.count("Salesforce rejected the access token") == 2  # the group, the source
    assert "14 findings cannot be verified:" in text
    assert "Renew it with `sf org login web`" in " ".join(text.split())
    # What needs attention comes before what passed.
    assert text.index("cannot be verified") < text.index("PASS")


def test_colour_only_when_asked(misconfigured: dict[str, Any]) -> None:
    plain = render_summary_table(misconfigured, width=100)
    coloured = render_summary_table(misconfigured, width=100, color=True)
    assert "\x1b[" not in plain
    assert "\x1b[31m\x1b[1mFAIL" in coloured and "\x1b[32mPASS" in coloured
    assert re.sub(r"\x1b\[\d+m", "", coloured) == plain


def test_onboarding_prints_the_checklist_in_step_order(misconfigured: dict[str, Any]) -> None:
    results = copy.deepcopy(misconfigured)
    results["profile"] = "onboarding"
    text = render_summary_table(results, width=100)
    assert text.startswith("Setup checklist: 5 of 24 steps done, 19 left\n")
    steps = re.findall(r"^  \[(.)\] (\d+)\. (.+?): (done|to do)$", text, re.MULTILINE)
    assert [int(number) for _, number, _, _ in steps] == list(range(1, 25))
    expected = [f for f in results["findings"] if f["status"] != "not_applicable"]
    assert [title for _, _, title, _ in steps] == [f["title"] for f in expected]
    assert all((box == "x") == (state == "done") for box, _, _, state in steps)
    assert "[-] The API usage limit is the recommended value (not applicable)" in text


def test_hostile_text_cannot_drive_the_terminal() -> None:
    results = demo_results()
    results["findings"][0]["status"] = "fail"
    results["findings"][0]["message"] = "bad \x1b[2J\nnews \u202e"
    text = render_summary_table(results, width=100)
    assert "\x1b" not in text and "bad [2J news <U+202E>" in " ".join(text.split())
