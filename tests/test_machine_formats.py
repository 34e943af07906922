"""SARIF and JUnit: valid against their own formats, with exactly the expected results."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

from auditor.engine.catalogue import load_rules, resolve_params
from auditor.engine.evaluate import evaluate
from auditor.engine.waivers import Waiver, apply_waivers
from auditor.report.junit import render_junit
from auditor.report.results import build_results
from auditor.report.sarif import render_sarif
from tests.snapshots import example

SARIF_SCHEMA = (Path(__file__).resolve().parents[2] / "shared" / "reference"
                / "sarif-schema-2.1.0.json")


def results_of(name: str, *, waive: str | None = None, fail_on_unknown: bool = False,
               settings_lines: bool = False) -> dict[str, Any]:
    rules = load_rules()
    findings = evaluate(rules, example(name), resolve_params(rules, {}))
    waivers = None
    if waive:
        findings, waivers = apply_waivers(
            findings, [Waiver(waive, "Accepted until the migration", "cfo@acme.example",
                              date(2027, 1, 31))], date(2026, 11, 26))
    return build_results(findings, example(name), generated_at=datetime(2026, 11, 26,
                         tzinfo=UTC), fail_on_unknown=fail_on_unknown, waivers=waivers)


def statuses(results: dict[str, Any]) -> dict[str, str]:
    return {f["rule_id"]: f["status"] for f in results["findings"]}


def test_sarif_is_valid_against_the_official_schema() -> None:
    if not SARIF_SCHEMA.exists():
        pytest.skip(f"the official SARIF schema is not at {SARIF_SCHEMA} (../shared is absent)")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    for name in ("misconfigured", "partial", "compliant"):
        log = json.loads(render_sarif(results_of(name, waive="cases.case_owner")))
        jsonschema.Draft4Validator(schema).validate(log)


def test_sarif_has_a_result_for_each_failing_and_unknown_finding() -> None:
    results = results_of("misconfigured")
    log = json.loads(render_sarif(results))
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        f["rule_id"] for f in results["findings"]]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    expected = {rule: status for rule, status in statuses(results).items()
                if status in ("fail", "unknown")}
    assert {rule: r["properties"]["status"] for rule, r in by_rule.items()} == expected
    for rule, result in by_rule.items():
        finding = next(f for f in results["findings"] if f["rule_id"] == rule)
        assert result["message"]["text"] == finding["message"]
        if finding["status"] == "unknown":
            assert result["level"] == "note"
        else:
            assert result["level"] == {"critical": "error", "high": "error",
                                       "medium": "warning", "low": "note",
                                       "info": "note"}[finding["severity"]]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert location == f"rules/{rule}.yaml"


def test_a_waived_finding_carries_a_sarif_suppression_with_the_justification() -> None:
    results = results_of("misconfigured", waive="cases.case_owner")
    assert statuses(results)["cases.case_owner"] == "waived"
    log = json.loads(render_sarif(results))
    result = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "cases.case_owner")
    assert result["properties"]["status"] == "fail"
    assert result["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "Accepted until the migration (approved by cfo@acme.example, "
                         "expires 2027-01-31)"}]


def _cases(xml: str) -> dict[str, str]:
    root = ElementTree.fromstring(xml)
    found = {}
    for case in root.iter("testcase"):
        children = [child.tag for child in case]
        found[case.get("name", "")] = children[0] if children else "passed"
    return found


@pytest.mark.parametrize("fail_on_unknown", [False, True])
def test_junit_has_one_case_per_rule_with_the_expected_outcome(fail_on_unknown: bool) -> None:
    results = results_of("partial", waive="cases.case_owner", fail_on_unknown=fail_on_unknown)
    xml = render_junit(results)
    expected_tag = {"pass": "passed", "fail": "failure", "not_applicable": "skipped",
                    "waived": "skipped", "unknown": "error" if fail_on_unknown else "skipped"}
    assert _cases(xml) == {rule: expected_tag[status]
                           for rule, status in statuses(results).items()}
    root = ElementTree.fromstring(xml)
    counted = {name: int(root.get(name, "-1")) for name in ("tests", "failures", "errors",
                                                               "skipped")}
    values = list(statuses(results).values())
    unknown = values.count("unknown")
    assert counted == {
        "tests": len(values),
        "failures": values.count("fail"),
        "errors": unknown if fail_on_unknown else 0,
        "skipped": values.count("not_applicable") + values.count("waived")
                   + (0 if fail_on_unknown else unknown),
    }


def test_junit_is_read_back_by_a_junit_reader() -> None:
    junitparser = pytest.importorskip("junitparser")
    results = results_of("misconfigured")
    xml = junitparser.JUnitXml.fromstring(render_junit(results).encode())
    values = list(statuses(results).values())
    assert xml.tests == len(values)
    assert xml.failures == values.count("fail")


def test_junit_survives_characters_xml_cannot_hold() -> None:
    results = results_of("misconfigured")
    results["findings"][0]["message"] = "bell \x07 and null \x00"
    ElementTree.fromstring(render_junit(results))  # parses: the characters were replaced


# --- GitLab Code Quality, through the command line -------------------------------------

def _codequality(tmp_path: Path, example: str, *args: str) -> list[dict[str, Any]]:
    from click.testing import CliRunner

    from auditor.cli.commands import cli

    examples = Path(__file__).resolve().parent.parent / "examples"
    result = CliRunner().invoke(cli, [
        "audit", "--snapshot", str(examples / f"{example}.snapshot.json"), "--out",
        str(tmp_path), "--format", "codequality", "--format", "sarif", "--fail-on", "never",
        *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    issues: list[dict[str, Any]] = json.loads(
        (tmp_path / "report.codequality.json").read_text(encoding="utf-8"))
    return issues


def test_codequality_has_an_issue_for_each_failing_finding_at_gitlabs_severity(
        tmp_path: Path) -> None:
    issues = _codequality(tmp_path, "misconfigured")
    results = results_of("misconfigured")
    failing = {f["rule_id"]: f for f in results["findings"] if f["status"] == "fail"}
    assert [i["check_name"] for i in issues] == list(failing)
    gitlab = {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor",
              "info": "info"}
    sarif = json.loads((tmp_path / "report.sarif").read_text(encoding="utf-8"))
    fingerprints = {r["ruleId"]: r["partialFingerprints"]["ruleAndItem/v1"]
                    for r in sarif["runs"][0]["results"]}
    for issue in issues:
        finding = failing[issue["check_name"]]
        assert issue == {
            "description": finding["message"], "check_name": finding["rule_id"],
            "fingerprint": fingerprints[finding["rule_id"]],
            "severity": gitlab[finding["severity"]],
            "location": {"path": f"rules/{finding['rule_id']}.yaml", "lines": {"begin": 1}}}


def test_codequality_reports_unknown_as_info_and_points_at_the_settings_line(
        tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parent.parent / "examples"
    issues = _codequality(tmp_path, "partial", "--settings", str(examples / "settings.yaml"))
    by_rule = {i["check_name"]: i for i in issues}
    unknown = by_rule["cases.record_type"]
    assert unknown["severity"] == "info"
    assert unknown["description"].startswith("Unknown: Cannot be verified.")
    assert unknown["location"]["path"] == "settings.yaml"
    line = next(n for n, text in enumerate(
        (examples / "settings.yaml").read_text(encoding="utf-8").splitlines(), start=1)
        if text.strip().startswith("record_type:"))
    assert unknown["location"]["lines"] == {"begin": line}
    assert all(i["severity"] == "info" for i in issues)  # nothing fails, all unknown
