"""The Salesforce collector against the emulator: evidence, request plan and budget."""

from __future__ import annotations

import logging
import tracemalloc
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from auditor.collect import UserKeys
from auditor.collect.salesforce.collector import SalesforceOptions, collect_salesforce
from auditor.collect.salesforce.queries import QUERY_URL_MAX
from auditor.engine.evidence import Missing, lookup
from tests.emulators.salesforce import Fault
from tests.emulators.salesforce_org import Org, Scenario
from tests.salesforce_lab import (
    INTEGRATION_USER,
    TEAMMATES,
    ManyUsers,
    SalesforceLab,
    as_snapshot,
    assert_no_secret,
    critical_path,
    schema_errors,
    typical_tables,
)
from tests.salesforce_stub import INSTANCE, StubTransport

pytest_plugins = ("tests.salesforce_fixtures",)

ITEMS = ("audited_as", "org", "api_allowance", "intercom_tokens", "integration_users",
         "active_users", "case_record_types", "integration_activity", "leads", "contacts",
         "installed_packages", "integration_user_logins", "mapped_field_access", "lead_fields",
         "contact_fields", "duplicate_rules", "validation_rules")
COMPOSITE = "POST /services/data/v62.0/composite"
BATCH = "POST /services/data/v62.0/composite/batch"
TOOLING = "GET /services/data/v62.0/tooling/query/"
USERINFO = "GET /services/oauth2/userinfo"
ROUND_ONE = sorted([COMPOSITE, COMPOSITE, TOOLING, USERINFO])


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


def missing(section: dict[str, Any]) -> set[str]:
    return {key for key in ITEMS
            if isinstance(section[key], dict) and section[key].get("status") == "unavailable"}


def sent_queries(lab: SalesforceLab) -> list[str]:
    """The SOQL of every query the collector sent, as the emulator's log shows them."""
    return [parse_qs(urlsplit(url).query)["q"][0] for url in lab.emulator.org.query_urls
            if "q" in parse_qs(urlsplit(url).query)]


def add_users(lab: SalesforceLab, extra: int) -> None:
    lab.scenario.tables["User"] = ManyUsers(list(lab.scenario.tables["User"]), extra)


# --- a healthy org --------------------------------------------------------------------

