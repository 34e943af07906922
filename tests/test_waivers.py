"""Waivers: a failing finding accepted until a date keeps its real status beside `waived`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from auditor.documents.errors import InputError
from auditor.engine.evaluate import Finding
from auditor.engine.waivers import Waiver, apply_waivers, load_waivers
from tests.snapshots import example, run_all

TODAY = date(2026, 11, 26)
RULE_IDS = ("api_usage.limit_recommended", "cases.case_owner", "attestation.fresh")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text)
    return path


def test_a_waiver_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "waivers:\n  - rule: cases.case_owner\n    reason: Cases unused\n"
                           "    approved_by: jane@acme.example\n    expires: 2027-03-01\n")
    assert load_waivers(path, RULE_IDS, TODAY) == [
        Waiver("cases.case_owner", "Cases unused", "jane@acme.example", date(2027, 3, 1))]


@pytest.mark.parametrize(("entry", "said"), [
    ("    approved_by: jane\n    expires: 2027-03-01\n", "the required key 'reason' is missing"),
    ("    reason: r\n    approved_by: jane\n", "the required key 'expires' is missing"),
    ("    reason: r\n    expires: 2027-03-01\n", "the required key 'approved_by' is missing"),
])
def test_a_waiver_missing_what_makes_it_accountable_is_bad_input(
        tmp_path: Path, entry: str, said: str) -> None:
    path = write(tmp_path, f"waivers:\n  - rule: cases.case_owner\n{entry}")
    with pytest.raises(InputError) as error:
        load_waivers(path, RULE_IDS, TODAY)
    assert said in str(error.value)
    assert "waivers.yaml" in error.value.render()


def test_a_waiver_of_an_unknown_rule_suggests_the_nearest(tmp_path: Path) -> None:
    path = write(tmp_path, "waivers:\n  - rule: cases.case_ownr\n    reason: r\n"
                           "    approved_by: jane\n    expires: 2027-03-01\n")
    with pytest.raises(InputError) as error:
        load_waivers(path, RULE_IDS, TODAY)
    assert ("there is no rule 'cases.case_ownr' to waive. Did you mean 'cases.case_owner'?"
            in str(error.value))


def test_a_waiver_beyond_the_review_bound_is_bad_input(tmp_path: Path) -> None:
    path = write(tmp_path, "waivers:\n  - rule: cases.case_owner\n    reason: r\n"
                           "    approved_by: jane\n    expires: 2028-01-01\n")
    with pytest.raises(InputError, match="more than 365 days after today"):
        load_waivers(path, RULE_IDS, TODAY)
    assert load_waivers(path, RULE_IDS, TODAY, max_days=500)[0].expires == date(2028, 1, 1)


def _findings() -> dict[str, str]:
    return {f.rule.id: f.status for f in run_all(example("misconfigured"))}


def _waive_first_failure(expires: date) -> tuple[Finding, Finding, dict[str, Any],
                                                  list[Finding]]:
    """The misconfigured example's first failing finding, before and after a waiver of it
    that expires on `expires`; what became of the waiver; and every finding after."""
    findings = run_all(example("misconfigured"))
    failing = next(f for f in findings if f.status == "fail")
    waiver = Waiver(failing.rule.id, "Accepted for now", "cfo@acme.example", expires)
    waived, report = apply_waivers(findings, [waiver], TODAY)
    return failing, {f.rule.id: f for f in waived}[failing.rule.id], report, waived


def test_a_live_waiver_turns_a_failure_into_waived_and_keeps_the_real_status() -> None:
    failing, after, report, waived = _waive_first_failure(date(2027, 1, 31))
    assert after.status == "waived"
    assert after.waiver == {"rule": failing.rule.id, "reason": "Accepted for now",
                            "approved_by": "cfo@acme.example", "expires": "2027-01-31",
                            "original_status": "fail"}
    assert after.message == failing.message
    assert report == {"applied": [failing.rule.id], "expired": [], "unused": []}
    others = {f.rule.id: f.status for f in waived if f.rule.id != failing.rule.id}
    assert others == {k: v for k, v in _findings().items() if k != failing.rule.id}


def test_an_expired_waiver_no_longer_applies_and_says_since_when() -> None:
    failing, after, report, _ = _waive_first_failure(date(2026, 9, 30))
    assert after.status == "fail"
    assert after.message.endswith("A waiver of this finding (approved by cfo@acme.example) "
                                  "expired on 2026-09-30, so it counts again.")
    assert report == {"applied": [], "expired": [failing.rule.id], "unused": []}


def test_a_waiver_that_accepts_nothing_is_reported_unused() -> None:
    findings = run_all(example("compliant"))
    passing = next(f for f in findings if f.status == "pass")
    waiver = Waiver(passing.rule.id, "old", "jane", date(2027, 1, 1))
    waived, report = apply_waivers(findings, [waiver], TODAY)
    assert [f.status for f in waived] == [f.status for f in findings]
    assert report["unused"] == [{"rule": passing.rule.id, "reason": "old",
                                 "approved_by": "jane", "expires": "2027-01-01"}]
