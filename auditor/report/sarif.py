"""SARIF 2.1.0, for code-scanning dashboards: the rules, and a result per finding to act on.

A failing finding is a result at its severity's level; an unknown finding is a note (the
evidence is missing, not wrong); a waived finding keeps its result with a suppression
carrying the waiver's justification. Passing and not-applicable findings are left out,
as scanners leave out what they found in order. Each result points at the settings-file
line holding the attested value where there is one, else at the rule's file (its first
line: the rule as a whole). Each result carries a partial fingerprint made of the rule id
and the item it is about, never of a line or a message, so that code scanning keeps it as
the same alert from run to run.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from auditor import PROJECT_URL
from auditor.documents.plain_data import json_text
from auditor.report.filters import md
from auditor.safety.display import one_line

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# SARIF has three problem levels; the audit's five severities fold onto them.
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
          "info": "note"}
# GitHub code scanning ranks results by this number (0.1-10) when it is present.
SCORES = {"critical": "9.0", "high": "7.0", "medium": "5.0", "low": "3.0", "info": "1.0"}
# What SARIF 2.1.0 gives meaning to in a message string (the standard's section 3.11,
# https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html; read in the OASIS
# TC's transcription of 2.1.0 Errata 01, github.com/oasis-tcs/sarif-spec,
# sarif-2.2/prose/edit/src/file-format-11-message-object.md):
# - 3.11.6, embedded links: a plain text message may hold [link text](link destination),
#   where "\", "[" and "]" are the escaped link characters, each written after a
#   backslash to stand for itself;
# - 3.11.5, placeholders: "{0}" stands for an argument, and a literal "{" or "}" is
#   written "{{" or "}}", in plain text and formatted (Markdown) messages alike.
# Whether GitHub code scanning shows "{{" as "{" is unconfirmed; the standard is followed.
_LINK_CHARACTERS = re.compile(r"[\\\[\]]")


def _plain_text(value: str) -> str:
    """Text from a rule file or an API as a SARIF plain text message: neutralised like
    every other channel's, with no link and no placeholder in it, so that
    "[text](https://...)" from data is shown as written and never becomes a link."""
    return _literal_braces(_LINK_CHARACTERS.sub(r"\\\g<0>", one_line(value)))


def _formatted(value: str) -> str:
    """The same text as a SARIF formatted message: Markdown escaped as report.md escapes it."""
    return _literal_braces(md(value))


def _literal_braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")
# Our own fingerprint key: GitHub computes primaryLocationLineHash itself from the file's
# text and warns when a tool sends a different value under that name.
FINGERPRINT_KEY = "ruleAndItem/v1"


def render_sarif(results: dict[str, Any]) -> str:
    sections = {s["key"]: s["title"] for s in results["sections"]}
    findings = results["findings"]
    rules = [_rule(f, sections) for f in findings]
    index = {f["rule_id"]: n for n, f in enumerate(findings)}
    run = {
        "tool": {"driver": {
            "name": results["tool"]["name"],
            "version": results["tool"]["version"],
            "semanticVersion": results["tool"]["version"],
            "informationUri": PROJECT_URL,
            "rules": rules,
        }},
        "automationDetails": {"id": f"intercom-sfdc-audit/{results['generated_at']}"},
        "results": [_result(f, index[f["rule_id"]]) for f in findings
                    if _reported_status(f) in ("fail", "unknown")],
        "columnKind": "unicodeCodePoints",
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json_text(log)


def _reported_status(finding: dict[str, Any]) -> str:
    """A waived finding is reported as what it really is, with a suppression."""
    waiver = finding.get("waiver")
    return str(waiver["original_status"]) if waiver else str(finding["status"])


def _rule(finding: dict[str, Any], sections: dict[str, str]) -> dict[str, Any]:
    severity = finding["severity"]
    help_text = finding["remediation"]
    links = [r for r in finding.get("references", []) if r.get("url")]
    rule: dict[str, Any] = {
        "id": finding["rule_id"],
        "name": "".join(part.capitalize() for part in finding["rule_id"].replace(".", "_")
                        .split("_")),
        "shortDescription": {"text": _plain_text(finding["title"])},
        "fullDescription": {"text": _plain_text(finding["rationale"])},
        "help": {"text": _plain_text(help_text), "markdown": _formatted(help_text)},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {
            "tags": [finding["section"], finding["basis"]],
            "severity": severity,
            "guide-section": one_line(sections.get(finding["section"], finding["section"])),
            "security-severity": SCORES[severity],
        },
    }
    if links:
        rule["helpUri"] = links[0]["url"]
    return rule


def _result(finding: dict[str, Any], rule_index: int) -> dict[str, Any]:
    status = _reported_status(finding)
    result: dict[str, Any] = {
        "ruleId": finding["rule_id"],
        "ruleIndex": rule_index,
        # An unknown finding stays kind "fail" at level "note": SARIF allows a level
        # only on failures, and dashboards show notes where they hide level "none".
        "kind": "fail",
        "level": LEVELS[finding["severity"]] if status == "fail" else "note",
        "message": {"text": _plain_text(finding["message"])},
        "locations": [_location(finding)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {"status": status, "basis": finding["basis"]},
    }
    waiver = finding.get("waiver")
    if waiver and finding["status"] == "waived":
        result["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": one_line(f"{waiver['reason']} (approved by "
                                      f"{waiver['approved_by']}, expires {waiver['expires']})"),
        }]
    return result


def _location(finding: dict[str, Any]) -> dict[str, Any]:
    where = finding.get("location") or {"file": finding.get("rule_file") or "rules"}
    physical: dict[str, Any] = {"artifactLocation": {"uri": where["file"]},
                                "region": {"startLine": where.get("line") or 1}}
    return {"physicalLocation": physical,
            "logicalLocations": [{"name": finding["rule_id"], "kind": "member"}]}


def fingerprint(finding: dict[str, Any]) -> str:
    """The rule id and the item the finding is about (results.about; the rule id alone in
    a report.json older than that field): never a line, a value or a message."""
    item = f"{finding['rule_id']}\n{finding.get('about', finding['rule_id'])}"
    return hashlib.sha256(item.encode("utf-8")).hexdigest()[:32]
