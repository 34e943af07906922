"""What an audit prints on stdout: the story of the run, wrapped to the terminal.

Every message is shown in full, wrapped to the width the caller passes (the terminal's),
never cut: the fix is usually in the last words. Findings that cannot be verified for one
shared reason are told once, with how to supply the evidence, instead of row after row.
Colour marks status and severity only when the caller says the output is a terminal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

import click

from auditor.engine.catalogue import SEVERITIES
from auditor.safety.display import one_line

STATUS_ORDER = {"fail": 0, "unknown": 1, "waived": 2, "not_applicable": 3, "pass": 4}
SEVERITY_ORDER = {severity: index for index, severity in enumerate(SEVERITIES)}
STATUS_WORDS = {"pass": "PASS", "fail": "FAIL", "unknown": "UNKNOWN",
                "not_applicable": "N/A", "waived": "WAIVED"}
_STATUS_STYLE: dict[str, dict[str, Any]] = {
    "pass": {"fg": "green"}, "fail": {"fg": "red", "bold": True}, "unknown": {"fg": "yellow"},
    "not_applicable": {"dim": True}, "waived": {"fg": "magenta"},
}
_SEVERITY_STYLE: dict[str, dict[str, Any]] = {
    "critical": {"fg": "red", "bold": True}, "high": {"fg": "red"}, "medium": {"fg": "yellow"},
}
_SOURCE_LABELS = {"salesforce": "Salesforce", "intercom": "Intercom"}
_INDENT = "    "
_NARROWEST = 40  # below this, wrapping would leave a word or two per line


class _Painter:
    """click.style when colour is on; the text unchanged otherwise."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def status(self, status: str, text: str | None = None) -> str:
        return self._style(text or STATUS_WORDS[status], _STATUS_STYLE.get(status, {}))

    def severity(self, severity: str) -> str:
        return self._style(severity, _SEVERITY_STYLE.get(severity, {}))

    def bold(self, text: str) -> str:
        return self._style(text, {"bold": True})

    def _style(self, text: str, style: dict[str, Any]) -> str:
        return click.style(text, **style) if self.color and style else text


