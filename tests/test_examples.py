"""The exact status of every rule on each shipped example (the issue's acceptance test)."""

from __future__ import annotations

import pytest

from tests.snapshots import RULE_IDS, example, rules, statuses

ALL_PASS = dict.fromkeys(RULE_IDS, "pass")

EXPECTED: dict[str, dict[str, str]] = {
    "compliant": ALL_PASS,
    "misconfigured": {
        "connection.integration_user": "pass",
        "connection.admin_access_temporary": "fail",  # System Administrator + Modify All Data
        "connection.integration_user_usable": "pass",
        "connection.token_pairs": "pass",  # one token
        "api_usage.limit_set": "fail",  # limit: null
        "api_usage.limit_recommended": "not_applicable",
        "api_usage.limit_within_org_allowance": "not_applicable",
        "lead_contact_sync.email_identifier": "fail",  # user_id
        "lead_contact_sync.two_way_mappings": "fail",  # name, phone both ways
        "lead_contact_sync.mapped_fields_writable": "fail",  # no edit on Lead.Phone
        "lead_contact_sync.required_lead_fields": "fail",  # Region__c
        "lead_contact_sync.duplicate_emails": "fail",  # 23 Lead and 4 Contact addresses
        "lead_contact_sync.duplicate_rules": "fail",  # none active on Lead
        "lead_contact_sync.contacts_without_email": "fail",  # 29%
        "lead_contact_sync.validation_rules_reviewed": "fail",  # one on Lead, one on Task
        "cases.activities_enabled": "pass",
        "cases.activities_flowing": "fail",  # attested on, 0 Tasks
        "cases.case_owner": "fail",
        "cases.record_type": "fail",  # no record types, yet salesforce_record_type
        "ownership.all_accounts": "fail",
        "ownership.lead_creator_decided": "fail",  # null
        "ownership.teammates_mapped": "fail",  # Sam (no mapping) and Priya
        "account_sync.disabled": "pass",
        "account_sync.no_account_writes": "fail",  # 37 Accounts though attested off
        "roi_reporting.skipped": "fail",
        "attestation.fresh": "fail",  # 200 days old
    },
    # Salesforce is unavailable as a whole: every rule that reads it is unknown; the
    # attested-only and Intercom-only rules still give their answer.
    "partial": {
        **ALL_PASS,
        "connection.integration_user": "unknown",
        "connection.admin_access_temporary": "unknown",
        "connection.integration_user_usable": "unknown",
        "connection.token_pairs": "unknown",
        "api_usage.limit_within_org_allowance": "unknown",
        "lead_contact_sync.mapped_fields_writable": "unknown",
        "lead_contact_sync.required_lead_fields": "unknown",
        "lead_contact_sync.duplicate_emails": "unknown",
        "lead_contact_sync.duplicate_rules": "unknown",
        "lead_contact_sync.validation_rules_reviewed": "unknown",
        "cases.activities_flowing": "unknown",
        "cases.record_type": "unknown",
        "ownership.teammates_mapped": "unknown",
        "account_sync.no_account_writes": "unknown",
    },
}


def test_the_catalogue_is_the_issues_twenty_rules_and_issue_18s_six() -> None:
    assert sorted(RULE_IDS) == sorted(EXPECTED["misconfigured"])
    assert len(RULE_IDS) == 20 + 6


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_rule_on_each_example(name: str) -> None:
    assert statuses(example(name)) == EXPECTED[name]


def test_partial_unknowns_are_exactly_the_rules_that_read_salesforce() -> None:
    reads_salesforce = {
        r.id for r in rules()
        if any(read.path.startswith("salesforce.") and not read.optional
               for read in r.reads.values())
    }
    unknown = {rule_id for rule_id, status in EXPECTED["partial"].items() if status == "unknown"}
    assert unknown == reads_salesforce


def test_the_new_steps_sit_where_they_belong_in_the_guides_order() -> None:
    in_section = {section: [r.id for r in rules() if r.section == section]
                  for section in ("connection", "lead_contact_sync")}
    # Connect, drop the admin rights, then make sure the user can sign in and keep its token.
    assert in_section["connection"] == [
        "connection.integration_user", "connection.admin_access_temporary",
        "connection.integration_user_usable", "connection.token_pairs"]
    # The identifier, the field mappings and what they need, then the data's quality.
    assert in_section["lead_contact_sync"] == [
        "lead_contact_sync.email_identifier", "lead_contact_sync.two_way_mappings",
        "lead_contact_sync.mapped_fields_writable", "lead_contact_sync.required_lead_fields",
        "lead_contact_sync.duplicate_emails", "lead_contact_sync.duplicate_rules",
        "lead_contact_sync.contacts_without_email",
        "lead_contact_sync.validation_rules_reviewed"]
