"""The Salesforce collector against the emulator: evidence, request budget and faults."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from auditor.collectors import SourceUnavailable
from auditor.evidence import Missing, lookup
from tests.emulators.salesforce import Fault
from tests.salesforce_lab import (
    INTEGRATION_USER,
    SalesforceLab,
    as_snapshot,
    assert_no_secret,
    schema_errors,
)

pytest_plugins = ("tests.salesforce_fixtures",)

ITEMS = ("org", "api_allowance", "intercom_tokens", "integration_users", "active_users",
         "case_record_types", "case_assignment_rules", "integration_activity", "leads",
         "contacts", "installed_packages")
COMPOSITE = "POST /services/data/v62.0/composite"


@pytest.fixture(autouse=True)
def _log_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # so that the no-secret checks see every log line


def reason(section: dict[str, Any], key: str) -> str:
    item = section[key]
    assert isinstance(item, dict) and item.get("status") == "unavailable", item
    return str(item["reason"])


def checked(lab: SalesforceLab, section: dict[str, Any], caplog: pytest.LogCaptureFixture,
            capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The section, once it validates and nothing anywhere holds a secret."""
    assert schema_errors(as_snapshot(section)) == []
    captured = capsys.readouterr()
    assert_no_secret(lab.secrets(), section, caplog.text, captured.out, captured.err)
    assert section["requests"] == lab.emulator.request_count
    return section


def failure(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
            capsys: pytest.CaptureFixture[str], **options: Any) -> SourceUnavailable:
    with pytest.raises(SourceUnavailable) as caught:
        lab.collect(**options)
    captured = capsys.readouterr()
    assert_no_secret(lab.secrets(), caught.value.message, caplog.text, captured.out, captured.err)
    assert caught.value.requests == lab.emulator.request_count
    return caught.value


def missing(section: dict[str, Any]) -> set[str]:
    return {key for key in ITEMS
            if isinstance(section[key], dict) and section[key].get("status") == "unavailable"}


# --- a healthy org --------------------------------------------------------------------

