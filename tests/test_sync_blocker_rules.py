"""The rules of what breaks a sync (issue 18), each through the Salesforce emulator.

Every test collects from an emulated org, builds a snapshot with the settings it
attests, and asserts the finding's status and exactly which users, fields, objects or
rules it names, as Checkov's per-check tests do.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from auditor.documents.snapshot import new_snapshot, skipped
from auditor.engine.evaluate import Finding
from tests.salesforce_lab import INTEGRATION_USER, SalesforceLab, sf_datetime
from tests.snapshots import example, run, validated

pytest_plugins = ("tests.salesforce_fixtures",)

USER = "intercom@acme.example"
MAPPINGS = [{"intercom": "job_title", "salesforce": "Title", "direction": "intercom_to_salesforce"},
            {"intercom": "phone", "salesforce": "Phone", "direction": "intercom_to_salesforce"}]
NOT_ATTESTED: Any = None


def audited(lab: SalesforceLab, rule_id: str, mappings: list[dict[str, str]] | None = MAPPINGS,
            *, collected_for: list[dict[str, str]] | None = None,
            params: dict[str, Any] | None = None) -> Finding:
    """Collect from the emulated org for `collected_for` (the settings' own mappings by
    default), then evaluate one rule with `mappings` attested (None: not attested)."""
    source = mappings if collected_for is None else collected_for
    fields = None if source is None else tuple(m["salesforce"] for m in source)
    section = lab.collect(mapped_fields=fields)
    settings = copy.deepcopy(example("compliant")["settings"])
    sync = settings["intercom_salesforce_app"]["lead_contact_sync"]
    if mappings is None:
        del sync["field_mappings"]
    else:
        sync["field_mappings"] = mappings
    snapshot = validated(new_snapshot(settings=settings, salesforce=section,
                                      intercom=skipped("turned off with --no-intercom")))
    return run(rule_id, snapshot, params)


def rows(lab: SalesforceLab, table: str) -> list[dict[str, Any]]:
    return lab.scenario.tables[table]  # type: ignore[return-value]


def login_of(lab: SalesforceLab, user_id: str) -> dict[str, Any]:
    return next(r for r in rows(lab, "UserLogin") if r["UserId"] == user_id)


# --- connection.integration_user_usable --------------------------------------------------

USABLE = "connection.integration_user_usable"


def test_usable_passes_for_an_active_user_who_can_sign_in(lab: SalesforceLab) -> None:
    finding = audited(lab, USABLE)
    assert (finding.status, finding.message) == (
        "pass", f"Every integration user is active, not frozen and not locked out ({USER}).")
    assert finding.evidence["users"] == [{"username": USER, "is_active": True, "is_frozen": False,
                                          "is_password_locked": False}]


def test_usable_fails_naming_a_frozen_and_locked_out_user(lab: SalesforceLab) -> None:
    login_of(lab, INTEGRATION_USER).update(IsFrozen=True, IsPasswordLocked=True)
    finding = audited(lab, USABLE)
    assert finding.status == "fail"
    assert finding.message.startswith("Intercom cannot sync as these integration users: "
                                      f"{USER} (frozen, locked out by failed logins).")


def test_usable_fails_naming_an_inactive_user(lab: SalesforceLab) -> None:
    user = next(u for u in rows(lab, "User") if u["Id"] == INTEGRATION_USER)
    user["IsActive"] = False
    finding = audited(lab, USABLE)
    assert finding.status == "fail"
    assert f": {USER} (inactive)." in finding.message


def test_usable_is_unknown_when_salesforce_shows_no_login_record(lab: SalesforceLab) -> None:
    lab.scenario.tables["UserLogin"] = [r for r in rows(lab, "UserLogin")
                                        if r["UserId"] != INTEGRATION_USER]
    finding = audited(lab, USABLE)
    assert finding.status == "unknown"
    assert f"no login record (UserLogin) for {USER}." in finding.message


# --- connection.token_pairs ---------------------------------------------------------------

TOKENS = "connection.token_pairs"


def add_tokens(lab: SalesforceLab, count: int) -> None:
    tokens = rows(lab, "OauthToken")
    for n in range(count):
        tokens.append({"Id": f"0CQ{n:012d}ZZZ", "AppName": "Intercom", "UserId": INTEGRATION_USER,
                       "LastUsedDate": sf_datetime(40 + n), "UseCount": 1})


def test_token_pairs_pass_under_the_limit(lab: SalesforceLab) -> None:
    finding = audited(lab, TOKENS)
    # 'Intercom' and 'intercom-legacy': both apps are named like Intercom.
    assert (finding.status, finding.message) == (
        "pass", f"{USER} holds 2 Intercom OAuth tokens, at most 4 each.")


def test_token_pairs_fail_with_the_count(lab: SalesforceLab) -> None:
    add_tokens(lab, 3)
    finding = audited(lab, TOKENS)
    assert finding.status == "fail"
    assert finding.message.startswith(f"{USER} holds 5 Intercom OAuth tokens (more than 4): ")
    assert "the next authorisation silently revokes the oldest token" in finding.message
    assert finding.evidence["tokens_per_user"] == [{"user": USER, "tokens": 5}]


def test_token_pairs_follow_max_tokens(lab: SalesforceLab) -> None:
    finding = audited(lab, TOKENS, params={"max_tokens": 1})
    assert finding.status == "fail"
    assert finding.message.startswith(f"{USER} holds 2 Intercom OAuth tokens (more than 1)")


def test_token_pairs_do_not_apply_without_a_token(lab: SalesforceLab) -> None:
    lab.scenario.tables["OauthToken"] = [t for t in rows(lab, "OauthToken")
                                         if "intercom" not in t["AppName"].lower()]
    finding = audited(lab, TOKENS)
    assert finding.status == "not_applicable"


# --- lead_contact_sync.mapped_fields_writable ---------------------------------------------

WRITABLE = "lead_contact_sync.mapped_fields_writable"


def drop_grant(lab: SalesforceLab, permission_set: str, field: str) -> None:
    lab.scenario.tables["FieldPermissions"] = [
        r for r in rows(lab, "FieldPermissions")
        if not (r["ParentId"] == permission_set and r["Field"] == field)]


def test_writable_passes_with_grants_from_the_profile_and_a_permission_set(
        lab: SalesforceLab) -> None:
    # Title comes from the profile's own permission set, Lead.Phone from Sales_Tools.
    finding = audited(lab, WRITABLE)
    assert (finding.status, finding.message) == (
        "pass", "The integration user can edit every field Intercom writes and read every "
                "field it reads (4 fields on Lead and Contact).")


def test_writable_fails_naming_field_object_and_access(lab: SalesforceLab) -> None:
    drop_grant(lab, "0PS000000000004AAA", "Lead.Phone")  # Sales_Tools: edit on Lead.Phone
    finding = audited(lab, WRITABLE)
    assert finding.status == "fail"
    assert finding.evidence["problems"] == [
        {"field": "Phone", "object": "Lead", "missing": "edit", "user": USER}]
    assert f"Lead.Phone (no edit access for {USER})." in finding.message


def test_writable_ignores_grants_to_other_users(lab: SalesforceLab) -> None:
    # The admin's profile set still grants Lead.Title; the integration user's does not.
    drop_grant(lab, "0PS000000000002AAA", "Lead.Title")
    finding = audited(lab, WRITABLE)
    assert finding.status == "fail"
    assert [p["object"] + "." + p["field"] for p in finding.evidence["problems"]] == [
        "Lead.Title"]


def test_writable_needs_only_read_for_fields_synced_to_intercom(lab: SalesforceLab) -> None:
    drop_grant(lab, "0PS000000000004AAA", "Lead.Phone")  # read stays, from the profile
    mappings = [{"intercom": "phone", "salesforce": "Phone", "direction": "salesforce_to_intercom"}]
    assert audited(lab, WRITABLE, mappings).status == "pass"
    drop_grant(lab, "0PS000000000002AAA", "Lead.Phone")  # no read left
    finding = audited(lab, WRITABLE, mappings)
    assert finding.evidence["problems"] == [
        {"field": "Phone", "object": "Lead", "missing": "read", "user": USER}]


def test_writable_counts_ungoverned_fields_as_granted_and_flags_missing_ones(
        lab: SalesforceLab) -> None:
    mappings = [{"intercom": "name", "salesforce": "LastName", "direction": "both"},
                {"intercom": "plan", "salesforce": "Plan__c", "direction": "both"}]
    finding = audited(lab, WRITABLE, mappings)
    assert finding.status == "fail"
    assert finding.evidence["problems"] == [
        {"field": "Plan__c", "object": "Lead or Contact", "missing": "the field does not exist",
         "user": ""}]
    assert "Plan__c (on neither Lead nor Contact)" in finding.message


def test_writable_does_not_apply_without_mappings(lab: SalesforceLab) -> None:
    finding = audited(lab, WRITABLE, [])
    assert (finding.status, finding.message) == (
        "not_applicable", "No field mapping is attested, so no field needs access.")


def test_writable_is_unknown_when_mappings_are_not_attested(lab: SalesforceLab) -> None:
    finding = audited(lab, WRITABLE, NOT_ATTESTED)
    assert finding.status == "unknown"
    assert "field_mappings" in finding.message


def test_writable_is_unknown_for_fields_collected_for_other_mappings(lab: SalesforceLab) -> None:
    finding = audited(lab, WRITABLE, collected_for=MAPPINGS[:1])
    assert finding.status == "unknown"
    assert "and not for Lead.Phone, Contact.Phone." in finding.message


def test_writable_reads_only_the_integration_users_sets_and_the_mapped_fields(
        lab: SalesforceLab) -> None:
    lab.collect(mapped_fields=("Title",))
    soql = [url for url in lab.emulator.org.query_urls if "FieldPermissions" in url]
    assert len(soql) == 1
    assert f"AssigneeId+IN+%28%27{INTEGRATION_USER}%27%29" in soql[0]
    assert "Field+IN+%28%27Lead.Title%27%2C+%27Contact.Title%27%29" in soql[0]


# --- lead_contact_sync.required_lead_fields ----------------------------------------------

REQUIRED = "lead_contact_sync.required_lead_fields"


def require(lab: SalesforceLab, name: str, **flags: bool) -> None:
    lab.scenario.describes["Lead"].append(
        {"name": name, "createable": True, "nillable": False, "defaultedOnCreate": False,
         "permissionable": True, **flags})


def test_required_passes_when_intercom_fills_every_required_field(lab: SalesforceLab) -> None:
    finding = audited(lab, REQUIRED)
    assert (finding.status, finding.message) == (
        "pass", "Every Lead field required on create is filled (LastName, Company).")


def test_required_fails_listing_unfilled_fields(lab: SalesforceLab) -> None:
    require(lab, "Region__c")
    require(lab, "Tier__c", defaultedOnCreate=True)  # has a default: fine
    require(lab, "Score__c", createable=False)  # not set on create: fine
    finding = audited(lab, REQUIRED)
    assert finding.status == "fail"
    assert finding.evidence["unfilled"] == ["Region__c"]
    assert "does not fill: Region__c." in finding.message


def test_required_passes_when_a_mapping_writes_the_field(lab: SalesforceLab) -> None:
    require(lab, "Region__c")
    towards = {"intercom": "region", "salesforce": "region__c"}
    assert audited(lab, REQUIRED, [{**towards, "direction": "intercom_to_salesforce"}]
                   ).status == "pass"
    assert audited(lab, REQUIRED, [{**towards, "direction": "salesforce_to_intercom"}]
                   ).status == "fail"


def test_required_is_unknown_without_the_lead_describe(lab: SalesforceLab) -> None:
    lab.scenario.denied["Lead"] = (403, "INSUFFICIENT_ACCESS", "insufficient access rights")
    finding = audited(lab, REQUIRED)
    assert finding.status == "unknown"
    assert "403 INSUFFICIENT_ACCESS on Lead" in finding.message


def test_required_is_unknown_when_mappings_are_not_attested(lab: SalesforceLab) -> None:
    assert audited(lab, REQUIRED, NOT_ATTESTED).status == "unknown"


# --- lead_contact_sync.duplicate_rules ----------------------------------------------------

DUPLICATES = "lead_contact_sync.duplicate_rules"


def test_duplicate_rules_pass_naming_the_active_rules(lab: SalesforceLab) -> None:
    finding = audited(lab, DUPLICATES)
    assert (finding.status, finding.message) == (
        "pass", "Lead and Contact each have an active duplicate rule: Lead: Standard Lead "
                "Duplicate Rule, Contact: Standard Contact Duplicate Rule.")


@pytest.mark.parametrize(("inactive", "named"), [
    (("Lead",), "Lead"), (("Lead", "Contact"), "Lead or Contact")])
def test_duplicate_rules_fail_naming_the_objects_without_one(
        lab: SalesforceLab, inactive: tuple[str, ...], named: str) -> None:
    for rule in rows(lab, "DuplicateRule"):
        if rule["SobjectType"] in inactive:
            rule["IsActive"] = False
    finding = audited(lab, DUPLICATES)
    assert finding.status == "fail"
    assert finding.message.startswith(f"No active duplicate rule on {named}:")
    assert finding.evidence["objects_without_one"] == list(inactive)


# --- lead_contact_sync.validation_rules_reviewed ------------------------------------------

VALIDATION = "lead_contact_sync.validation_rules_reviewed"


def test_validation_rules_are_listed_by_object(lab: SalesforceLab) -> None:
    rows(lab, "ValidationRule").append(
        {"Id": "03d000000000009AAA", "ValidationName": "Case_Reason_Required", "Active": True,
         "EntityDefinitionId": "Case", "ErrorMessage": "Pick a reason."})
    finding = audited(lab, VALIDATION)
    # The active rule on Account is not one Intercom meets; the inactive one is not listed.
    assert (finding.status, finding.message) == (
        "fail", "2 active validation rules to review, any of which can reject what Intercom "
                "writes: Lead: Lead_Source_Required; Case: Case_Reason_Required.")
    assert finding.evidence["active_rules"] == [
        {"object": "Lead", "name": "Lead_Source_Required"},
        {"object": "Case", "name": "Case_Reason_Required"}]


def test_validation_rules_pass_when_none_is_active(lab: SalesforceLab) -> None:
    for rule in rows(lab, "ValidationRule"):
        rule["Active"] = False
    finding = audited(lab, VALIDATION)
    assert (finding.status, finding.message) == (
        "pass", "No active validation rule on Lead, Contact, Task or Case.")


def test_validation_rules_are_unknown_when_the_tooling_api_refuses(lab: SalesforceLab) -> None:
    lab.scenario.denied["ValidationRule"] = (403, "INSUFFICIENT_ACCESS", "no access")
    finding = audited(lab, VALIDATION)
    assert finding.status == "unknown"
    assert ("403 INSUFFICIENT_ACCESS: no access (querying ValidationRule through the Tooling "
            "API)") in finding.message


# --- unknown, naming the permission to grant -----------------------------------------------

@pytest.mark.parametrize(("rule_id", "permission", "named"), [
    (USABLE, "ManageUsers", "the auditing user lacks the Manage Users permission; UserLogin "
                            "is readable only with it"),
    (TOKENS, "CustomizeApplication", "lacks the Customize Application permission"),
    (WRITABLE, "ViewSetup", "lacks the View Setup and Configuration permission"),
    (DUPLICATES, "ViewSetup", "lacks the View Setup and Configuration permission"),
    (VALIDATION, "ViewSetup", "lacks the View Setup and Configuration permission"),
])
def test_a_missing_permission_leaves_only_its_rules_unknown_and_names_it(
        lab: SalesforceLab, rule_id: str, permission: str, named: str) -> None:
    lab.scenario.permissions[permission] = False
    finding = audited(lab, rule_id)
    assert finding.status == "unknown"
    assert named in finding.message
    # The rules that do not rest on that permission still answer.
    assert audited(lab, REQUIRED).status == "pass"