def test_collects_every_item_in_five_requests(
        lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    section = checked(lab, lab.collect(), caplog, capsys)
    # Two Composite requests, the Tooling query and UserInfo at once, then the Composite
    # Batch that needs the tokens.
    assert section["requests"] == 5
    assert sorted(lab.emulator.rest_requests[:4]) == ROUND_ONE
    assert lab.emulator.rest_requests[4] == BATCH
    assert missing(section) == set()
    assert "case_assignment_rules" not in section
    assert section["audited_as"] == {
        "user_id": "005000000000001AAA", "username": "admin@acme.example",
        "permissions": {"api_enabled": True, "view_setup": True, "customize_application": True,
                        "manage_users": True, "view_all_data": True}}
    assert section["org"] == {"id": "00D000000000001AAA", "name": "Acme Inc",
                              "edition": "Enterprise Edition", "is_sandbox": False,
                              "instance_name": "NA224"}
    # From the Sforce-Limit-Info header of the latest answer: the first round's three API
    # calls and, perhaps, the batch's seven subrequests, one call each, were charged.
    allowance = section["api_allowance"]
    assert allowance["limit_info"]["used"] in (1_237, 1_244)
    assert allowance["daily_remaining"] == 100_000 - allowance["limit_info"]["used"]
    assert [t["app_name"] for t in section["intercom_tokens"]] == ["Intercom",
                                                                   "intercom-legacy"]
    assert section["integration_users"] == [{
        "id": INTEGRATION_USER, "username": "intercom@acme.example",
        "email": "intercom@acme.example", "is_active": True, "profile_name": "Standard User",
        "modify_all_data_from_profile": False,
        "modify_all_data_permission_sets": ["Intercom_Admin_Access"]}]
    # Only the users a teammate's email names; the integration user is not one.
    assert section["active_users"] == [
        {"username": "admin@acme.example", "email": "admin@acme.example"},
        {"username": "sam.lee@acme.example.prod", "email": "sam@acme.example"}]
    assert section["case_record_types"] == [
        {"id": "012000000000001AAA", "name": "Support", "developer_name": "Support"},
        {"id": "012000000000002AAA", "name": "Billing", "developer_name": "Billing"}]
    activity = section["integration_activity"]
    assert (activity["window_days"], activity["tasks_created"],
            activity["accounts_created"]) == (30, 3, 1)
    assert section["leads"] == {"total": 8, "without_email": 2, "duplicate_emails": {
        "count": 2, "examples": [{"email": "jo@globex.example", "records": 3},
                                 {"email": "lee@hooli.example", "records": 2}]}}
    assert section["contacts"]["duplicate_emails"]["count"] == 1
    assert section["installed_packages"] == [{"name": "intercom", "namespace": "intercom",
                                              "version": None}]


def test_independent_requests_go_out_together(lab: SalesforceLab) -> None:
    lab.scenario.latency = 0.15
    lab.collect()
    exchanges = lab.emulator.exchanges
    assert len(exchanges) == 5
    assert critical_path(exchanges) == 2
    # Four went out before any answer came; only the one needing the tokens waited.
    first_answer = min(e.ended for e in exchanges)
    assert sum(e.started < first_answer for e in exchanges) == 4


def test_no_limit_header_asks_for_the_limits_inside_round_two(lab: SalesforceLab) -> None:
    lab.scenario.limit_header = False
    lab.scenario.latency = 0.15
    section = lab.collect()
    assert not any("/limits" in request for request in lab.emulator.rest_requests)
    assert "v62.0/limits" in lab.emulator.org.query_urls  # a subrequest of the batch
    assert section["requests"] == 5
    assert critical_path(lab.emulator.exchanges) == 2
    allowance = section["api_allowance"]
    assert (allowance["daily_max"], allowance["limit_info"]) == (100_000, None)
    # Asked for last in the batch: the first round's calls, the Tooling query's perhaps,
    # and the batch's subrequests before it and its own were charged.
    assert 100_000 - 1_234 - 12 <= allowance["daily_remaining"] <= 100_000 - 1_234 - 10


def test_signing_in_that_names_the_user_saves_userinfo(lab: SalesforceLab) -> None:
    scenario = lab.scenario
    env = {**lab.token_env(), "SF_USERNAME": scenario.username, "SF_PASSWORD": scenario.password,
           "SF_SECURITY_TOKEN": scenario.security_token}
    del env["SF_ACCESS_TOKEN"]
    section = lab.collect(env=env)
    assert section["requests"] == 4
    assert USERINFO not in lab.emulator.rest_requests
    assert (section["audited_as"]["user_id"], section["audited_as"]["username"]) == (
        "005000000000001AAA", "admin@acme.example")


def test_userinfo_that_cannot_tell_leaves_the_user_unknown(lab: SalesforceLab) -> None:
    lab.scenario.faults.append(Fault("/userinfo", raw="Bad_OAuth_Token", status=403,
                                     content_type="text/plain"))
    section = lab.collect()
    assert section["audited_as"]["user_id"] is None and section["audited_as"]["username"] is None
    assert section["audited_as"]["permissions"]["customize_application"] is True
    assert missing(section) == set()


def test_window_days_changes_what_is_counted(lab: SalesforceLab) -> None:
    activity = lab.collect(window_days=60)["integration_activity"]
    assert (activity["window_days"], activity["tasks_created"]) == (60, 4)


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
    assert section["integration_user_logins"] == []
    assert section["mapped_field_access"] == {"fields": ["Phone", "Title"], "access": []}
    assert missing(section) == {"integration_activity"}
    assert "no Intercom OAuth token" in reason(section, "integration_activity")
    # The second round asks only for what needs no token: the duplicate rules.
    assert section["requests"] == 5
    assert not any("FROM UserLogin" in soql for soql in sent_queries(lab))


def test_follows_next_records_url_of_the_tokens(lab: SalesforceLab) -> None:
    lab.scenario.batch_size = 1
    section = lab.collect()
    assert [t["app_name"] for t in section["intercom_tokens"]] == ["Intercom",
                                                                   "intercom-legacy"]
    assert any(r.startswith("GET /services/data/v62.0/query/01g")
               for r in lab.emulator.rest_requests)


# --- what the auditing user may see ------------------------------------------------------

def without(lab: SalesforceLab, *permissions: str) -> None:
    for permission in permissions:
        lab.scenario.permissions[permission] = False


def test_without_customize_application_the_tokens_prove_nothing(
        lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    without(lab, "CustomizeApplication", "ManageUsers")
    section = checked(lab, lab.collect(), caplog, capsys)
    assert section["audited_as"]["permissions"]["customize_application"] is False
    assert missing(section) == {"intercom_tokens", "integration_users", "integration_activity",
                                "integration_user_logins", "mapped_field_access"}
    assert reason(section, "intercom_tokens").startswith(
        "the auditing user lacks the Customize Application permission; without it Salesforce "
        "shows a user only their own OAuth tokens")
    for item in ("integration_users", "integration_user_logins", "mapped_field_access"):
        assert "Customize Application" in reason(section, item)
    assert section["requests"] == 5  # round two carries no query about integration users
    assert not any("FROM UserLogin" in soql for soql in sent_queries(lab))
    snapshot = as_snapshot(section)
    for path in ("salesforce.intercom_tokens", "salesforce.integration_users",
                 "salesforce.integration_activity.accounts_created"):
        found = lookup(snapshot, path)
        assert isinstance(found, Missing) and "Customize Application" in found.reason


def test_manage_users_alone_is_not_enough(lab: SalesforceLab) -> None:
    without(lab, "CustomizeApplication")
    section = lab.collect()
    assert missing(section) == {"intercom_tokens", "integration_users", "integration_activity",
                                "integration_user_logins", "mapped_field_access"}
    assert "Manage Users, which it has, was enough in earlier versions" in reason(
        section, "intercom_tokens")


def test_unreadable_permissions_leave_the_tokens_unknown(lab: SalesforceLab) -> None:
    lab.scenario.denied["UserPermissionAccess"] = (400, "INVALID_TYPE",
                                                   "sObject type 'UserPermissionAccess' is not "
                                                   "supported.")
    section = lab.collect()
    assert section["audited_as"] == {"user_id": "005000000000001AAA",
                                     "username": "admin@acme.example",
                                     "permissions": dict.fromkeys(
                                         ["api_enabled", "view_setup", "customize_application",
                                          "manage_users", "view_all_data"])}
    assert reason(section, "intercom_tokens") == (
        "the auditing user's permissions could not be read (400 INVALID_TYPE on "
        "UserPermissionAccess: sObject type 'UserPermissionAccess' is not supported.), so it "
        "is unknown whether Salesforce showed every user's OAuth tokens or only the auditing "
        "user's own")
    assert missing(section) == {"intercom_tokens", "integration_users", "integration_activity",
                                "integration_user_logins", "mapped_field_access",
                                "duplicate_rules", "validation_rules"}
    assert "it is unknown whether it holds View Setup and Configuration" in reason(
        section, "duplicate_rules")


def test_unreadable_oauth_tokens(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.denied["OauthToken"] = (403, "INSUFFICIENT_ACCESS",
                                         "insufficient access rights on object id")
    section = checked(lab, lab.collect(), caplog, capsys)
    assert missing(section) == {"intercom_tokens", "integration_users", "integration_activity",
                                "integration_user_logins", "mapped_field_access"}
    assert reason(section, "intercom_tokens") == (
        "403 INSUFFICIENT_ACCESS on OauthToken: insufficient access rights on object id")
    assert "INSUFFICIENT_ACCESS on OauthToken" in reason(section, "integration_users")
    assert len(section["active_users"]) == 2
    snapshot = as_snapshot(section)
    for path in ("salesforce.intercom_tokens", "salesforce.integration_users",
                 "salesforce.integration_activity.tasks_created"):
        found = lookup(snapshot, path)
        assert isinstance(found, Missing) and "INSUFFICIENT_ACCESS" in found.reason


def test_error_inside_one_subrequest(lab: SalesforceLab, caplog: pytest.LogCaptureFixture,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    lab.scenario.denied["Contact"] = (400, "INVALID_TYPE",
                                      "sObject type 'Contact' is not supported.")
    section = checked(lab, lab.collect(), caplog, capsys)
    assert missing(section) == {"contacts", "contact_fields"}
    assert reason(section, "contacts").startswith("400 INVALID_TYPE on Contact: ")
    assert section["requests"] == 5


# --- the org's users, and what it costs ----------------------------------------------------

@pytest.mark.parametrize("active_users", [500, 2_000, 50_000])
def test_budget_holds_at_any_size(lab: SalesforceLab, active_users: int) -> None:
    add_users(lab, active_users - 3)  # the typical org has three active standard users
    lab.scenario.latency = 0.15
    section = lab.collect()
    assert lab.emulator.request_count == section["requests"] == 5
    assert critical_path(lab.emulator.exchanges) == 2
    assert [u["username"] for u in section["active_users"]] == [
        "admin@acme.example", "sam.lee@acme.example.prod"]
    assert missing(section) == set()
    # Past one page of users, they are asked for by what matches them, in round two.
    assert any("Email IN" in soql for soql in sent_queries(lab)) is (active_users > 2_000)


def test_many_permission_sets_cost_nothing_more(lab: SalesforceLab) -> None:
    """FieldPermissions is read for the integration users' permission sets and the mapped
    fields only: 3,000 permission sets granting 6,000 field permissions, in an org of
    50,000 users, cost what the typical org does."""
    add_users(lab, 50_000)
    tables = lab.scenario.tables
    tables["PermissionSet"] = [*tables["PermissionSet"], *(
        {"Id": f"0PS{n:012d}ZZZ", "Name": f"Set_{n}", "Label": f"Set {n}",
         "IsOwnedByProfile": False, "ProfileId": None, "PermissionsModifyAllData": False}
        for n in range(3_000))]
    tables["FieldPermissions"] = [*tables["FieldPermissions"], *(
        {"Id": f"01k{n:012d}{o[0]}ZZ", "ParentId": f"0PS{n:012d}ZZZ", "SobjectType": o,
         "Field": f"{o}.Title", "PermissionsRead": True, "PermissionsEdit": True}
        for n in range(3_000) for o in ("Lead", "Contact"))]
    section = lab.collect()
    assert lab.emulator.request_count == section["requests"] == 5
    access = section["mapped_field_access"]
    assert {row["user_id"] for row in access["access"]} == {INTEGRATION_USER}
    assert all(row["read"] and row["edit"] for row in access["access"])


def test_a_large_org_costs_no_more_and_keeps_only_matches(lab: SalesforceLab) -> None:
    lab.collect()
    small = lab.emulator.request_count
    lab.emulator.rest_requests.clear()
    add_users(lab, 50_000)
    keys = UserKeys(emails=frozenset({"sam@acme.example", "user49999@acme.example"}),
                    usernames=frozenset({"admin@acme.example"}))
    section = lab.collect(user_keys=lambda: keys)
    assert lab.emulator.request_count == small
    assert section["active_users"] == [
        {"username": "admin@acme.example", "email": "admin@acme.example"},
        {"username": "sam.lee@acme.example.prod", "email": "sam@acme.example"},
        {"username": "user49999@acme.example", "email": "user49999@acme.example"}]
    # The first page was not followed: the users were asked for by what matches them.
    assert not any(r.startswith("GET /services/data/v62.0/query/")
                   for r in lab.emulator.rest_requests)
    assert any("Email IN ('sam@acme.example', 'user49999@acme.example')" in soql
               and "Username IN ('admin@acme.example')" in soql for soql in sent_queries(lab))


def test_users_on_more_than_one_page_are_asked_for_by_match(lab: SalesforceLab) -> None:
    lab.scenario.batch_size = 2  # three active users no longer fit on one page
    section = lab.collect()
    assert [u["username"] for u in section["active_users"]] == [
        "admin@acme.example", "sam.lee@acme.example.prod"]
    # The matching query rides with the tokens' round; the first page of users is not
    # followed (the further pages read are those of field permissions, two to a page).
    assert [r for r in lab.emulator.rest_requests if r.startswith("POST")] == [
        COMPOSITE, COMPOSITE, BATCH]
    assert any("Email IN" in soql for soql in sent_queries(lab))
    pages = [r for r in lab.emulator.rest_requests if r.startswith("GET /services/data/v62.0/q")]
    assert section["requests"] == 5 + len(pages)
    assert len(pages) == 2  # FieldPermissions: five rows held, two to a page


def test_quotes_and_backslashes_in_keys_are_escaped(lab: SalesforceLab) -> None:
    users = lab.scenario.tables["User"]
    odd = "o'brien\\x@acme.example"
    lab.scenario.tables["User"] = ManyUsers([*users, {
        "Id": "005000000000009AAA", "Username": "ob@acme.example", "Email": odd,
        "IsActive": True, "UserType": "Standard", "ProfileId": None}], 3000)
    section = lab.collect(user_keys=lambda: UserKeys(frozenset({odd, "x' OR Email != '"}),
                                                     frozenset()))
    assert section["active_users"] == [{"username": "ob@acme.example", "email": odd}]


def test_long_key_lists_are_split_to_keep_urls_short(lab: SalesforceLab) -> None:
    add_users(lab, 5000)
    emails = frozenset(f"user{n}@acme.example" for n in range(0, 3000, 3))
    section = lab.collect(user_keys=lambda: UserKeys(emails, frozenset()))
    assert len(section["active_users"]) == 1000
    matching = [url for url in lab.emulator.org.query_urls if "Email+IN" in url]
    assert len(matching) > 1
    assert all(len(url) <= QUERY_URL_MAX for url in matching)


def test_without_teammates_no_user_is_kept(lab: SalesforceLab) -> None:
    section = lab.collect(user_keys=lambda: None)
    assert reason(section, "active_users") == (
        "Intercom's teammates were not available to match against Salesforce's active users, "
        "so no user was kept")
    add_users(lab, 5000)
    lab.emulator.rest_requests.clear()
    section = lab.collect(user_keys=lambda: None)
    assert "Intercom's teammates were not available" in reason(section, "active_users")
    assert not any("Email IN" in soql for soql in sent_queries(lab))


def test_no_teammate_keys_means_no_match(lab: SalesforceLab) -> None:
    section = lab.collect(user_keys=lambda: UserKeys(frozenset(), frozenset()))
    assert section["active_users"] == []
    assert TEAMMATES.emails  # the lab's default keys do match some users


def peak_memory(extra_users: int) -> tuple[int, int]:
    """(peak bytes allocated, requests) collecting an org of 3 + `extra_users` active users,
    through the in-process stub so that only this collection's memory is traced."""
    tables = typical_tables()
    tables["User"] = ManyUsers(list(tables["User"]), extra_users)
    scenario = Scenario(tables=tables)
    transport = StubTransport(Org(scenario, INSTANCE))
    env = {"SF_INSTANCE_URL": INSTANCE, "SF_ACCESS_TOKEN": scenario.access_token}
    tracemalloc.start()
    try:
        section = collect_salesforce(SalesforceOptions(env=env, user_keys=lambda: TEAMMATES),
                                     transport=transport)
        return tracemalloc.get_traced_memory()[1], section["requests"]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_org_grows() -> None:
    # Both orgs have more users than a page holds; one has twenty times more.
    page, page_requests = peak_memory(2_500)
    large, large_requests = peak_memory(50_000)
    assert large_requests == page_requests
    # The first page of users is the most ever held, whatever the org's size.
    assert large < page * 1.2