def test_collects_every_item_in_four_requests(
        lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    section = checked(lab, lab.collect(), caplog, capsys)
    assert section["requests"] == 4
    assert lab.emulator.rest_requests == [COMPOSITE, COMPOSITE,
                                          "POST /services/data/v62.0/tooling/composite",
                                          "GET /services/data/v62.0/limits/"]
    assert missing(section) == set()
    assert section["org"] == {"id": "00D000000000001AAA", "name": "Acme Inc",
                              "edition": "Enterprise Edition", "is_sandbox": False,
                              "instance_name": "NA224"}
    # /limits comes last, after the other three calls were charged.
    assert section["api_allowance"] == {"daily_max": 100_000, "daily_remaining": 98_762,
                                        "limit_info": {"used": 1_238, "max": 100_000}}
    assert [t["app_name"] for t in section["intercom_tokens"]] == ["Intercom",
                                                                   "intercom-legacy"]
    assert section["integration_users"] == [{
        "id": INTEGRATION_USER, "username": "intercom@acme.example",
        "email": "intercom@acme.example", "is_active": True, "profile_name": "Standard User",
        "modify_all_data_from_profile": False,
        "modify_all_data_permission_sets": ["Intercom_Admin_Access"]}]
    assert {u["username"] for u in section["active_users"]} == {
        "admin@acme.example", "intercom@acme.example", "sam.lee@acme.example.prod"}
    assert [r["name"] for r in section["case_record_types"]] == ["Support", "Billing"]
    assert [r["name"] for r in section["case_assignment_rules"]] == ["Standard Case Rule"]
    activity = section["integration_activity"]
    assert (activity["window_days"], activity["tasks_created"],
            activity["accounts_created"]) == (30, 3, 1)
    assert section["leads"] == {"total": 8, "without_email": 2, "duplicate_emails": {
        "count": 2, "examples": [{"email": "jo@globex.example", "records": 3},
                                 {"email": "lee@hooli.example", "records": 2}]}}
    assert section["contacts"]["duplicate_emails"]["count"] == 1
    assert section["installed_packages"] == [{"name": "Intercom for Salesforce",
                                              "namespace": "intercom", "version": "3.14.0"}]


def test_window_days_changes_what_is_counted(lab: SalesforceLab) -> None:
    activity = lab.collect(window_days=60)["integration_activity"]
    assert (activity["window_days"], activity["tasks_created"]) == (60, 4)


def test_budget_holds_for_2000_active_users(lab: SalesforceLab) -> None:
    users = lab.scenario.tables["User"]
    users += [{"Id": f"005{n:012d}ZZZ", "Username": f"user{n}@acme.example",
               "Email": f"user{n}@acme.example", "IsActive": True, "UserType": "Standard",
               "ProfileId": "00e000000000002AAA"} for n in range(2000 - 3)]
    section = lab.collect()
    assert len(section["active_users"]) == 2000
    assert lab.emulator.request_count == section["requests"] == 4


def test_follows_next_records_url(lab: SalesforceLab) -> None:
    expected = lab.collect()
    lab.emulator.rest_requests.clear()
    lab.scenario.batch_size = 2  # the users query now answers in two batches
    section = lab.collect()
    assert section["active_users"] == expected["active_users"]
    assert section["integration_users"] == expected["integration_users"]
    assert section["requests"] == 5
    assert lab.emulator.rest_requests[2].startswith("GET /services/data/v62.0/query/01g")


def test_org_without_leads_or_contacts(lab: SalesforceLab) -> None:
    lab.scenario.tables["Lead"] = []
    lab.scenario.tables["Contact"] = []
    section = lab.collect()
    empty = {"total": 0, "without_email": 0, "duplicate_emails": {"count": 0, "examples": []}}
    assert section["leads"] == section["contacts"] == empty


def test_keeps_twenty_real_examples_of_many_duplicates(lab: SalesforceLab) -> None:
    lab.scenario.tables["Contact"] = [{"Id": f"003{n:015d}", "Email": f"dup{n // 2}@x.example"}
                                      for n in range(50)]
    duplicates = lab.collect()["contacts"]["duplicate_emails"]
    assert duplicates["count"] == 25
    assert len(duplicates["examples"]) == 20
    assert duplicates["examples"][0] == {"email": "dup0@x.example", "records": 2}


def test_no_intercom_token(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                           capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.tables["OauthToken"] = [t for t in lab.scenario.tables["OauthToken"]
                                         if "intercom" not in t["AppName"].lower()]
    section = checked(lab, lab.collect(), caplog, capsys)
    assert section["intercom_tokens"] == section["integration_users"] == []
    assert missing(section) == {"integration_activity"}
    assert "no Intercom OAuth token" in reason(section, "integration_activity")
    assert section["requests"] == 4  # the second composite simply has no Task/Account query


# --- faults -----------------------------------------------------------------------------

def test_rejected_access_token(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                               capsys: pytest.CaptureFixture[str]) -> None:
    stale = "00D000000000001!AQ4AQStaleTokenThatMustNotLeak"
    with pytest.raises(SourceUnavailable) as caught:
        lab.collect(env=lab.token_env(SF_ACCESS_TOKEN=stale))
    message = caught.value.message
    assert "rejected the access token" in message and "INVALID_SESSION_ID" in message
    assert "SF_ACCESS_TOKEN" in message and "--sf-target-org" in message  # how to renew
    assert_no_secret([stale, *lab.secrets()], message, caplog.text, capsys.readouterr().err)
    assert lab.emulator.request_count == caught.value.requests == 1


def test_spent_daily_allowance_stops_at_once(
        lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.api_used = lab.scenario.api_max
    error = failure(lab, caplog, capsys)
    assert "daily API allowance is spent" in error.message
    assert "REQUEST_LIMIT_EXCEEDED" in error.message
    assert lab.emulator.request_count == 1
    assert lab.sleeps.delays == []


def test_unreadable_oauth_tokens(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.denied["OauthToken"] = (403, "INSUFFICIENT_ACCESS",
                                         "insufficient access rights on object id")
    section = checked(lab, lab.collect(), caplog, capsys)
    assert missing(section) == {"intercom_tokens", "integration_users", "integration_activity"}
    assert reason(section, "intercom_tokens") == (
        "403 INSUFFICIENT_ACCESS on OauthToken: insufficient access rights on object id")
    assert "INSUFFICIENT_ACCESS on OauthToken" in reason(section, "integration_users")
    assert len(section["active_users"]) == 3
    snapshot = as_snapshot(section)
    # The rules that read them come out unknown, with the reason.
    for path in ("salesforce.intercom_tokens", "salesforce.integration_users",
                 "salesforce.integration_activity.tasks_created"):
        found = lookup(snapshot, path)
        assert isinstance(found, Missing) and "INSUFFICIENT_ACCESS" in found.reason


def test_error_inside_one_subrequest(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.denied["Contact"] = (400, "INVALID_TYPE",
                                      "sObject type 'Contact' is not supported.")
    section = checked(lab, lab.collect(), caplog, capsys)
    assert missing(section) == {"contacts"}
    assert reason(section, "contacts").startswith("400 INVALID_TYPE on Contact: ")
    assert section["requests"] == 4


def test_retries_server_errors_with_backoff(
        lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.faults.append(Fault("/composite", status=503, error_code="SERVER_UNAVAILABLE",
                                     message="Server unavailable", times=2))
    section = checked(lab, lab.collect(), caplog, capsys)
    assert missing(section) == set()
    assert lab.emulator.rest_requests[:3] == [COMPOSITE] * 3
    assert section["requests"] == 6
    assert lab.sleeps.delays == [0.5, 1.0]


def test_gives_up_after_bounded_retries(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.faults.append(Fault("/tooling/composite", status=500,
                                     error_code="UNKNOWN_EXCEPTION", message="boom"))
    section = checked(lab, lab.collect(), caplog, capsys)
    assert missing(section) == {"case_record_types", "installed_packages"}
    assert reason(section, "installed_packages") == (
        "500 UNKNOWN_EXCEPTION: boom after 3 attempts")
    assert section["requests"] == 2 + 3 + 1
    assert lab.sleeps.delays == [0.5, 1.0]


def test_retries_a_reset_connection(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.faults.append(Fault("/limits", reset=True, times=1))
    section = checked(lab, lab.collect(), caplog, capsys)
    assert missing(section) == set()
    assert lab.emulator.rest_requests[-2:] == ["GET /services/data/v62.0/limits/"] * 2
    assert section["requests"] == 5


def test_unreachable_salesforce_is_a_source_failure(
        lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.faults.append(Fault("/composite", reset=True))
    error = failure(lab, caplog, capsys)
    assert "could not be read" in error.message
    assert "connection to Salesforce failed" in error.message and "3 attempts" in error.message
    assert lab.emulator.request_count == 3


def test_timeout_makes_an_item_unavailable(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.faults.append(Fault("/limits", delay=2.0))
    section = checked(lab, lab.collect(timeout=0.3), caplog, capsys)
    assert missing(section) == {"api_allowance"}
    assert "did not answer within 0.3 s" in reason(section, "api_allowance")
    assert section["requests"] == 4  # a slow answer is not asked for again


def test_timeout_on_the_first_request(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.faults.append(Fault("/composite", delay=2.0))
    error = failure(lab, caplog, capsys, timeout=0.3)
    assert "did not answer within 0.3 s" in error.message and "--timeout" in error.message
    assert error.requests == 1
