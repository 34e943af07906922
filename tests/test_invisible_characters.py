"""Issue 9: bidi and zero-width characters from any source are shown as <U+XXXX> in the
reports, the terminal summary, progress lines and error messages, never acted on."""

from __future__ import annotations

import json
import sys
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli.commands import EXIT_BAD_INPUT, EXIT_FINDINGS, cli
from auditor.cli.fleet_run import TargetOutcome, rollup, rollup_part
from auditor.cli.progress import describe
from auditor.collect.run import SourceProgress
from auditor.engine.catalogue import load_rules, resolve_params
from auditor.engine.evaluate import evaluate
from auditor.report.filters import html_finalize, md, md_code
from auditor.report.render import render, render_rollup, render_summary_table
from auditor.report.results import build_results
from auditor.report.values import md_evidence
from auditor.safety.display import INVISIBLE, one_line, reveal
from tests.hostile_text import CORPUS, JOINED, NEUTRAL, raw_characters, sarif_messages
from tests.snapshots import example, with_value

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "misconfigured.snapshot.json"
# The characters the issue names, and a few more of the same kind.
NAMED = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
         "\u2069", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\ufeff", "\u2060",
         "\u061c", "\u3164", "\U000e0041"]


def test_every_format_character_of_this_python_is_revealed() -> None:
    missing = [f"U+{cp:04X}" for cp in range(sys.maxunicode + 1)
               if unicodedata.category(chr(cp)) == "Cf" and not INVISIBLE.fullmatch(chr(cp))]
    assert missing == []


@pytest.mark.parametrize("char", NAMED)
def test_invisible_characters_are_spelled_out(char: str) -> None:
    code = f"U+{ord(char):04X}"
    assert reveal(f"a{char}b") == f"a<{code}>b"
    assert one_line(f"a{char}b\n\x1b[2Jc") == f"a<{code}>b  [2Jc"
    assert md(f"a{char}b") == f"a&lt;{code}&gt;b"
    assert md_code(f"a{char}b") == f"a&lt;{code}&gt;b"
    assert str(html_finalize(f"a{char}b")) == f"a<{code}>b"  # autoescape follows


def test_visible_text_is_left_alone() -> None:
    text = "Zoë Ådne, 東京, مرحبا, 👩🏽!"
    assert reveal(text) == text


def test_escaped_html_spells_them_out_escaped() -> None:
    from markupsafe import Markup

    assert html_finalize(Markup("<code>a\u202eb</code>")) == Markup(
        "<code>a&lt;U+202E&gt;b</code>")


def test_markdown_evidence_spells_them_out() -> None:
    block = md_evidence({"name": "a\u202eb\U000e0041"})
    assert block == "- Name: a&lt;U+202E&gt;b&lt;U+E0041&gt;"
    assert not INVISIBLE.search(block)


def test_progress_lines_spell_them_out() -> None:
    line = describe(SourceProgress("intercom", state="unavailable", requests=1,
                                   detail="401 \u202eToken\u200b invalid"))
    assert line == "intercom   unavailable, 1 request: 401 <U+202E>Token<U+200B> invalid"


