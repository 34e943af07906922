"""Engine-level properties that hold for every rule, whatever evidence is missing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.documents.load import parse_document
from auditor.engine.catalogue import Rule, rule_from_document
from auditor.engine.evaluate import STATUSES, evaluate_rule
from auditor.report.results import build_results
from tests.snapshots import (
    APP,
    DELETE,
    ITEM_UNAVAILABLE,
    RULE_IDS,
    SKIPPED,
    UNAVAILABLE,
    changed,
    compliant_snapshot,
    example,
    run_all,
    validated,
)

# Each knob is one piece of evidence and the other shapes it can take, all valid.
ITEM_KNOBS: dict[str, list[Any]] = {
    f"{APP}.api_usage.limit": [DELETE, None, 1, 50001, 10**9],
    f"{APP}.lead_contact_sync.identifier": [DELETE, "user_id"],
    f"{APP}.lead_contact_sync.field_mappings": [
        DELETE, [], [{"intercom": "name", "salesforce": "Name", "direction": "both"}]],
    f"{APP}.cases.create_activities": [DELETE, False],
    f"{APP}.cases.case_owner": [DELETE, "other"],
    f"{APP}.cases.record_type": [DELETE, "salesforce_record_type"],
    f"{APP}.ownership.accounts_list": [DELETE, "other"],
    f"{APP}.ownership.respect_lead_creator": [DELETE, None, False],
    f"{APP}.ownership.user_mappings": [DELETE, []],
    f"{APP}.account_sync": [DELETE, {"enabled": True}],
    f"{APP}.roi_reporting.enabled": [DELETE, True],
    "settings.attested_at": [DELETE, "2020-01-01"],
    "salesforce.api_allowance": [ITEM_UNAVAILABLE, {"daily_max": 0, "daily_remaining": 0}],
    "salesforce.intercom_tokens": [ITEM_UNAVAILABLE, []],
    "salesforce.integration_users": [ITEM_UNAVAILABLE, []],
    "salesforce.active_users": [ITEM_UNAVAILABLE, []],
    "salesforce.case_record_types": [ITEM_UNAVAILABLE, [{"id": "012", "name": "Support"}]],
    "salesforce.integration_activity": [ITEM_UNAVAILABLE, {
        "window_days": 7, "since": "2026-11-13T10:00:00Z", "tasks_created": 0,
        "accounts_created": 2}],
    "salesforce.leads": [ITEM_UNAVAILABLE, DELETE],
    "salesforce.contacts": [ITEM_UNAVAILABLE, {
        "total": 2, "without_email": 0,
        "duplicate_emails": {"count": 1, "examples": [{"email": "a@b.example", "records": 2}]}}],
    "intercom.teammates": [ITEM_UNAVAILABLE, []],
    "intercom.contacts": [ITEM_UNAVAILABLE, {"users": {"total": 0, "without_email": 0},
                                             "leads": {"total": 0, "without_email": 0}}],
}
# Applied after the items, since they replace whole sections.
SOURCE_KNOBS: dict[str, list[Any]] = {
    "settings": [None],
    "salesforce": [SKIPPED, UNAVAILABLE],
    "intercom": [SKIPPED, UNAVAILABLE],
}


def _choices(knobs: dict[str, list[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={
        path: st.sampled_from(values) for path, values in knobs.items()})


degraded_snapshots = st.builds(
    lambda items, sources: validated(changed(changed(compliant_snapshot(), items), sources)),
    _choices(ITEM_KNOBS), _choices(SOURCE_KNOBS))


@settings(max_examples=200, deadline=None)
@given(degraded_snapshots)
def test_findings_on_any_mix_of_missing_evidence(snapshot: dict[str, Any]) -> None:
    findings = run_all(snapshot)
    assert [f.rule.id for f in findings] == list(RULE_IDS)
    for finding in findings:
        # A rule reports, it does not waive: waivers are applied later, by the user.
        assert finding.status in STATUSES and finding.status != "waived"
        assert finding.message.strip(), finding.rule.id
        if finding.missing:
            # Evidence that is not there never yields a verdict either way.
            assert finding.status in ("unknown", "not_applicable"), finding.rule.id
        if finding.status == "unknown":
            assert "To supply it" in finding.message or "Re-collect" in finding.message


def test_unknown_is_never_counted_as_pass() -> None:
    findings = run_all(example("partial"))
    results = build_results(findings, example("partial"),
                            generated_at=datetime(2026, 11, 20, tzinfo=UTC))
    by_status = results["summary"]["by_status"]
    assert by_status["unknown"] == 14
    assert by_status["pass"] == len(RULE_IDS) - 14
    # Every rule that did give an answer passed, yet the score is not 100.
    assert results["summary"]["score"] < 100


def _rule(text: str) -> Rule:
    return rule_from_document(parse_document(text, "custom.yaml"))


HEADER = """\
id: api_usage.guarded
title: A guarded rule
section: api_usage
severity: low
basis: attested
rationale: r
remediation: r
"""
NOT_APPLICABLE_WHEN_NULL = """\
not_applicable_when:
  properties:
    limit: {type: "null"}
expect:
  properties:
    limit: {type: integer}
messages: {pass: p, fail: f, not_applicable: n}
"""


@pytest.mark.parametrize(("reads", "changes"), [
    # `properties` holds vacuously over a value that is absent.
    pytest.param(f"reads:\n  limit: {APP}.api_usage.limit\n",
                 {f"{APP}.api_usage.limit": DELETE}, id="required read"),
    # Nor may a default standing in for a missing value decide it.
    pytest.param(f"reads:\n  limit: {{path: {APP}.api_usage.limit, optional: true}}\n"
                 f"  identifier: {APP}.lead_contact_sync.identifier\n",
                 {f"{APP}.api_usage.limit": DELETE,
                  f"{APP}.lead_contact_sync.identifier": DELETE}, id="optional read"),
])
def test_not_applicable_over_a_missing_value_does_not_hide_an_unknown(
    reads: str, changes: dict[str, Any]
) -> None:
    rule = _rule(HEADER + reads + NOT_APPLICABLE_WHEN_NULL)
    finding = evaluate_rule(rule, changed(compliant_snapshot(), changes), {})
    assert finding.status == "unknown"
    # ...while a null that was attested does make it not applicable.
    attested_null = changed(compliant_snapshot(), {f"{APP}.api_usage.limit": None})
    assert evaluate_rule(rule, attested_null, {}).status == "not_applicable"


def test_a_partial_source_answers_item_by_item() -> None:
    # partial: some items are unavailable markers; the others are evidence like any.
    snapshot = validated(changed(compliant_snapshot(), {
        "intercom.status": "partial", "intercom.teammates": ITEM_UNAVAILABLE}))
    by_rule = {finding.rule.id: finding for finding in run_all(snapshot)}
    assert by_rule["lead_contact_sync.contacts_without_email"].status == "pass"
    unknown = by_rule["ownership.teammates_mapped"]
    assert unknown.status == "unknown"
    assert "Intercom `teammates` was unavailable: 403 INSUFFICIENT_ACCESS" in unknown.message
