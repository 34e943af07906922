"""`auditor doctor` for Intercom, against the emulator: two requests, and what they tell."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from auditor.cli.commands import EXIT_BAD_INPUT, EXIT_OK, EXIT_PARTIAL, cli
from auditor.cli.doctor import rules_left_unknown
from auditor.collect import Access, Preflight
from auditor.collect.intercom.collector import IntercomOptions
from auditor.collect.intercom.probe import probe_intercom
from auditor.engine.catalogue import load_rules
from tests.emulators.intercom import Fault
from tests.intercom_fixtures import TOKEN, intercom, make_scenario


def doctor(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["doctor", "--no-salesforce"])
    return result.exit_code, result.output


def test_a_good_token_is_ready_in_two_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    with intercom(make_scenario(teammates=3)) as served:
        code, output = doctor(served.env, monkeypatch)
    assert served.emulator.requests == 2
    assert code == EXIT_OK, output
    assert ("signed in as: teammate0@acme.example in workspace Globex Corp (ab12cd34, "
            "US region)") in output
    assert "API version: 2.16" in output
    assert "Read admins: yes" in output
    assert "Read and list users and companies: yes" in output
    assert "Read admin activity logs: not checked (needed for app_events)" in output
    assert "everything the audit reads is within reach" in output
    assert TOKEN not in output


def test_a_missing_scope_names_the_rules_that_would_be_unknown(
        monkeypatch: pytest.MonkeyPatch) -> None:
    faults = {"POST /contacts/search": [Fault.error(403, "api_plan_restricted",
                                                    "Active subscription needed.")]}
    with intercom(make_scenario(teammates=3, faults=faults)) as served:
        code, output = doctor(served.env, monkeypatch)
    assert code == EXIT_PARTIAL
    assert "Read and list users and companies: MISSING (needed for contacts)" in output
    assert ("rules that would come out unknown: "
            "lead_contact_sync.contacts_without_email") in output


def test_a_rejected_token_is_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = make_scenario(teammates=3)
    scenario.token = "another-token"
    with intercom(scenario) as served:
        code, output = doctor(served.env, monkeypatch)
    assert code == EXIT_PARTIAL
    assert "Intercom rejected INTERCOM_ACCESS_TOKEN (401)" in output
    assert "ownership.teammates_mapped" in output


def test_doctor_without_a_token_is_bad_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["doctor", "--no-salesforce"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "INTERCOM_ACCESS_TOKEN is not set" in result.output


def test_doctor_with_both_sources_off_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["doctor", "--no-salesforce", "--no-intercom"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "nothing to check" in result.output


def test_an_unreachable_workspace_leaves_every_intercom_rule_unknown() -> None:
    with intercom(make_scenario(teammates=3)) as served:
        env = dict(served.env)
    preflight = probe_intercom(IntercomOptions(env=env, timeout=2))  # the server is gone
    assert not preflight.reachable
    assert "could not be reached" in (preflight.problem or "")
    assert rules_left_unknown(preflight, load_rules()) == [
        "lead_contact_sync.contacts_without_email", "ownership.teammates_mapped"]


def test_an_unchecked_access_blocks_only_rules_that_require_its_items() -> None:
    made = Preflight("intercom", reachable=True, signed_in_as="a", api_version="2.16",
                     access=(Access("Read admin activity logs", None, ("app_events",)),),
                     problem=None, requests=2)
    assert rules_left_unknown(made, load_rules()) == []
