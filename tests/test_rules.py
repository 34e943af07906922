"""Every rule on its own: pass, fail, unknown and (where the issue says so) not_applicable.

Each case starts from the compliant example, where every rule passes, changes a few
values and says which status the one rule under test must then give. Every changed
snapshot is first checked against the snapshot schema, so no case tests a snapshot
that a collector could never write.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from auditor.documents.errors import InputError
from auditor.engine.catalogue import resolve_params
from auditor.engine.evidence import Provenance
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
    rules,
    run,
    run_all,
    validated,
)

SF = "salesforce"
IC = "intercom"
LIMIT = f"{APP}.api_usage.limit"
CASES_APP = f"{APP}.cases"
OWNERSHIP = f"{APP}.ownership"
ACTIVITY = f"{SF}.integration_activity"
TEAMMATES = f"{IC}.teammates"
TOKEN = f"{SF}.intercom_tokens.0"
INTEGRATION_USER = f"{SF}.integration_users.0"

LOGIN = f"{SF}.integration_user_logins.0"
ACCESS = f"{SF}.mapped_field_access.access"
MAPPINGS = f"{APP}.lead_contact_sync.field_mappings"
TOKEN_OF_USER = {"app_name": "Intercom", "user_id": "0055g00000AbCdEAAZ",
                 "last_used_date": "2026-11-19T22:14:05Z", "use_count": 1}

# No Intercom token, so no integration user (their activity counts stay, as if hand-made).
NO_TOKEN = {f"{SF}.intercom_tokens": [], f"{SF}.integration_users": []}

# The compliant example's created_at is 2026-11-20T10:00:00Z; ages count from there.
CREATED_AT = "2026-11-20T10:00:00Z"


def duplicates(count: int, *emails: str) -> dict[str, Any]:
    return {"count": count, "examples": [{"email": e, "records": 2} for e in emails]}


def contacts(users: tuple[int, int], leads: tuple[int, int]) -> dict[str, Any]:
    return {"users": {"total": users[0], "without_email": users[1]},
            "leads": {"total": leads[0], "without_email": leads[1]}}


def case(
    rule_id: str,
    status: str,
    why: str,
    changes: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> Any:
    return pytest.param(rule_id, changes or {}, params or {}, status,
                        id=f"{rule_id}:{status}:{why}")


CASES = [
    # connection.integration_user
    case("connection.integration_user", "pass", "token used yesterday"),
    case("connection.integration_user", "pass", "app name in any case",
         {f"{TOKEN}.app_name": "INTERCOM Sales Sync"}),
    case("connection.integration_user", "pass", "used exactly window_days ago",
         {f"{TOKEN}.last_used_date": "2026-10-21T10:00:00Z"}),
    case("connection.integration_user", "fail", "used a second too long ago",
         {f"{TOKEN}.last_used_date": "2026-10-21T09:59:59Z"}),
    case("connection.integration_user", "pass", "longer window_days",
         {f"{TOKEN}.last_used_date": "2026-10-01T00:00:00Z"}, {"window_days": 60}),
    case("connection.integration_user", "fail", "no token", {f"{SF}.intercom_tokens": []}),
    case("connection.integration_user", "fail", "never used", {f"{TOKEN}.last_used_date": None}),
    case("connection.integration_user", "fail", "only another app's token",
         {f"{TOKEN}.app_name": "Zendesk"}),
    case("connection.integration_user", "unknown", "tokens unavailable",
         {f"{SF}.intercom_tokens": ITEM_UNAVAILABLE}),
    # connection.admin_access_temporary
    case("connection.admin_access_temporary", "pass", "integration profile"),
    case("connection.admin_access_temporary", "fail", "admin profile",
         {f"{INTEGRATION_USER}.profile_name": "System Administrator"}),
    case("connection.admin_access_temporary", "fail", "modify all data from profile",
         {f"{INTEGRATION_USER}.modify_all_data_from_profile": True}),
    case("connection.admin_access_temporary", "fail", "modify all data from permission set",
         {f"{INTEGRATION_USER}.modify_all_data_permission_sets": ["Data Steward"]}),
    case("connection.admin_access_temporary", "fail", "admin_profile parameter",
         params={"admin_profile": "Intercom Integration"}),
    case("connection.admin_access_temporary", "unknown", "no integration user",
         NO_TOKEN),
    case("connection.admin_access_temporary", "unknown", "users unavailable",
         {f"{SF}.integration_users": ITEM_UNAVAILABLE}),
    # connection.integration_user_usable
    case("connection.integration_user_usable", "pass", "active, not frozen, not locked"),
    case("connection.integration_user_usable", "fail", "frozen",
         {f"{LOGIN}.is_frozen": True}),
    case("connection.integration_user_usable", "fail", "locked out",
         {f"{LOGIN}.is_password_locked": True}),
    case("connection.integration_user_usable", "fail", "inactive",
         {f"{INTEGRATION_USER}.is_active": False}),
    case("connection.integration_user_usable", "unknown", "no login record",
         {f"{SF}.integration_user_logins": []}),
    case("connection.integration_user_usable", "unknown", "logins unavailable",
         {f"{SF}.integration_user_logins": ITEM_UNAVAILABLE}),
    case("connection.integration_user_usable", "unknown", "no integration user",
         {**NO_TOKEN, f"{SF}.integration_user_logins": []}),
    # connection.token_pairs
    case("connection.token_pairs", "pass", "one token"),
    case("connection.token_pairs", "pass", "exactly max_tokens", {f"{SF}.intercom_tokens": [
        {**TOKEN_OF_USER, "use_count": n} for n in range(4)]}),
    case("connection.token_pairs", "fail", "one more than max_tokens", {f"{SF}.intercom_tokens": [
        {**TOKEN_OF_USER, "use_count": n} for n in range(5)]}),
    case("connection.token_pairs", "fail", "max_tokens=1 and two tokens",
         {f"{SF}.intercom_tokens": [TOKEN_OF_USER, TOKEN_OF_USER]}, {"max_tokens": 1}),
    case("connection.token_pairs", "not_applicable", "no token", NO_TOKEN),
    case("connection.token_pairs", "unknown", "tokens unavailable",
         {f"{SF}.intercom_tokens": ITEM_UNAVAILABLE}),
    # lead_contact_sync.mapped_fields_writable: Title written, Plan__c read
    case("lead_contact_sync.mapped_fields_writable", "pass", "edit Title, read Plan__c"),
    case("lead_contact_sync.mapped_fields_writable", "fail", "no edit on Contact.Title",
         {f"{ACCESS}.3.edit": False}),
    case("lead_contact_sync.mapped_fields_writable", "fail", "no read on Lead.Plan__c",
         {f"{ACCESS}.0.read": False}),
    case("lead_contact_sync.mapped_fields_writable", "pass", "Title not governed",
         {f"{ACCESS}.1.edit": False, f"{SF}.lead_fields.5.permissionable": False}),
    case("lead_contact_sync.mapped_fields_writable", "fail", "mapped field on neither object",
         {f"{MAPPINGS}.0.salesforce": "Nope__c"}),
    case("lead_contact_sync.mapped_fields_writable", "not_applicable", "no mappings",
         {MAPPINGS: []}),
    case("lead_contact_sync.mapped_fields_writable", "unknown", "mappings not attested",
         {MAPPINGS: DELETE}),
    case("lead_contact_sync.mapped_fields_writable", "unknown", "collected for other mappings",
         {f"{MAPPINGS}.0.salesforce": "Email"}),
    case("lead_contact_sync.mapped_fields_writable", "unknown", "field permissions unavailable",
         {f"{SF}.mapped_field_access": ITEM_UNAVAILABLE}),
    case("lead_contact_sync.mapped_fields_writable", "unknown", "no integration user",
         {**NO_TOKEN, f"{SF}.mapped_field_access.access": []}),
    # lead_contact_sync.required_lead_fields
    case("lead_contact_sync.required_lead_fields", "pass", "LastName and Company only"),
    case("lead_contact_sync.required_lead_fields", "fail", "a required custom field",
         {f"{SF}.lead_fields.10.nillable": False}),
    case("lead_contact_sync.required_lead_fields", "pass", "required but defaulted",
         {f"{SF}.lead_fields.10.nillable": False,
          f"{SF}.lead_fields.10.defaulted_on_create": True}),
    case("lead_contact_sync.required_lead_fields", "pass", "required and mapped towards it",
         {f"{SF}.lead_fields.10.nillable": False,
          f"{MAPPINGS}.1.direction": "intercom_to_salesforce"}),
    case("lead_contact_sync.required_lead_fields", "unknown", "describe unavailable",
         {f"{SF}.lead_fields": ITEM_UNAVAILABLE}),
    case("lead_contact_sync.required_lead_fields", "unknown", "mappings not attested",
         {MAPPINGS: DELETE}),
    # lead_contact_sync.duplicate_rules
    case("lead_contact_sync.duplicate_rules", "pass", "Lead and Contact"),
    case("lead_contact_sync.duplicate_rules", "fail", "Contact only",
         {f"{SF}.duplicate_rules": [{"object": "Contact", "name": "Contacts"}]}),
    case("lead_contact_sync.duplicate_rules", "fail", "none", {f"{SF}.duplicate_rules": []}),
    case("lead_contact_sync.duplicate_rules", "unknown", "rules unavailable",
         {f"{SF}.duplicate_rules": ITEM_UNAVAILABLE}),
    # lead_contact_sync.validation_rules_reviewed
    case("lead_contact_sync.validation_rules_reviewed", "pass", "none active"),
    case("lead_contact_sync.validation_rules_reviewed", "fail", "one on Task",
         {f"{SF}.validation_rules": [{"object": "Task", "name": "Subject_Required"}]}),
    case("lead_contact_sync.validation_rules_reviewed", "unknown", "rules unavailable",
         {f"{SF}.validation_rules": ITEM_UNAVAILABLE}),
    case("lead_contact_sync.validation_rules_reviewed", "unknown", "Salesforce skipped",
         {SF: SKIPPED}),
    # api_usage.limit_set
    case("api_usage.limit_set", "pass", "20000"),
    case("api_usage.limit_set", "fail", "explicit null", {LIMIT: None}),
    case("api_usage.limit_set", "unknown", "not attested", {LIMIT: DELETE}),
    case("api_usage.limit_set", "unknown", "section not attested", {f"{APP}.api_usage": DELETE}),
    case("api_usage.limit_set", "unknown", "no settings file", {"settings": None}),
    # api_usage.limit_recommended
    case("api_usage.limit_recommended", "pass", "20000"),
    case("api_usage.limit_recommended", "fail", "50000", {LIMIT: 50000}),
    case("api_usage.limit_recommended", "fail", "recommended=25000", params={"recommended": 25000}),
    case("api_usage.limit_recommended", "pass", "recommended=25000 and 25000",
         {LIMIT: 25000}, {"recommended": 25000}),
    case("api_usage.limit_recommended", "not_applicable", "null", {LIMIT: None}),
    case("api_usage.limit_recommended", "unknown", "not attested", {LIMIT: DELETE}),
    # api_usage.limit_within_org_allowance (daily_max 100000)
    case("api_usage.limit_within_org_allowance", "pass", "20000 of 100000"),
    case("api_usage.limit_within_org_allowance", "pass", "exactly half", {LIMIT: 50000}),
    case("api_usage.limit_within_org_allowance", "fail", "above half", {LIMIT: 50001}),
    case("api_usage.limit_within_org_allowance", "fail", "max_share=0.1",
         params={"max_share": 0.1}),
    case("api_usage.limit_within_org_allowance", "pass", "exact decimal share",
         {LIMIT: 29000}, {"max_share": 0.29}),
    case("api_usage.limit_within_org_allowance", "not_applicable", "null", {LIMIT: None}),
    case("api_usage.limit_within_org_allowance", "not_applicable", "null, no Salesforce",
         {LIMIT: None, SF: UNAVAILABLE}),
    case("api_usage.limit_within_org_allowance", "unknown", "allowance unavailable",
         {f"{SF}.api_allowance": ITEM_UNAVAILABLE}),
    case("api_usage.limit_within_org_allowance", "unknown", "Salesforce skipped", {SF: SKIPPED}),
    case("api_usage.limit_within_org_allowance", "unknown", "limit not attested",
         {LIMIT: DELETE}),
    # lead_contact_sync.email_identifier
    case("lead_contact_sync.email_identifier", "pass", "email"),
    case("lead_contact_sync.email_identifier", "fail", "user_id",
         {f"{APP}.lead_contact_sync.identifier": "user_id"}),
    case("lead_contact_sync.email_identifier", "unknown", "not attested",
         {f"{APP}.lead_contact_sync.identifier": DELETE}),
    case("lead_contact_sync.email_identifier", "unknown", "no settings file", {"settings": None}),
    # lead_contact_sync.two_way_mappings
    case("lead_contact_sync.two_way_mappings", "pass", "one-way mappings"),
    case("lead_contact_sync.two_way_mappings", "pass", "no mappings",
         {f"{APP}.lead_contact_sync.field_mappings": []}),
    case("lead_contact_sync.two_way_mappings", "fail", "one both-ways mapping",
         {f"{APP}.lead_contact_sync.field_mappings.1.direction": "both"}),
    case("lead_contact_sync.two_way_mappings", "unknown", "not attested",
         {f"{APP}.lead_contact_sync.field_mappings": DELETE}),
    # lead_contact_sync.duplicate_emails
    case("lead_contact_sync.duplicate_emails", "pass", "none shared"),
    case("lead_contact_sync.duplicate_emails", "fail", "Leads share",
         {f"{SF}.leads.duplicate_emails": duplicates(3, "jo@initech.example")}),
    case("lead_contact_sync.duplicate_emails", "fail", "Contacts share",
         {f"{SF}.contacts.duplicate_emails": duplicates(1, "ap@wayne.example")}),
    case("lead_contact_sync.duplicate_emails", "unknown", "Leads unavailable",
         {f"{SF}.leads": ITEM_UNAVAILABLE}),
    case("lead_contact_sync.duplicate_emails", "unknown", "Salesforce skipped", {SF: SKIPPED}),
    # lead_contact_sync.contacts_without_email (2.6% in the example)
    case("lead_contact_sync.contacts_without_email", "pass", "2.6%"),
    case("lead_contact_sync.contacts_without_email", "pass", "exactly max_share",
         {f"{IC}.contacts": contacts((100, 10), (0, 0))}),
    case("lead_contact_sync.contacts_without_email", "fail", "just above max_share",
         {f"{IC}.contacts": contacts((1000, 100), (1, 1))}),
    case("lead_contact_sync.contacts_without_email", "fail", "max_share=0.01",
         params={"max_share": 0.01}),
    case("lead_contact_sync.contacts_without_email", "not_applicable", "no contacts",
         {f"{IC}.contacts": contacts((0, 0), (0, 0))}),
    case("lead_contact_sync.contacts_without_email", "unknown", "Intercom skipped", {IC: SKIPPED}),
    case("lead_contact_sync.contacts_without_email", "unknown", "contacts unavailable",
         {f"{IC}.contacts": ITEM_UNAVAILABLE}),
    # cases.activities_enabled
    case("cases.activities_enabled", "pass", "on"),
    case("cases.activities_enabled", "fail", "off", {f"{CASES_APP}.create_activities": False}),
    case("cases.activities_enabled", "unknown", "not attested",
         {f"{CASES_APP}.create_activities": DELETE}),
    # cases.activities_flowing
    case("cases.activities_flowing", "pass", "1843 Tasks"),
    case("cases.activities_flowing", "pass", "one Task", {f"{ACTIVITY}.tasks_created": 1}),
    case("cases.activities_flowing", "fail", "no Task", {f"{ACTIVITY}.tasks_created": 0}),
    case("cases.activities_flowing", "not_applicable", "attested off",
         {f"{CASES_APP}.create_activities": False}),
    case("cases.activities_flowing", "not_applicable", "attested off, no Salesforce",
         {f"{CASES_APP}.create_activities": False, SF: UNAVAILABLE}),
    case("cases.activities_flowing", "unknown", "not attested",
         {f"{CASES_APP}.create_activities": DELETE}),
    case("cases.activities_flowing", "unknown", "no integration user",
         {**NO_TOKEN, f"{ACTIVITY}.tasks_created": 0}),
    case("cases.activities_flowing", "unknown", "activity unavailable",
         {ACTIVITY: ITEM_UNAVAILABLE}),
    case("cases.activities_flowing", "unknown", "window_days differs from collection",
         params={"window_days": 7}),
    case("cases.activities_flowing", "pass", "window_days matches collection",
         {f"{ACTIVITY}.window_days": 7, f"{ACTIVITY}.since": "2026-11-13T10:00:00Z"},
         {"window_days": 7}),
    # cases.case_owner
    case("cases.case_owner", "pass", "salesforce_configuration"),
    case("cases.case_owner", "fail", "other", {f"{CASES_APP}.case_owner": "other"}),
    case("cases.case_owner", "unknown", "not attested", {f"{CASES_APP}.case_owner": DELETE}),
    # cases.record_type
    case("cases.record_type", "pass", "no record types, custom form"),
    case("cases.record_type", "fail", "no record types, record type",
         {f"{CASES_APP}.record_type": "salesforce_record_type"}),
    case("cases.record_type", "not_applicable", "active record types",
         {f"{SF}.case_record_types": [{"id": "0125g000000AbCd", "name": "Support"}]}),
    case("cases.record_type", "not_applicable", "active record types, other setting",
         {f"{SF}.case_record_types": [{"id": "0125g000000AbCd", "name": "Support"}],
          f"{CASES_APP}.record_type": "salesforce_record_type"}),
    case("cases.record_type", "unknown", "record types unavailable",
         {f"{SF}.case_record_types": ITEM_UNAVAILABLE}),
    case("cases.record_type", "unknown", "not attested", {f"{CASES_APP}.record_type": DELETE}),
    # ownership.all_accounts
    case("ownership.all_accounts", "pass", "all_accounts"),
    case("ownership.all_accounts", "fail", "other", {f"{OWNERSHIP}.accounts_list": "other"}),
    case("ownership.all_accounts", "unknown", "not attested",
         {f"{OWNERSHIP}.accounts_list": DELETE}),
    # ownership.lead_creator_decided
    case("ownership.lead_creator_decided", "pass", "true"),
    case("ownership.lead_creator_decided", "pass", "false",
         {f"{OWNERSHIP}.respect_lead_creator": False}),
    case("ownership.lead_creator_decided", "fail", "null",
         {f"{OWNERSHIP}.respect_lead_creator": None}),
    case("ownership.lead_creator_decided", "unknown", "not attested",
         {f"{OWNERSHIP}.respect_lead_creator": DELETE}),
    # ownership.teammates_mapped: Jane and Omar match by email, Sam through a mapping
    case("ownership.teammates_mapped", "pass", "email or mapping"),
    case("ownership.teammates_mapped", "pass", "email in another case",
         {f"{TEAMMATES}.0.email": "JANE@Acme.Example"}),
    case("ownership.teammates_mapped", "pass", "no mappings needed",
         {f"{OWNERSHIP}.user_mappings": DELETE, f"{TEAMMATES}.2.has_inbox_seat": False}),
    case("ownership.teammates_mapped", "fail", "mapping not attested",
         {f"{OWNERSHIP}.user_mappings": DELETE}),
    case("ownership.teammates_mapped", "fail", "mapped to an inactive user",
         {f"{OWNERSHIP}.user_mappings.0.salesforce_username": "sam.old@acme.example.prod"}),
    case("ownership.teammates_mapped", "fail", "email matches only a username",
         {f"{TEAMMATES}.1.email": "omar@acme.example.prod"}),
    case("ownership.teammates_mapped", "fail", "teammate without email",
         {f"{TEAMMATES}.1.email": None}),
    case("ownership.teammates_mapped", "not_applicable", "no inbox seat",
         {f"{TEAMMATES}.{i}.has_inbox_seat": False for i in range(3)}),
    case("ownership.teammates_mapped", "not_applicable", "no teammates", {TEAMMATES: []}),
    case("ownership.teammates_mapped", "unknown", "teammates unavailable",
         {TEAMMATES: ITEM_UNAVAILABLE}),
    case("ownership.teammates_mapped", "unknown", "Salesforce users unavailable",
         {f"{SF}.active_users": ITEM_UNAVAILABLE}),
    case("ownership.teammates_mapped", "unknown", "Intercom skipped", {IC: SKIPPED}),
    # account_sync.disabled
    case("account_sync.disabled", "pass", "off"),
    case("account_sync.disabled", "fail", "on", {f"{APP}.account_sync.enabled": True}),
    case("account_sync.disabled", "unknown", "not attested", {f"{APP}.account_sync": DELETE}),
    # account_sync.no_account_writes
    case("account_sync.no_account_writes", "pass", "no Account"),
    case("account_sync.no_account_writes", "pass", "no settings file", {"settings": None}),
    case("account_sync.no_account_writes", "fail", "Accounts written",
         {f"{ACTIVITY}.accounts_created": 1}),
    case("account_sync.no_account_writes", "fail", "Accounts written, sync not attested",
         {f"{ACTIVITY}.accounts_created": 5, f"{APP}.account_sync": DELETE}),
    case("account_sync.no_account_writes", "unknown", "no integration user", NO_TOKEN),
    case("account_sync.no_account_writes", "unknown", "Salesforce unavailable", {SF: UNAVAILABLE}),
    case("account_sync.no_account_writes", "unknown", "window_days differs from collection",
         params={"window_days": 60}),
    # roi_reporting.skipped
    case("roi_reporting.skipped", "pass", "off"),
    case("roi_reporting.skipped", "fail", "on", {f"{APP}.roi_reporting.enabled": True}),
    case("roi_reporting.skipped", "unknown", "not attested",
         {f"{APP}.roi_reporting.enabled": DELETE}),
    # attestation.fresh, as of the snapshot's created_at
    case("attestation.fresh", "pass", "2 days old"),
    case("attestation.fresh", "pass", "exactly max_age_days old",
         {"settings.attested_at": "2026-08-22"}),
    case("attestation.fresh", "fail", "a day too old", {"settings.attested_at": "2026-08-21"}),
    case("attestation.fresh", "fail", "max_age_days=1", params={"max_age_days": 1}),
    case("attestation.fresh", "fail", "snapshot made much later",
         {"created_at": "2027-06-01T00:00:00Z"}),
    case("attestation.fresh", "unknown", "no attested_at", {"settings.attested_at": DELETE}),
    case("attestation.fresh", "unknown", "no settings file", {"settings": None}),
]


def evaluate_case(rule_id: str, changes: dict[str, Any], params: dict[str, Any]) -> Any:
    return run(rule_id, validated(changed(compliant_snapshot(), changes)), params)


@pytest.mark.parametrize(("rule_id", "changes", "params", "status"), CASES)
def test_rule_status(
    rule_id: str, changes: dict[str, Any], params: dict[str, Any], status: str
) -> None:
    finding = evaluate_case(rule_id, changes, params)
    assert (finding.status, finding.rule.id) == (status, rule_id), finding.message
    assert finding.message.strip()


NOT_APPLICABLE = {
    "connection.token_pairs",
    "lead_contact_sync.mapped_fields_writable",
    "api_usage.limit_recommended",
    "api_usage.limit_within_org_allowance",
    "lead_contact_sync.contacts_without_email",
    "cases.activities_flowing",
    "cases.record_type",
    "ownership.teammates_mapped",
}


def test_the_cases_cover_every_rule_and_status() -> None:
    covered: dict[str, set[str]] = defaultdict(set)
    for param in CASES:
        rule_id, _, _, status = param.values
        covered[rule_id].add(status)
    for rule_id in RULE_IDS:
        wanted = {"pass", "fail", "unknown"} | (
            {"not_applicable"} if rule_id in NOT_APPLICABLE else set())
        assert covered[rule_id] == wanted, rule_id


# --- unknown: what is missing, and how to supply it ---------------------------------------

UNKNOWN_KINDS = [
    pytest.param("api_usage.limit_set", {LIMIT: DELETE},
                 ["`intercom_salesforce_app.api_usage.limit` is not attested", "--settings"],
                 id="key not attested"),
    pytest.param("lead_contact_sync.email_identifier", {"settings": None},
                 ["No settings file was supplied", "--settings"], id="settings null"),
    pytest.param("lead_contact_sync.duplicate_emails", {SF: SKIPPED},
                 ["Salesforce collection was skipped (the user passed --skip)",
                  "auditor collect"], id="source skipped"),
    pytest.param("cases.record_type", {SF: UNAVAILABLE},
                 ["Salesforce could not be collected: 401 INVALID_SESSION_ID",
                  "auditor collect"], id="source unavailable"),
    pytest.param("connection.integration_user", {f"{SF}.intercom_tokens": ITEM_UNAVAILABLE},
                 ["`intercom_tokens` was unavailable: 403 INSUFFICIENT_ACCESS on OauthToken",
                  "grant the auditing user access"], id="item unavailable"),
    pytest.param("lead_contact_sync.contacts_without_email", {IC: SKIPPED},
                 ["Intercom collection was skipped", "INTERCOM_ACCESS_TOKEN"],
                 id="Intercom skipped"),
    *(pytest.param(rule_id, NO_TOKEN,
                   ["No integration user was observed", "To supply it"],
                   id=f"no integration user:{rule_id}")
      for rule_id in ("connection.admin_access_temporary", "cases.activities_flowing",
                      "account_sync.no_account_writes")),
]


@pytest.mark.parametrize(("rule_id", "changes", "fragments"), UNKNOWN_KINDS)
def test_unknown_says_what_is_missing_and_how_to_supply_it(
    rule_id: str, changes: dict[str, Any], fragments: list[str]
) -> None:
    finding = evaluate_case(rule_id, changes, {})
    assert finding.status == "unknown"
    for fragment in fragments:
        assert fragment in finding.message


def test_unknown_lists_every_missing_path() -> None:
    finding = evaluate_case("api_usage.limit_within_org_allowance",
                            {LIMIT: DELETE, SF: SKIPPED}, {})
    assert finding.status == "unknown"
    assert [m.path for m in finding.missing] == [LIMIT, f"{SF}.api_allowance.daily_max"]


@pytest.mark.parametrize(("rule_id", "collected", "wanted"), [
    ("cases.activities_flowing", 30, 7),
    ("account_sync.no_account_writes", 30, 60),
])
def test_window_mismatch_names_both_ways_out(rule_id: str, collected: int, wanted: int) -> None:
    message = evaluate_case(rule_id, {}, {"window_days": wanted}).message
    assert f"--window-days {wanted}" in message
    assert f"--param {rule_id}.window_days={collected}" in message


# --- parameters -------------------------------------------------------------------------


def test_an_override_changes_only_its_own_rule() -> None:
    params = resolve_params(list(rules()), {"api_usage.limit_recommended.recommended": 25000})
    assert params["api_usage.limit_recommended"] == {"recommended": 25000}
    defaults = resolve_params(list(rules()), {})
    assert {k: v for k, v in params.items() if k != "api_usage.limit_recommended"} == {
        k: v for k, v in defaults.items() if k != "api_usage.limit_recommended"}


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("api_usage.nope.recommended", 1, "there is no rule 'api_usage.nope'"),
    ("api_usage.limit_recommended.target", 1, "has no parameter 'target'"),
    ("api_usage.limit_within_org_allowance.max_share", 2, "at most 1"),
    ("cases.activities_flowing.window_days", 0, "a whole number from 1 to 36500"),
])
def test_a_bad_override_is_an_input_error(key: str, value: Any, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve_params(list(rules()), {key: value})
    assert fragment in str(caught.value)
    assert key.split(".")[-1] in str(caught.value)


# --- customer emails --------------------------------------------------------------------

RAW_EMAILS = ("maria.gomez@initech.example", "li.wei@hooli.example",
              "procurement@umbrella.example", "ap@wayne.example")


def exposed(finding: Any) -> str:
    """Everything a report shows of a finding, as text."""
    return json.dumps([finding.message, finding.evidence,
                       [p.as_dict() for p in finding.provenance],
                       [m.__dict__ for m in finding.missing]], default=str)


def test_duplicate_email_examples_are_masked_by_default() -> None:
    finding = run("lead_contact_sync.duplicate_emails", example("misconfigured"))
    assert finding.status == "fail"
    assert "23 email addresses shared by two or more unconverted Leads" in finding.message
    assert "4 email addresses shared by two or more Contacts" in finding.message
    assert "m***@initech.example (3 records)" in finding.message
    assert finding.evidence["contacts"] == {
        "emails_shared": 4, "examples": [{"email": "a***@wayne.example", "records": 2}]}


def test_duplicate_email_examples_are_shown_when_asked() -> None:
    finding = run("lead_contact_sync.duplicate_emails", example("misconfigured"),
                  show_emails=True)
    assert "maria.gomez@initech.example (3 records)" in finding.message
    assert [e["email"] for e in finding.evidence["leads"]["examples"]] == list(RAW_EMAILS[:3])


def test_no_raw_customer_email_in_any_finding_by_default() -> None:
    snapshot = example("misconfigured")
    leads = snapshot["salesforce"]["leads"]["duplicate_emails"]["examples"]
    contacts_ = snapshot["salesforce"]["contacts"]["duplicate_emails"]["examples"]
    assert {e["email"] for e in leads + contacts_} == set(RAW_EMAILS)
    findings = run_all(snapshot)
    assert len(findings) == len(RULE_IDS)
    for finding in findings:
        text = exposed(finding)
        assert not [email for email in RAW_EMAILS if email in text], finding.rule.id


# --- time -------------------------------------------------------------------------------


def test_ages_count_from_the_snapshot_not_the_clock() -> None:
    # Evaluating the same snapshot years later changes nothing: findings are as of
    # created_at, so a saved snapshot can be re-audited at any time.
    with time_machine.travel(datetime(2040, 1, 1, tzinfo=UTC), tick=False):
        later = {f.rule.id: f.status for f in run_all(compliant_snapshot())}
    assert later == dict.fromkeys(RULE_IDS, "pass")
    finding = run("attestation.fresh", compliant_snapshot())
    assert finding.evidence == {"attested_at": "2026-11-18", "age_days": 2, "max_age_days": 90}


# --- basis and provenance ---------------------------------------------------------------

ATTESTED_LIMIT = Provenance(
    kind="attested", source="settings", path="intercom_salesforce_app.api_usage.limit",
    by="jane@acme.example", at="2026-11-18", file="examples/settings.yaml")
OBSERVED_ALLOWANCE = Provenance(
    kind="observed", source="salesforce", path="api_allowance.daily_max",
    at="2026-11-20T10:00:02Z")


@pytest.mark.parametrize(("rule_id", "changes", "basis", "provenance"), [
    ("api_usage.limit_set", {}, "attested", [ATTESTED_LIMIT]),
    ("lead_contact_sync.contacts_without_email", {}, "observed",
     [Provenance(kind="observed", source="intercom", path="contacts",
                 at="2026-11-20T10:00:01Z")]),
    ("api_usage.limit_within_org_allowance", {}, "attested+observed",
     [ATTESTED_LIMIT, OBSERVED_ALLOWANCE]),
    # An unknown finding still names what it would rest on, and only what was found.
    ("api_usage.limit_within_org_allowance", {SF: UNAVAILABLE}, "attested+observed",
     [ATTESTED_LIMIT]),
    # An optional attested read shows in the basis only when it was found.
    ("account_sync.no_account_writes", {"settings": None}, "observed", [
        Provenance(kind="observed", source="salesforce", path=p, at="2026-11-20T10:00:02Z")
        for p in ("integration_users", "integration_activity")]),
])
def test_basis_and_provenance(
    rule_id: str, changes: dict[str, Any], basis: str, provenance: list[Provenance]
) -> None:
    finding = evaluate_case(rule_id, changes, {})
    assert finding.basis == basis
    assert list(finding.provenance) == provenance


def test_every_finding_names_its_evidence() -> None:
    for finding in run_all(compliant_snapshot()):
        assert finding.provenance, finding.rule.id
        for p in finding.provenance:
            if p.kind == "attested":
                assert (p.by, p.at, p.file) == (
                    "jane@acme.example", "2026-11-18", "examples/settings.yaml")
            else:
                assert p.kind == "observed"
                assert p.source in ("salesforce", "intercom")
                assert p.at is not None and p.at.startswith("2026-11-20T10:00:0")
