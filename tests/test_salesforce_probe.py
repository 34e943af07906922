"""`auditor doctor`'s Salesforce probe: who signs in and what they may see, in two requests."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from auditor.cli.commands import cli
from auditor.cli.doctor import describe, rules_left_unknown
from auditor.collect import Access, Preflight
from auditor.collect.salesforce.api import RetryPolicy
from auditor.collect.salesforce.collector import SalesforceOptions, probe_salesforce
from tests.emulators.salesforce_org import Fault
from tests.salesforce_lab import SalesforceLab
from tests.snapshots import rules

pytest_plugins = ("tests.salesforce_fixtures",)

TOKEN_ITEMS = ("intercom_tokens", "integration_users", "integration_activity",
               "integration_user_logins", "mapped_field_access")
SETUP_ITEMS = ("mapped_field_access", "duplicate_rules", "validation_rules")


def probe(lab: SalesforceLab, **env: str) -> Preflight:
    return probe_salesforce(SalesforceOptions(env=lab.token_env(**env)),
                            retry=RetryPolicy(attempts=2, sleep=lab.sleeps))


def test_a_user_with_every_permission(lab: SalesforceLab) -> None:
    preflight = probe(lab)
    assert (preflight.reachable, preflight.problem) == (True, None)
    assert (preflight.signed_in_as, preflight.api_version) == ("admin@acme.example", "62.0")
    assert preflight.access == (
        Access("API Enabled", True, ()),
        Access("View Setup and Configuration", True, SETUP_ITEMS),
        Access("Customize Application", True, TOKEN_ITEMS),
        Access("Manage Users", True, ("integration_user_logins",)),
        Access("View All Data", True, ()))
    # The permissions query and UserInfo (an access token does not say whose it is).
    assert preflight.requests == lab.emulator.request_count == 2


def test_a_user_without_customize_application(lab: SalesforceLab) -> None:
    lab.scenario.permissions["CustomizeApplication"] = False
    access = {a.name: a for a in probe(lab).access}
    assert access["Customize Application"] == Access("Customize Application", False,
                                                     TOKEN_ITEMS)
    assert access["Manage Users"].granted is True


def test_a_user_without_manage_users_or_view_setup(lab: SalesforceLab) -> None:
    lab.scenario.permissions["ManageUsers"] = False
    lab.scenario.permissions["ViewSetup"] = False
    preflight = probe(lab)
    access = {a.name: a for a in preflight.access}
    assert access["Manage Users"] == Access("Manage Users", False, ("integration_user_logins",))
    assert access["View Setup and Configuration"] == Access(
        "View Setup and Configuration", False, SETUP_ITEMS)
    # `auditor doctor` names the permissions and the rules they leave unknown.
    assert rules_left_unknown(preflight, list(rules())) == [
        "connection.integration_user_usable", "lead_contact_sync.mapped_fields_writable",
        "lead_contact_sync.duplicate_rules", "lead_contact_sync.validation_rules_reviewed"]
    printed = describe(preflight, list(rules()))
    assert "  Manage Users: MISSING (needed for integration_user_logins)" in printed
    assert ("  View Setup and Configuration: MISSING (needed for mapped_field_access, "
            "duplicate_rules, validation_rules)") in printed


def test_permissions_that_cannot_be_read(lab: SalesforceLab) -> None:
    lab.scenario.denied["UserPermissionAccess"] = (403, "INSUFFICIENT_ACCESS", "no")
    preflight = probe(lab)
    assert preflight.reachable
    assert preflight.problem == "403 INSUFFICIENT_ACCESS on UserPermissionAccess: no"
    assert {a.granted for a in preflight.access} == {None}


def test_a_rejected_token(lab: SalesforceLab) -> None:
    preflight = probe(lab, SF_ACCESS_TOKEN="00D000000000001!AQ4AQStale")
    assert not preflight.reachable and preflight.access == ()
    assert preflight.problem is not None
    assert preflight.problem.startswith("Salesforce rejected the access token")
    assert preflight.requests == lab.emulator.request_count == 2


def test_doctor_sends_two_requests_to_a_salesforce_that_answers_500(
        lab: SalesforceLab, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 22: each request was tried three times, six in all, against the README's two.
    lab.scenario.faults[:] = [Fault("/services/", status=500, error_code="UNKNOWN_EXCEPTION",
                                    message="An unexpected error occurred.")]
    for name, value in lab.token_env().items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["doctor", "--no-intercom"])
    assert result.exit_code == 3, result.output
    assert lab.emulator.request_count == 2
    assert result.output.splitlines()[:2] == [
        "Salesforce: UNREACHABLE (2 requests)",
        f"  problem: Salesforce at {lab.emulator.base_url} could not be read: 500 "
        "UNKNOWN_EXCEPTION: An unexpected error occurred."]
