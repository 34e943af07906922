"""`auditor audit` against live systems, end to end: both emulators, one command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from auditor.cli.commands import EXIT_FINDINGS, EXIT_PARTIAL, cli
from auditor.documents.snapshot import load_snapshot
from tests.intercom_fixtures import TOKEN, Served, intercom, make_scenario
from tests.salesforce_lab import SalesforceLab, assert_no_secret

pytest_plugins = ("tests.salesforce_fixtures",)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# The typical org (tests/salesforce_lab.py) and a small workspace whose teammates are
# Salesforce users: what every rule should say about them with the example settings.
EXPECTED = {
    "connection.admin_access_temporary": "fail",  # Modify All Data through a permission set
    "connection.integration_user": "pass",
    "connection.integration_user_usable": "pass",
    "connection.token_pairs": "pass",  # two Intercom tokens
    "api_usage.limit_set": "pass",
    "api_usage.limit_within_org_allowance": "pass",
    "api_usage.limit_recommended": "pass",
    "lead_contact_sync.email_identifier": "pass",
    "lead_contact_sync.duplicate_emails": "fail",
    "lead_contact_sync.contacts_without_email": "pass",
    "lead_contact_sync.two_way_mappings": "pass",
    "lead_contact_sync.mapped_fields_writable": "fail",  # the org has no Plan__c field
    "lead_contact_sync.required_lead_fields": "pass",
    "lead_contact_sync.duplicate_rules": "pass",
    "lead_contact_sync.validation_rules_reviewed": "fail",  # Lead_Source_Required
    "cases.activities_enabled": "pass",
    "cases.activities_flowing": "pass",
    "cases.case_owner": "pass",
    "cases.record_type": "not_applicable",  # the org has active Case record types
    "ownership.teammates_mapped": "pass",
    "ownership.all_accounts": "pass",
    "ownership.lead_creator_decided": "pass",
    "account_sync.disabled": "pass",
    "account_sync.no_account_writes": "fail",  # attested off, yet Accounts were written
    "roi_reporting.skipped": "pass",
    "attestation.fresh": "pass",
}
INTERCOM_RULES = {"lead_contact_sync.contacts_without_email", "ownership.teammates_mapped"}


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    settings = yaml.safe_load((EXAMPLES / "settings.yaml").read_text())
    settings["attested_at"] = date.today().isoformat()
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


@pytest.fixture
def salesforce(lab: SalesforceLab, monkeypatch: pytest.MonkeyPatch) -> SalesforceLab:
    monkeypatch.setenv("SF_INSTANCE_URL", lab.emulator.base_url)
    monkeypatch.setenv("SF_ACCESS_TOKEN", lab.scenario.access_token)
    return lab


@pytest.fixture
def workspace(monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    scenario = make_scenario(teammates=1, events=3)
    scenario.admins = [
        {"id": "101", "name": "Ada Admin", "email": "admin@acme.example",
         "has_inbox_seat": True, "away_mode_enabled": False},
        {"id": "102", "name": "Sam Lee", "email": "sam@acme.example", "has_inbox_seat": True,
         "away_mode_enabled": False},
        {"id": "103", "name": "<script>alert(1)</script>", "email": "viewer@acme.example",
         "has_inbox_seat": False, "away_mode_enabled": False},
    ]
    scenario.me_id = "101"
    with intercom(scenario) as served:
        for name, value in served.env.items():
            monkeypatch.setenv(name, value)
        yield served


def audit(tmp_path: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(
        cli, ["audit", "--out", str(tmp_path / "reports"), "--quiet", *map(str, args)],
        catch_exceptions=False)


def statuses(tmp_path: Path) -> dict[str, str]:
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    return {f["rule_id"]: f["status"] for f in report["findings"]}


def test_one_command_audits_both_systems(tmp_path: Path, settings_file: Path,
                                         salesforce: SalesforceLab, workspace: Served) -> None:
    snapshot_file = tmp_path / "snapshot.json"
    result = audit(tmp_path, "--settings", settings_file, "--save-snapshot", snapshot_file)
    assert result.exit_code == EXIT_FINDINGS, result.output
    assert statuses(tmp_path) == EXPECTED
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "report.html", "report.json", "report.md"]
    snapshot = load_snapshot(snapshot_file)  # validates against the schema
    # Both sources ran within their request budgets, as the emulators counted them.
    assert snapshot["salesforce"]["requests"] == salesforce.emulator.request_count <= 5
    assert snapshot["intercom"]["requests"] == workspace.emulator.requests <= 8
    progress = [line for line in result.output.splitlines() if "request" in line]
    assert any(line.startswith("salesforce") and "collected, 5 requests" in line
               for line in progress)
    assert any(line.startswith("intercom") and "collected" in line for line in progress)
    # The hostile teammate name stays text in the HTML report.
    html = (tmp_path / "reports" / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html
    secrets = [*salesforce.secrets(), TOKEN]
    assert_no_secret(secrets, result.output, snapshot_file.read_text(), html,
                     (tmp_path / "reports" / "report.md").read_text())


def test_attested_and_observed_disagreement_shows_both(
        tmp_path: Path, settings_file: Path, salesforce: SalesforceLab,
        workspace: Served) -> None:
    audit(tmp_path, "--settings", settings_file, "--format", "json")
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    finding = next(f for f in report["findings"]
                   if f["rule_id"] == "account_sync.no_account_writes")
    assert finding["message"].startswith("Attested and observed disagree")
    kinds = {(p["kind"], p["source"]) for p in finding["provenance"]}
    assert kinds == {("attested", "settings"), ("observed", "salesforce")}
    assert finding["evidence"]["account_sync_enabled_attested"] is False
    assert finding["evidence"]["accounts_created"] == 1


def test_intercom_down_keeps_salesforce_evidence(
        tmp_path: Path, settings_file: Path, salesforce: SalesforceLab,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 9 of the loopback: every connection is refused.
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("INTERCOM_BASE_URL", "http://127.0.0.1:9")
    result = audit(tmp_path, "--settings", settings_file, "--save-snapshot",
                   tmp_path / "snap.json")
    assert result.exit_code == EXIT_PARTIAL, result.output
    found = statuses(tmp_path)
    for rule_id in INTERCOM_RULES:
        assert found[rule_id] == "unknown"
    assert {k: v for k, v in found.items() if k not in INTERCOM_RULES} == {
        k: v for k, v in EXPECTED.items() if k not in INTERCOM_RULES}
    snapshot = json.loads((tmp_path / "snap.json").read_text())
    assert snapshot["intercom"]["status"] == "unavailable"
    # Without Intercom's teammates there is nobody to match Salesforce users to.
    assert snapshot["salesforce"]["status"] == "partial"
    assert snapshot["salesforce"]["active_users"]["status"] == "unavailable"
    assert TOKEN not in result.output

    allowed = audit(tmp_path, "--settings", settings_file, "--allow-partial")
    assert allowed.exit_code == EXIT_FINDINGS, allowed.output
    relaxed = audit(tmp_path, "--settings", settings_file, "--allow-partial",
                    "--fail-on", "never")
    assert relaxed.exit_code == 0, relaxed.output


def test_a_source_turned_off_is_skipped_not_a_failure(
        tmp_path: Path, settings_file: Path, salesforce: SalesforceLab) -> None:
    result = audit(tmp_path, "--settings", settings_file, "--no-intercom", "--fail-on", "never",
                   "--save-snapshot", tmp_path / "snap.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "snap.json").read_text())["intercom"]["status"] == "skipped"
    assert statuses(tmp_path)["ownership.teammates_mapped"] == "unknown"


def test_bad_settings_cost_no_requests(tmp_path: Path, salesforce: SalesforceLab) -> None:
    bad = tmp_path / "settings.yaml"
    bad.write_text("settings_version: 1\nworkspace: [\n")
    result = audit(tmp_path, "--settings", bad, "--no-intercom")
    assert result.exit_code == 2
    assert salesforce.emulator.request_count == 0
    assert not (tmp_path / "reports").exists()


def test_onboarding_checklist_from_live_evidence(
        tmp_path: Path, settings_file: Path, salesforce: SalesforceLab,
        workspace: Served) -> None:
    result = audit(tmp_path, "--settings", settings_file, "--profile", "onboarding",
                   "--format", "md", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    checklist = (tmp_path / "reports" / "checklist.md").read_text()
    assert "- [x]" in checklist and "- [ ]" in checklist
