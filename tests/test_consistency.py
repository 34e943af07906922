"""No pass on impossible evidence: each inconsistency makes the rules reading it unknown.

Every snapshot here passes the schema (a schema-invalid one never reaches the rules);
what is wrong with it is only visible across values. Each case from issue 9 has its own
test, asserting the exact status and that the finding says which value is impossible
and how to put it right.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.engine.consistency import Problem, find_problems
from auditor.engine.evaluate import Finding
from tests.snapshots import (
    EXAMPLE_NAMES,
    ITEM_UNAVAILABLE,
    changed,
    compliant_snapshot,
    example,
    run,
    run_all,
    validated,
)

SF = "salesforce"
IC = "intercom"
TOKEN = f"{SF}.intercom_tokens.0"
RECOLLECT = "collect the snapshot again (`auditor collect`), or correct the value"

# The rules that rest on the integration user the Intercom token names.
INTEGRATION_USER_RULES = ("connection.integration_user", "connection.admin_access_temporary",
                          "cases.activities_flowing", "account_sync.no_account_writes")


def evaluated(rule_id: str, changes: dict[str, Any]) -> Finding:
    return run(rule_id, validated(changed(compliant_snapshot(), changes)))


def assert_unknown(finding: Finding, *phrases: str) -> None:
    assert finding.status == "unknown", finding.message
    assert finding.message.startswith("Cannot be verified. ")
    for phrase in phrases:
        assert phrase in finding.message, finding.message


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_the_examples_are_consistent(name: str) -> None:
    assert find_problems(example(name)) == ()


# --- the cases of issue 9 ---------------------------------------------------------------

def test_attestation_dated_2999_is_unknown_not_a_negative_age() -> None:
    finding = evaluated("attestation.fresh", {"settings.attested_at": "2999-01-01"})
    assert_unknown(finding, "The settings are dated 2999-01-01, after the snapshot was taken on "
                   "2026-11-20", "correct attested_at in the settings file")
    assert "355058" not in finding.message


def test_token_used_after_the_snapshot_is_unknown() -> None:
    finding = evaluated("connection.integration_user",
                        {f"{TOKEN}.last_used_date": "2026-11-21T09:00:00Z"})
    assert_unknown(finding, "Salesforce `intercom_tokens.0.last_used_date` is "
                   "2026-11-21T09:00:00Z, after the snapshot was taken (2026-11-20T10:00:00Z, "
                   "allowing 5 minutes", RECOLLECT)


def test_integration_user_without_profile_name_is_unknown() -> None:
    finding = evaluated("connection.admin_access_temporary",
                        {f"{SF}.integration_users.0.profile_name": None})
    assert_unknown(finding, "integration user 0055g00000AbCdEAAZ has no profile name (null)",
                   "View Setup and Configuration")
    assert "No integration user has admin rights" not in finding.message


def test_token_user_missing_from_integration_users_is_unknown() -> None:
    second_token = {"app_name": "Intercom", "user_id": "0055g00000ZzZzZAAA",
                    "last_used_date": "2026-11-19T08:00:00Z", "use_count": 3}
    snapshot = changed(compliant_snapshot(), {})
    snapshot[SF]["intercom_tokens"].append(second_token)
    snapshot = validated(snapshot)
    assert_unknown(run("connection.admin_access_temporary", snapshot),
                   "`intercom_tokens` names 0055g00000ZzZzZAAA as the user of an Intercom "
                   "token, but `integration_users` does not list that user")
    # The tokens themselves are sound: the connection still passes on them.
    assert run("connection.integration_user", snapshot).status == "pass"


def test_duplicate_email_count_of_zero_with_an_example_is_unknown() -> None:
    finding = evaluated("lead_contact_sync.duplicate_emails", {
        f"{SF}.leads.duplicate_emails": {
            "count": 0, "examples": [{"email": "pat@acme.example", "records": 5}]}})
    assert_unknown(finding, "Salesforce `leads` counts 0 email addresses shared by two or more "
                   "records, but its examples show 1 such address (shared by 5 records in all)")
    # The reason is built without the addresses, so it never shows one unmasked.
    assert "pat@acme.example" not in finding.message


# --- attestation.fresh -----------------------------------------------------------------

def test_attestation_after_the_snapshot_says_so_plainly() -> None:
    snapshot = changed(compliant_snapshot(), {"created_at": "2026-11-25T09:00:00Z",
                                              "settings.attested_at": "2026-12-01"})
    finding = run("attestation.fresh", validated(snapshot))
    assert_unknown(finding, "The settings are dated 2026-12-01, after the snapshot was taken "
                   "on 2026-11-25")


@pytest.mark.parametrize(("attested_at", "status", "said"), [
    # created_at is 2026-11-20T10:00:00Z: already the 21st in UTC+14, never the 22nd.
    ("2026-11-21", "pass", "attested on the day the snapshot was taken"),
    ("2026-11-22", "unknown", "dated 2026-11-22, after the snapshot"),
])
def test_attestation_on_the_snapshot_day_in_any_time_zone(
        attested_at: str, status: str, said: str) -> None:
    finding = evaluated("attestation.fresh", {"settings.attested_at": attested_at})
    assert (finding.status, said in finding.message) == (status, True), finding.message


# --- observations dated after the snapshot -----------------------------------------------

def test_a_token_used_within_the_clock_skew_still_passes() -> None:
    finding = evaluated("connection.integration_user",
                        {f"{TOKEN}.last_used_date": "2026-11-20T10:04:59Z"})
    assert finding.status == "pass"


def test_a_source_collected_after_the_snapshot_is_unknown_throughout() -> None:
    snapshot = validated(changed(compliant_snapshot(),
                                 {f"{IC}.collected_at": "2026-11-21T10:00:00Z"}))
    by_rule = {f.rule.id: f for f in run_all(snapshot)}
    assert_unknown(by_rule["ownership.teammates_mapped"], "Intercom `collected_at` is "
                   "2026-11-21T10:00:00Z, after the snapshot was taken")
    assert_unknown(by_rule["lead_contact_sync.contacts_without_email"], "Intercom `collected_at`")
    # Salesforce's evidence is untouched.
    assert by_rule["lead_contact_sync.duplicate_emails"].status == "pass"


def test_an_app_event_after_the_snapshot_is_left_out_not_shown() -> None:
    finding = evaluated("connection.integration_user",
                        {f"{IC}.app_events.events.0.created_at": "2027-03-01T00:00:00Z"})
    # App events are optional evidence: the verdict rests on the token alone.
    assert finding.status == "pass"
    assert "activity log" not in finding.message


def test_an_app_event_before_its_window_is_impossible() -> None:
    snapshot = validated(changed(compliant_snapshot(), {f"{IC}.app_events.window_days": 30}))
    (problem,) = find_problems(snapshot)
    assert problem.path == f"{IC}.app_events.events.0.created_at"
    assert "before the window of 30 days the events were read over" in problem.reason


def test_activity_counted_over_another_window_than_it_claims_is_unknown() -> None:
    # Counted over 7 days, but relabelled as 30: the rule would read a week as a month.
    finding = evaluated("cases.activities_flowing",
                        {f"{SF}.integration_activity.since": "2026-11-13T10:00:02Z"})
    assert_unknown(finding, "claims a window of 30 days but counts since 2026-11-13T10:00:02Z",
                   "the counts and their window disagree")


# --- counts that disagree -----------------------------------------------------------------

@pytest.mark.parametrize(("quality", "said"), [
    ({"total": 10, "without_email": 11, "duplicate_emails": {"count": 0, "examples": []}},
     "has 11 records without an email out of 10 in all"),
    ({"total": 10, "without_email": 5, "duplicate_emails": {"count": 3, "examples": []}},
     "counts 3 email addresses shared by two or more records (its examples alone cover 0 "
     "records), but only 5 records have an email"),
    ({"total": 10, "without_email": 0, "duplicate_emails": {"count": 1, "examples": [
        {"email": "a@b.example", "records": 11}]}},
     "counts 1 email address shared by two or more records (its examples alone cover 11 "
     "records), but only 10 records have an email"),
    ({"total": 10, "without_email": 0, "duplicate_emails": {"count": 2, "examples": [
        {"email": "a@b.example", "records": 2}, {"email": "a@b.example", "records": 2}]}},
     "lists the same address twice"),
], ids=["without email above total", "count beyond records", "examples beyond records",
        "an address twice"])
def test_email_counts_that_disagree_are_unknown(quality: dict[str, Any], said: str) -> None:
    finding = evaluated("lead_contact_sync.duplicate_emails", {f"{SF}.contacts": quality})
    assert_unknown(finding, f"Salesforce `contacts` {said}")


def test_intercom_contacts_without_email_above_total_are_unknown() -> None:
    finding = evaluated("lead_contact_sync.contacts_without_email",
                        {f"{IC}.contacts.leads": {"total": 3, "without_email": 4}})
    assert_unknown(finding, "Intercom `contacts.leads` has 4 without an email out of 3 in all")


def test_more_api_requests_remaining_than_the_maximum_is_unknown() -> None:
    finding = evaluated("api_usage.limit_within_org_allowance",
                        {f"{SF}.api_allowance.daily_remaining": 100001})
    assert_unknown(finding, "100,001 daily API requests remaining out of a maximum of 100,000")


# --- the auditing user cannot see every token ------------------------------------------------

WITHOUT_TOKEN_ACCESS = {
    f"{SF}.audited_as.permissions.customize_application": False,
    f"{SF}.audited_as.permissions.manage_users": False,
}
TOKENS_UNAVAILABLE = (
    "the auditing user auditor@acme.example lacks Customize Application and Manage Users, so "
    "Salesforce shows them only their own OAuth tokens"
)


def test_without_token_access_every_integration_user_rule_names_the_permission() -> None:
    # As the collector writes it: the tokens unavailable, and what rests on them too.
    derived = {"status": "unavailable", "reason": "the Intercom OAuth tokens, which name the "
               f"integration users, were unavailable: {TOKENS_UNAVAILABLE}"}
    snapshot = validated(changed(compliant_snapshot(), {
        **WITHOUT_TOKEN_ACCESS,
        f"{SF}.intercom_tokens": {"status": "unavailable", "reason": TOKENS_UNAVAILABLE},
        f"{SF}.integration_users": derived,
        f"{SF}.integration_activity": derived,
    }))
    for rule_id in INTEGRATION_USER_RULES:
        assert_unknown(run(rule_id, snapshot), "lacks Customize Application and Manage Users")


def test_a_token_list_read_without_customize_application_proves_nothing() -> None:
    # A list where the collector of this version writes unavailable: hand-made, or older.
    snapshot = validated(changed(compliant_snapshot(), {
        **WITHOUT_TOKEN_ACCESS, f"{SF}.intercom_tokens": [], f"{SF}.integration_users": []}))
    for rule_id in INTEGRATION_USER_RULES:
        assert_unknown(run(rule_id, snapshot), "auditor@acme.example lacks the Customize "
                       "Application permission", "shows a user only their own OAuth tokens",
                       "give the auditing user Customize Application")


def test_integration_users_without_readable_tokens_are_unknown() -> None:
    snapshot = validated(changed(compliant_snapshot(), {
        f"{SF}.intercom_tokens": ITEM_UNAVAILABLE}))
    for rule_id in INTEGRATION_USER_RULES:
        assert_unknown(run(rule_id, snapshot), "403 INSUFFICIENT_ACCESS on OauthToken")


def test_a_permission_salesforce_did_not_report_is_not_assumed() -> None:
    finding = evaluated("connection.integration_user",
                        {f"{SF}.audited_as.permissions.customize_application": None})
    assert_unknown(finding, "may lack (Salesforce did not say) the Customize Application")


def test_counts_made_without_view_all_data_cannot_pass_on_a_zero() -> None:
    snapshot = validated(changed(compliant_snapshot(), {
        f"{SF}.audited_as.permissions.view_all_data": False}))
    for rule_id in ("lead_contact_sync.duplicate_emails", "account_sync.no_account_writes",
                    "cases.activities_flowing"):
        assert_unknown(run(rule_id, snapshot), "lacks View All Data",
                       "a count of zero may hide records they cannot see",
                       "give the auditing user View All Data")
    # Rules that read no record count are untouched.
    assert run("connection.integration_user", snapshot).status == "pass"


# --- how problems reach the rules ---------------------------------------------------------

@pytest.mark.parametrize(("read", "spoiled"), [
    ("salesforce.integration_users", True),  # the list holds the spoiled value
    ("salesforce.integration_users.0.profile_name", True),
    ("salesforce.integration_users.0.profile_name.x", True),  # inside it
    ("salesforce.integration_users.1", False),
    ("salesforce.integration_users_extra", False),  # a longer name is another item
    ("salesforce.intercom_tokens", False),
])
def test_a_problem_spoils_reads_that_take_it_in(read: str, spoiled: bool) -> None:
    problem = Problem("salesforce.integration_users.0.profile_name", "r")
    assert problem.spoils(read) is spoiled


def test_several_problems_on_one_read_are_all_named_once_each() -> None:
    finding = evaluated("lead_contact_sync.duplicate_emails", {
        f"{SF}.leads.without_email": 6000, f"{SF}.contacts.without_email": 3000})
    assert_unknown(finding, "`leads` has 6,000 records", "`contacts` has 3,000 records")
    assert finding.message.count("To supply it") == 2  # one per read
    assert finding.message.count(RECOLLECT) == 2


def test_many_problems_on_one_read_are_counted_past_the_first_three() -> None:
    snapshot = compliant_snapshot()
    token = snapshot[SF]["intercom_tokens"][0]
    snapshot[SF]["intercom_tokens"] = [
        {**token, "last_used_date": f"2026-12-0{day}T00:00:00Z"} for day in range(1, 6)]
    finding = run("connection.integration_user", validated(snapshot))
    assert_unknown(finding, "`intercom_tokens.2.last_used_date` is 2026-12-03T00:00:00Z",
                   "happens (and 2 more problems). To supply it")
    assert "2026-12-04" not in finding.message


def test_a_future_attestation_spoils_its_date_not_the_values_attested() -> None:
    # What was read is still what the app shows; only its age cannot be told.
    finding = evaluated("api_usage.limit_set", {"settings.attested_at": "2027-01-01"})
    assert finding.status == "pass"
