"""Drift between two runs: findings new, resolved and changed, and the values that moved."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from auditor.engine.catalogue import load_rules, resolve_params
from auditor.engine.evaluate import evaluate
from auditor.report.drift import changed_values, compare_results, mark_baseline
from auditor.report.results import build_results
from tests.snapshots import changed, example

APP = "settings.intercom_salesforce_app"


def results_of(snapshot: dict[str, Any]) -> dict[str, Any]:
    rules = load_rules()
    findings = evaluate(rules, snapshot, resolve_params(rules, {}))
    return build_results(findings, snapshot, generated_at=datetime(2026, 11, 26, tzinfo=UTC))


def test_a_new_finding_and_the_attested_value_that_caused_it() -> None:
    before = example("compliant")
    # One attested value changes: ROI reporting turned on, a new failure.
    after = changed(before, {f"{APP}.roi_reporting.enabled": True})
    old, new = results_of(before), results_of(after)
    diff = compare_results(old, new)
    assert [f["rule_id"] for f in diff["new"]] == ["roi_reporting.skipped"]
    assert diff["new"][0]["was"] == "pass"
    assert diff["resolved"] == []
    back = compare_results(new, old)
    assert [f["rule_id"] for f in back["resolved"]] == ["roi_reporting.skipped"]
    assert back["new"] == []
    assert diff["score"]["change"] == new["summary"]["score"] - old["summary"]["score"] < 0
    values = changed_values(before, after)
    assert values == {"count": 1, "shown": [{
        "path": "settings.intercom_salesforce_app.roi_reporting.enabled",
        "old": False, "new": True}]}


def test_a_severity_change_alone_is_changed() -> None:
    old = results_of(example("compliant"))
    new = results_of(example("compliant"))
    first = new["findings"][0]
    first["severity"] = "low" if first["severity"] != "low" else "medium"
    diff = compare_results(old, new)
    assert [c["rule_id"] for c in diff["changed"]] == [first["rule_id"]]
    assert diff["changed"][0]["severity_was"] != first["severity"]


def test_one_new_one_resolved_and_the_values_that_moved_in_one_diff() -> None:
    before = changed(example("compliant"), {f"{APP}.account_sync.enabled": True})
    after = changed(example("compliant"), {f"{APP}.roi_reporting.enabled": True})
    diff = compare_results(results_of(before), results_of(after))
    assert [f["rule_id"] for f in diff["new"]] == ["roi_reporting.skipped"]
    assert [(f["rule_id"], f["was"], f["status"]) for f in diff["resolved"]] == [
        ("account_sync.disabled", "fail", "pass")]
    assert changed_values(before, after)["shown"] == [
        {"path": f"{APP}.account_sync.enabled", "old": True, "new": False},
        {"path": f"{APP}.roi_reporting.enabled", "old": False, "new": True}]


def test_a_baseline_marks_every_finding_and_adds_the_summary() -> None:
    before = example("compliant")
    after = changed(before, {f"{APP}.roi_reporting.enabled": True})
    marked = mark_baseline(results_of(after), results_of(before), "last/report.json")
    marks = {f["rule_id"]: f["since_baseline"] for f in marked["findings"]}
    assert marks["roi_reporting.skipped"] == "new"
    assert set(marks.values()) == {"new", "unchanged"}
    assert marked["since_baseline"]["file"] == "last/report.json"
    assert [f["rule_id"] for f in marked["since_baseline"]["new"]] == ["roi_reporting.skipped"]
