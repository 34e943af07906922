"""The Salesforce collector when Salesforce refuses, fails, is slow, or answers oddly.

Every case goes through the real simple-salesforce and requests, against the HTTPS
emulator, and asserts the exact outcome: which items are unavailable and why, how many
requests were sent, and how long the collector waited between retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from auditor.collect import SourceUnavailable
from tests.emulators.salesforce import CONCURRENT_REQUESTS, Fault
from tests.salesforce_lab import SalesforceLab, as_snapshot, assert_no_secret, schema_errors

pytest_plugins = ("tests.salesforce_fixtures",)

COMPOSITE = "POST /services/data/v62.0/composite"
TOOLING = "GET /services/data/v62.0/tooling/query/"
USERINFO = "GET /services/oauth2/userinfo"
# The two Composite requests of the first round, told apart by what they carry.
ACCESS, RECORDS = "UserPermissionAccess", "PackageLicense"
RECORD_ITEMS = {"leads", "contacts", "installed_packages", "lead_fields", "contact_fields"}


@pytest.fixture(autouse=True)
def _log_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # so that the no-secret checks see every log line


def unavailable_items(section: dict[str, Any]) -> dict[str, str]:
    return {key: value["reason"] for key, value in section.items()
            if isinstance(value, dict) and value.get("status") == "unavailable"}


Collect = Callable[..., dict[str, Any]]
Fail = Callable[..., SourceUnavailable]


@pytest.fixture
def collected(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
              capsys: pytest.CaptureFixture[str]) -> Collect:
    """Collects; the section validates, holds no secret, and counts what was sent."""
    def collect(**options: Any) -> dict[str, Any]:
        section = lab.collect(**options)
        assert schema_errors(as_snapshot(section)) == []
        captured = capsys.readouterr()
        assert_no_secret(lab.secrets(), section, caplog.text, captured.out, captured.err)
        assert section["requests"] == lab.emulator.request_count
        return section
    return collect


@pytest.fixture
def failure(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
            capsys: pytest.CaptureFixture[str]) -> Fail:
    """Collects, expecting the whole source to stop, with no secret in what it says."""
    def fail(**options: Any) -> SourceUnavailable:
        with pytest.raises(SourceUnavailable) as caught:
            lab.collect(**options)
        captured = capsys.readouterr()
        assert_no_secret(lab.secrets(), caught.value.message, caplog.text, captured.out,
                         captured.err)
        assert caught.value.requests == lab.emulator.request_count
        return caught.value
    return fail


def fault(lab: SalesforceLab, path: str, **how: Any) -> None:
    lab.scenario.faults.append(Fault(path, **how))


# --- refusals that stop everything ----------------------------------------------------

def test_rejected_access_token(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                               capsys: pytest.CaptureFixture[str]) -> None:
    stale = "00D000000000001!AQ4AQStaleTokenThatMustNotLeak"
    with pytest.raises(SourceUnavailable) as caught:
        lab.collect(env=lab.token_env(SF_ACCESS_TOKEN=stale))
    message = caught.value.message
    assert message.startswith("Salesforce rejected the access token (401 INVALID_SESSION_ID: "
                              "Session expired or invalid)")
    assert "SF_ACCESS_TOKEN" in message and "--sf-target-org" in message  # how to renew
    assert_no_secret([stale, *lab.secrets()], message, caplog.text, capsys.readouterr().err)
    # The first round went out at once; nothing was sent after the refusal.
    assert sorted(lab.emulator.rest_requests) == sorted([COMPOSITE, COMPOSITE, TOOLING, USERINFO])
    assert caught.value.requests == 4
    assert lab.sleeps.delays == []


def test_spent_daily_allowance_stops_at_once(lab: SalesforceLab, failure: Fail) -> None:
    lab.scenario.api_used = lab.scenario.api_max
    error = failure()
    assert error.message.startswith(
        "Salesforce refused the request because the org's daily API allowance is spent (403 "
        "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.). Nothing more was sent")
    assert lab.emulator.request_count == 4  # the first round only, none of it retried
    assert lab.sleeps.delays == []


def test_too_many_long_requests_at_once_is_waited_out(
        lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/composite", body_has=RECORDS, status=403, error_code="REQUEST_LIMIT_EXCEEDED",
          message=CONCURRENT_REQUESTS, times=1)
    section = collected()
    assert unavailable_items(section) == {}
    assert section["requests"] == 6
    assert lab.sleeps.delays == [0.5]


def test_a_lasting_concurrency_limit_makes_its_items_unavailable(
        lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/composite", body_has=RECORDS, status=403, error_code="REQUEST_LIMIT_EXCEEDED",
          message=CONCURRENT_REQUESTS)
    section = collected()
    assert unavailable_items(section) == dict.fromkeys(
        RECORD_ITEMS, f"403 REQUEST_LIMIT_EXCEEDED: {CONCURRENT_REQUESTS} after 3 attempts")
    assert section["requests"] == 5 + 2
    assert lab.sleeps.delays == [0.5, 1.0]


# --- failures that cost only their own items ------------------------------------------

def test_retries_server_errors_with_backoff(lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/composite", body_has=ACCESS, status=503, error_code="SERVER_UNAVAILABLE",
          message="Server unavailable", times=2)
    section = collected()
    assert unavailable_items(section) == {}
    assert lab.emulator.rest_requests.count(COMPOSITE) == 3 + 1
    assert lab.sleeps.delays == [0.5, 1.0]


def test_gives_up_after_bounded_retries(lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/composite", body_has=RECORDS, status=500, error_code="UNKNOWN_EXCEPTION",
          message="boom")
    section = collected()
    assert unavailable_items(section) == dict.fromkeys(
        RECORD_ITEMS, "500 UNKNOWN_EXCEPTION: boom after 3 attempts")
    assert section["requests"] == 5 + 2
    assert lab.sleeps.delays == [0.5, 1.0]


def test_retries_a_reset_connection(lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/tooling/query", reset=True, times=1)
    section = collected()
    assert unavailable_items(section) == {}
    assert lab.emulator.rest_requests.count(TOOLING) == 2
    assert section["requests"] == 6


def test_unreachable_salesforce_is_a_source_failure(lab: SalesforceLab, failure: Fail) -> None:
    fault(lab, "/composite", reset=True)
    error = failure()
    assert error.message.startswith(f"Salesforce at {lab.emulator.base_url} could not be read: "
                                    "the connection to Salesforce failed (")
    assert error.message.endswith("after 3 attempts.")
    assert lab.emulator.rest_requests.count(COMPOSITE) == 2 * 3


def test_one_round_one_request_failing_keeps_the_other(
        lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/composite", body_has=ACCESS, reset=True)
    section = collected()
    lost = unavailable_items(section)
    # What rests on the auditing user's permissions is unknown too.
    assert set(lost) == {"org", "intercom_tokens", "integration_users", "active_users",
                         "case_record_types", "integration_activity", "integration_user_logins",
                         "mapped_field_access", "duplicate_rules", "validation_rules"}
    assert "it is unknown whether it holds View Setup and Configuration" in lost[
        "validation_rules"]
    assert lost["org"].startswith("the connection to Salesforce failed (")
    # UserInfo still said who signed in; what that user may see is unknown.
    assert section["audited_as"]["username"] == "admin@acme.example"
    assert set(section["audited_as"]["permissions"].values()) == {None}
    assert section["leads"]["total"] == 8
    # The failed request three times, the rest of round one, and round two's batch.
    assert section["requests"] == 3 + 3 + 1


def test_timeout_makes_its_items_unavailable(lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/composite", body_has=RECORDS, delay=2.0)
    section = collected(timeout=0.3)
    assert unavailable_items(section) == dict.fromkeys(
        RECORD_ITEMS, "Salesforce did not answer POST composite within 0.3 s (raise it with "
                      "--timeout)")
    assert section["requests"] == 5  # a slow answer is not asked for again


def test_timeout_on_the_whole_first_round(lab: SalesforceLab, failure: Fail) -> None:
    fault(lab, "/composite", delay=2.0)
    error = failure(timeout=0.3)
    assert "did not answer POST composite within 0.3 s" in error.message
    assert "--timeout" in error.message
    assert error.requests == 4


# --- answers of the wrong shape -----------------------------------------------------------

def test_a_proxy_page_instead_of_json(lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/composite", body_has=RECORDS,
          raw="<html><head><title>Access denied by proxy</title></head></html>")
    section = collected()
    assert unavailable_items(section) == dict.fromkeys(
        RECORD_ITEMS, "Salesforce's answer to POST composite was not the JSON it should be "
                      "(text/html; charset=utf-8; it began '<html><head><title>Access denied "
                      "by prox...')")
    assert lab.sleeps.delays == []


def test_a_body_cut_short_is_retried_then_given_up(lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/composite", body_has=RECORDS, cut=True)
    section = collected()
    reasons = unavailable_items(section)
    assert set(reasons) == RECORD_ITEMS
    assert reasons["leads"].startswith("the connection to Salesforce failed (")
    assert reasons["leads"].endswith(") after 3 attempts")


def test_truncated_json(lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/composite", body_has=RECORDS, raw='{"compositeResponse": [{"body": ',
          content_type="application/json")
    section = collected()
    assert unavailable_items(section) == dict.fromkeys(
        RECORD_ITEMS, "Salesforce's answer to POST composite was not the JSON it should be "
                      "(application/json; it began '{\"compositeResponse\": [{\"body\": ')")


@pytest.mark.parametrize(("body", "found"), [
    ({"compositeResponse": "maintenance"},
     "expected compositeResponse to be a list, got the text 'maintenance'"),
    ([{"compositeResponse": []}], "expected the answer to be an object, got a list of 1 item"),
    ({"compositeResponse": [None]},
     "expected compositeResponse[0] to be an object, got null"),
])
def test_a_composite_answer_of_the_wrong_shape(lab: SalesforceLab, collected: Collect,
                                              body: Any, found: str) -> None:
    fault(lab, "/composite", body_has=RECORDS, body=body)
    section = collected()
    assert unavailable_items(section) == dict.fromkeys(
        RECORD_ITEMS, f"Salesforce's answer to POST composite: {found}")


def test_a_number_where_an_object_belongs(lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/composite", body_has=RECORDS, body=42)
    section = collected()
    assert unavailable_items(section) == dict.fromkeys(
        RECORD_ITEMS, "Salesforce's answer to POST composite was not the JSON it should be "
                      "(application/json;charset=UTF-8; it began '42')")


@pytest.mark.parametrize(("sobject", "shape", "item", "found"), [
    ("OauthToken", {"records": "maintenance", "done": True}, "intercom_tokens",
     "expected records to be a list, got the text 'maintenance'"),
    ("OauthToken", {"records": [{"AppName": "Intercom", "UserId": 42}], "done": True},
     "intercom_tokens", "expected records[0].UserId to be a text or null, got the number 42"),
    ("Organization", {"records": [{"Id": "00D", "Name": None}], "done": True}, "org",
     "expected records[0].Name to be a text, got null"),
    ("Lead", {"records": [{"total": "8", "withEmail": 6}], "done": True}, "leads",
     "expected records[0].total to be a whole number of 0 or more, got the text '8'"),
    ("Contact", {"records": [{"total": 3, "withEmail": 5}], "done": True}, "contacts",
     "expected records[0].withEmail to be at most the total, 3, got the number 5"),
    ("RecordType", {"records": [], "done": "yes"}, "case_record_types",
     "expected done to be true, false or null, got the text 'yes'"),
    ("PackageLicense", {"records": [], "done": False, "nextRecordsUrl": "//evil.example/x"},
     "installed_packages",
     "expected nextRecordsUrl to be a /services/data/vNN.0/query/ path, got the text "
     "'//evil.example/x'"),
    ("UserPermissionAccess", {"records": [], "done": True}, "intercom_tokens",
     "expected one record, got 0"),
    ("UserLogin", {"records": [{"UserId": "005000000000002AAA", "IsFrozen": "no",
                                "IsPasswordLocked": False}], "done": True},
     "integration_user_logins", "expected records[0].IsFrozen to be true, false or null, got "
     "the text 'no'"),
    ("FieldPermissions", {"records": [{"ParentId": "0PS000000000002AAA", "Field": "Lead.Title",
                                       "PermissionsRead": True}], "done": True},
     "mapped_field_access", "expected records[0].PermissionsEdit to be true or false, got "
     "nothing (the key is absent)"),
    ("DuplicateRule", {"records": [{"SobjectType": None, "MasterLabel": "X"}], "done": True},
     "duplicate_rules", "expected records[0].SobjectType to be a text, got null"),
    ("ValidationRule", {"records": [{"ValidationName": "X", "EntityDefinition": "Lead"}],
                        "done": True}, "validation_rules",
     "expected records[0].EntityDefinition to be an object, got the text 'Lead'"),
])
def test_a_query_answer_of_the_wrong_shape(lab: SalesforceLab, collected: Collect,
        sobject: str, shape: Any, item: str, found: str) -> None:
    lab.scenario.shapes[sobject] = shape
    section = collected()
    assert f"Salesforce's answer to the {sobject} query: {found}" in unavailable_items(
        section)[item]


@pytest.mark.parametrize(("shape", "found"), [
    ({"name": "Lead", "fields": "many"}, "expected fields to be a list, got the text 'many'"),
    ({"fields": [{"name": "Email", "createable": True, "nillable": True,
                  "defaultedOnCreate": False}]},
     "expected fields[0].permissionable to be true or false, got nothing (the key is absent)"),
])
def test_a_describe_of_the_wrong_shape(lab: SalesforceLab, collected: Collect, shape: Any,
                                       found: str) -> None:
    lab.scenario.shapes["Lead"] = shape
    lab.scenario.denied["Contact"] = (404, "NOT_FOUND", "The requested resource does not exist")
    section = collected()
    lost = unavailable_items(section)
    assert lost["lead_fields"] == f"Salesforce's answer to the Lead describe: {found}"
    assert lost["contact_fields"] == (
        "404 NOT_FOUND on Contact: The requested resource does not exist")


def test_a_userinfo_page_that_is_not_json(lab: SalesforceLab, collected: Collect) -> None:
    fault(lab, "/userinfo", raw="<html>Sign in</html>")
    section = collected()
    assert (section["audited_as"]["user_id"], section["audited_as"]["username"]) == (None, None)
    assert unavailable_items(section) == {}


@pytest.mark.parametrize(("body", "found"), [
    ({"DailyApiRequests": {"Max": "lots", "Remaining": 3}},
     "expected DailyApiRequests.Max to be a whole number of 0 or more, got the text 'lots'"),
    ({"DailyApiRequests": None}, "expected DailyApiRequests to be an object, got null"),
])
def test_limits_of_the_wrong_shape(lab: SalesforceLab, collected: Collect, body: Any,
                                   found: str) -> None:
    lab.scenario.limit_header = False
    lab.scenario.shapes["limits"] = body
    section = collected()
    assert unavailable_items(section) == {
        "api_allowance": f"Salesforce's answer to GET /limits: {found}"}