def _wrap(text: str, width: int, indent: str = _INDENT) -> list[str]:
    # Control characters from an API must not drive the terminal, nor invisible ones hide.
    # Long words (addresses, rule ids) are kept whole rather than split mid-word.
    return textwrap.wrap(one_line(text), width=max(width, _NARROWEST), initial_indent=indent,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [indent.rstrip()]


def render_summary_table(results: dict[str, Any], width: int = 100, color: bool = False) -> str:
    """The run's summary for stdout: the audit's findings, failures first, or the
    onboarding checklist in step order; then sources not fully collected and the totals."""
    paint = _Painter(color)
    if results.get("profile") == "onboarding":
        body = _checklist(results, width, paint)
    else:
        body = _findings(results, width, paint)
    lines = [*body, "", *_source_lines(results["collection"], width), _totals(results)]
    return "\n".join(lines) + "\n"


def _findings(results: dict[str, Any], width: int, paint: _Painter) -> list[str]:
    findings = sorted(results["findings"], key=lambda f: (STATUS_ORDER[f["status"]],
                                                         SEVERITY_ORDER[f["severity"]]))
    lines: list[str] = []
    unverifiable: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for finding in findings:
        if finding["status"] == "unknown" and finding.get("missing"):
            unverifiable.setdefault(_why_unknown(finding), []).append(finding)
            continue
        if finding["status"] not in ("fail", "unknown"):
            # What needs attention is told before what does not.
            lines.extend(_unverifiable(unverifiable, width, paint))
            unverifiable = {}
        lines.append(_heading(finding, paint))
        if finding["status"] in ("fail", "unknown", "waived"):
            lines.extend(_wrap(finding["message"], width))
    lines.extend(_unverifiable(unverifiable, width, paint))
    return lines


def _heading(finding: dict[str, Any], paint: _Painter) -> str:
    word = STATUS_WORDS[finding["status"]]
    severity = finding["severity"]
    # Padded before styling, so that escape codes do not count towards the columns.
    return (f"{paint.status(finding['status'], f'{word:<7}')} "
            f"{paint.severity(severity)}{' ' * (8 - len(severity))} "
            f"{one_line(finding['rule_id'])}")


def _why_unknown(finding: dict[str, Any]) -> tuple[str, ...]:
    """What is missing and how to supply it, as text: the key findings are grouped by."""
    reasons = dict.fromkeys(item["reason"] for item in finding["missing"])
    fixes = dict.fromkeys(item["how_to_supply"] for item in finding["missing"])
    return (*reasons, "To supply it: " + "; ".join(fixes) + ".")


def _unverifiable(groups: dict[tuple[str, ...], list[dict[str, Any]]], width: int,
                  paint: _Painter) -> list[str]:
    """Each reason a finding cannot be verified, once, with the findings it holds back."""
    lines = []
    for why, findings in groups.items():
        count = len(findings)
        lines.append(paint.status("unknown", "UNKNOWN") + f" {count} finding"
                     f"{'s' if count != 1 else ''} cannot be verified:")
        for text in why:
            lines.extend(_wrap(text, width))
        for finding in findings:
            lines.append(f"{_INDENT}- {paint.severity(finding['severity'])} "
                         f"{one_line(finding['rule_id'])}")
    return lines


def _checklist(results: dict[str, Any], width: int, paint: _Painter) -> list[str]:
    """The onboarding steps in the guide's order, each done or left, with what to do."""
    counts = results["summary"]["by_status"]
    steps = results["summary"]["total"] - counts.get("not_applicable", 0)
    done = counts.get("pass", 0)
    lines = [paint.bold(f"Setup checklist: {done} of {steps} steps done, {steps - done} left")]
    number = 0
    for index, section in enumerate(results["sections"], 1):
        lines.append("")
        lines.append(paint.bold(f"{index}. {one_line(section['title'])}"))
        for finding in results["findings"]:
            if finding["section"] != section["key"]:
                continue
            if finding["status"] == "not_applicable":
                lines.append(f"  [-] {one_line(finding['title'])} (not applicable)")
                continue
            number += 1
            lines.extend(_step(number, finding, section, width, paint))
    return lines


_BOXES = {"pass": "[x]", "fail": "[ ]", "unknown": "[?]", "waived": "[~]"}
_STEP_STATES = {"pass": "done", "fail": "to do", "unknown": "not yet verifiable",
                "waived": "waived"}


def _step(number: int, finding: dict[str, Any], section: dict[str, Any], width: int,
          paint: _Painter) -> list[str]:
    status = finding["status"]
    state = paint.status(status, _STEP_STATES[status])
    lines = [f"  {_BOXES[status]} {number}. {one_line(finding['title'])}: {state}"]
    if status == "pass":
        return lines
    where = (finding.get("where") or section["where"]).replace(" > ", " \u203a ")
    lines.extend(_wrap(f"Where to click: {where}", width, _INDENT + "  "))
    lines.extend(_wrap(f"What to choose: {finding['remediation']}", width, _INDENT + "  "))
    if status == "unknown" and finding.get("missing"):
        lines.extend(_wrap("Not yet verifiable: " + " ".join(_why_unknown(finding)), width,
                           _INDENT + "  "))
    else:
        lines.extend(_wrap(f"Currently: {finding['message']}", width, _INDENT + "  "))
    return lines


def _source_lines(collection: dict[str, Any], width: int) -> list[str]:
    """The sources that were not fully collected, so that a CI log says so."""
    lines: list[str] = []
    for source, info in collection.items():
        label = _SOURCE_LABELS.get(source, source)
        status = info.get("status", "not collected")
        if status == "partial":
            names = ", ".join(item["item"] for item in info.get("unavailable_items", []))
            lines.extend(_wrap(f"{label}: partial; unavailable: {names}", width, ""))
        elif status != "collected":
            lines.extend(_wrap(f"{label}: {status}: {info.get('reason', '')}", width, ""))
    return lines


def _totals(results: dict[str, Any]) -> str:
    counts: Iterable[tuple[str, int]] = results["summary"]["by_status"].items()
    score = results["summary"]["score"]
    totals = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts if n)
    return f"{totals}; score {score if score is not None else 'n/a'}/100"