def test_error_messages_spell_them_out() -> None:
    result = CliRunner().invoke(cli, ["rules", "cases\u202e.x"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.stderr == ("error: there is no rule 'cases<U+202E>.x'. `auditor rules` lists "
                             "them all.\n")


def test_a_snapshot_carrying_them_is_reported_with_them_spelled_out(tmp_path: Path) -> None:
    snapshot = json.loads(EXAMPLE.read_text())
    snapshot["settings"]["workspace"] = "Globex\u202eproC"
    snapshot["settings"]["attested_by"] = "consultant\u200b@partner.example"
    snapshot["salesforce"]["integration_users"][0]["profile_name"] = "System\u2066 Administrator"
    snapshot["salesforce"]["integration_users"][0]["modify_all_data_permission_sets"] = [
        "Data\ufeffSteward"]
    snapshot["intercom"]["teammates"][0]["name"] = "Jane\u200dDoe"
    snapshot["salesforce"]["intercom_tokens"][0]["app_name"] = "Intercom\u200b"
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "reports"

    result = CliRunner().invoke(cli, ["audit", "--snapshot", str(path), "--out", str(out)])

    assert result.exit_code == EXIT_FINDINGS, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert not INVISIBLE.search(html)
    # md() puts a word joiner after @ on purpose, so that no @mention notifies anyone.
    assert set(INVISIBLE.findall(markdown)) <= {"\u2060"}
    assert not INVISIBLE.search(result.stdout)
    assert "permission set Data<U+FEFF>Steward" in result.stdout  # the summary
    for shown in ("Globex&lt;U+202E&gt;proC", "System&lt;U+2066&gt; Administrator",
                  "Data&lt;U+FEFF&gt;Steward"):
        assert shown in html
        assert shown in markdown
    assert "consultant&lt;U+200B&gt;@partner.example" in html
    # The machine format keeps the data as it is, for programs to judge, with the
    # character written as a JSON escape: the file is safe to print.
    text = (out / "report.json").read_text(encoding="utf-8")
    assert json.loads(text)["snapshot"]["workspace"] == "Globex\u202eproC"
    assert "Globex\\u202eproC" in text and raw_characters(text) == []


# --- Issue 22: one neutraliser for every channel, against one corpus of hostile text ----

@pytest.mark.parametrize("name", list(CORPUS))
def test_one_line_neutralises_every_hostile_value(name: str) -> None:
    shown = one_line(CORPUS[name])
    assert raw_characters(shown) == []
    assert "\n" not in shown and "\t" not in shown


def hostile_results(profile: str = "audit") -> dict[str, Any]:
    """The misconfigured example's results with the whole corpus in every text a report
    shows: values, reasons, rule texts and a waiver, as if something got past every check."""
    snapshot = with_value(example("misconfigured"), "settings.workspace", JOINED)
    snapshot = with_value(snapshot, "intercom.teammates.0.name", JOINED)
    snapshot = with_value(snapshot, "salesforce.integration_users.0.profile_name", JOINED)
    snapshot = with_value(snapshot, "salesforce.leads",
                          {"status": "unavailable", "reason": JOINED})
    rules = load_rules()
    results = build_results(evaluate(rules, snapshot, resolve_params(rules, {})), snapshot,
                            generated_at=datetime(2026, 11, 26, tzinfo=UTC), profile=profile)
    for section in results["sections"]:
        section["title"] += " " + JOINED
    for finding in results["findings"]:
        for key in ("title", "message", "remediation", "rationale", "where"):
            finding[key] = f"{finding.get(key) or ''} {JOINED}"
        finding.setdefault("evidence", {})["hostile"] = [JOINED, {"name": JOINED}]
    waived = next(f for f in results["findings"] if f["status"] == "fail")
    waived.update(status="waived", waiver={"rule": waived["rule_id"], "reason": JOINED,
                                           "approved_by": JOINED, "expires": "2027-01-01",
                                           "original_status": "fail"})
    return results


REVEALED = "moc.&lt;U+202E&gt;elpmaxe"  # the right-to-left override, escaped in markup


@pytest.mark.parametrize("profile", ["audit", "onboarding"])
def test_every_report_format_neutralises_the_whole_corpus(profile: str) -> None:
    results = hostile_results(profile)
    reports = {fmt: render(results, fmt) for fmt in NEUTRAL}
    for fmt, check in NEUTRAL.items():
        check(reports[fmt])
    for fmt in ("html", "md", "junit"):
        assert REVEALED in reports[fmt]
    messages = sarif_messages(reports["sarif"])
    assert any("\\[click here\\](https://evil.example/login)" in m for m in messages["plain"])
    assert messages["justification"]
    summary = render_summary_table(results, width=100, color=False)
    assert raw_characters(summary) == []
    assert "moc.<U+202E>elpmaxe" in summary


def test_the_fleet_index_neutralises_the_whole_corpus() -> None:
    results = hostile_results()
    failed = TargetOutcome("initech", 3, reason=JOINED)
    audited = TargetOutcome("acme", 1, rollup_part(results), reason=JOINED)
    index = rollup([failed, audited], datetime(2026, 11, 26, tzinfo=UTC))
    html, markdown = render_rollup(index, "html"), render_rollup(index, "md")
    NEUTRAL["html"](html)
    NEUTRAL["md"](markdown)
    assert REVEALED in html and REVEALED in markdown
