"""Helpers for the Salesforce collector tests: a typical org, and driving the emulator.

The pytest fixtures that start the emulator are in tests/salesforce_fixtures.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, overload

from auditor.collect import UserKeys
from auditor.collect.salesforce.api import RetryPolicy
from auditor.collect.salesforce.collector import SalesforceOptions, collect_salesforce
from auditor.documents.snapshot import new_snapshot, skipped
from auditor.documents.validation import validator_for
from tests.emulators.salesforce import Emulator, Exchange, Scenario

INTEGRATION_USER = "005000000000002AAA"


def sf_datetime(days_ago: float) -> str:
    """A moment relative to now, written the way Salesforce writes datetimes."""
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _ids(prefix: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"Id": f"{prefix}{n:012d}AAA", **row} for n, row in enumerate(rows, start=1)]


def typical_tables() -> dict[str, list[dict[str, Any]]]:
    """An org with an Intercom connection whose user kept Modify All Data through a
    permission set, duplicate Lead and Contact emails, Case record types and Intercom's
    package; the System Administrator (admin@acme.example) is the auditing user. The
    integration user can log in, may edit Title and Phone on Leads and Contacts (Phone on
    Leads only through the Sales_Tools permission set), Leads and Contacts have an active
    duplicate rule each, and one active validation rule checks Leads."""
    admin, intercom, sam = "005000000000001AAA", INTEGRATION_USER, "005000000000003AAA"
    return {
        "Organization": [{"Id": "00D000000000001AAA", "Name": "Acme Inc",
                          "OrganizationType": "Enterprise Edition", "IsSandbox": False,
                          "InstanceName": "NA224"}],
        "Profile": [
            {"Id": "00e000000000001AAA", "Name": "System Administrator",
             "PermissionsModifyAllData": True},
            {"Id": "00e000000000002AAA", "Name": "Standard User",
             "PermissionsModifyAllData": False},
        ],
        "PermissionSet": [
            {"Id": "0PS000000000001AAA", "Name": "X00ex000000001", "Label": "admin profile",
             "IsOwnedByProfile": True, "ProfileId": "00e000000000001AAA",
             "PermissionsModifyAllData": True},
            {"Id": "0PS000000000002AAA", "Name": "X00ex000000002", "Label": "user profile",
             "IsOwnedByProfile": True, "ProfileId": "00e000000000002AAA",
             "PermissionsModifyAllData": False},
            {"Id": "0PS000000000003AAA", "Name": "Intercom_Admin_Access", "Label": "Intercom",
             "IsOwnedByProfile": False, "ProfileId": None, "PermissionsModifyAllData": True},
            {"Id": "0PS000000000004AAA", "Name": "Sales_Tools", "Label": "Sales tools",
             "IsOwnedByProfile": False, "ProfileId": None, "PermissionsModifyAllData": False},
        ],
        "User": [
            {"Id": admin, "Username": "admin@acme.example", "Email": "admin@acme.example",
             "IsActive": True, "UserType": "Standard", "ProfileId": "00e000000000001AAA"},
            {"Id": intercom, "Username": "intercom@acme.example",
             "Email": "intercom@acme.example", "IsActive": True, "UserType": "Standard",
             "ProfileId": "00e000000000002AAA"},
            {"Id": sam, "Username": "sam.lee@acme.example.prod", "Email": "sam@acme.example",
             "IsActive": True, "UserType": "Standard", "ProfileId": "00e000000000002AAA"},
            {"Id": "005000000000004AAA", "Username": "gone@acme.example",
             "Email": "gone@acme.example", "IsActive": False, "UserType": "Standard",
             "ProfileId": "00e000000000002AAA"},
            {"Id": "005000000000005AAA", "Username": "autoproc@00d.example", "Email": None,
             "IsActive": True, "UserType": "AutomatedProcess", "ProfileId": None},
        ],
        "PermissionSetAssignment": _ids("0Pa", [
            {"AssigneeId": admin, "PermissionSetId": "0PS000000000001AAA"},
            {"AssigneeId": intercom, "PermissionSetId": "0PS000000000002AAA"},
            {"AssigneeId": intercom, "PermissionSetId": "0PS000000000003AAA"},
            {"AssigneeId": intercom, "PermissionSetId": "0PS000000000004AAA"},
            {"AssigneeId": sam, "PermissionSetId": "0PS000000000002AAA"},
        ]),
        "OauthToken": _ids("0CQ", [
            {"AppName": "Intercom", "UserId": intercom, "LastUsedDate": sf_datetime(2),
             "UseCount": 812},
            {"AppName": "intercom-legacy", "UserId": intercom, "LastUsedDate": None,
             "UseCount": 0},
            {"AppName": "Salesforce for Outlook", "UserId": admin,
             "LastUsedDate": sf_datetime(1), "UseCount": 40},
        ]),
        "Task": _ids("00T", [
            *({"Subject": "Intercom conversation", "CreatedById": intercom,
               "CreatedDate": sf_datetime(d)} for d in (1, 5, 29)),
            {"Subject": "Old conversation", "CreatedById": intercom,
             "CreatedDate": sf_datetime(45)},
            {"Subject": "Call", "CreatedById": admin, "CreatedDate": sf_datetime(3)},
        ]),
        "Account": _ids("001", [
            {"Name": "Globex", "CreatedById": intercom, "CreatedDate": sf_datetime(10)},
            {"Name": "Initech", "CreatedById": admin, "CreatedDate": sf_datetime(10)},
        ]),
        "Lead": _ids("00Q", [
            {"Email": "jo@globex.example", "IsConverted": False},
            {"Email": "jo@globex.example", "IsConverted": False},
            {"Email": "Jo@Globex.example", "IsConverted": False},  # same address, any case
            {"Email": "kim@initech.example", "IsConverted": False},
            {"Email": "kim@initech.example", "IsConverted": True},  # converted: not a duplicate
            {"Email": "lee@hooli.example", "IsConverted": False},
            {"Email": "lee@hooli.example", "IsConverted": False},
            {"Email": None, "IsConverted": False},
            {"Email": None, "IsConverted": False},
        ]),
        "Contact": _ids("003", [
            {"Email": "pat@globex.example"},
            {"Email": "pat@globex.example"},
            {"Email": "ray@initech.example"},
            {"Email": None},
        ]),
        "RecordType": _ids("012", [
            {"Name": "Support", "DeveloperName": "Support", "SobjectType": "Case",
             "IsActive": True},
            {"Name": "Billing", "DeveloperName": "Billing", "SobjectType": "Case",
             "IsActive": True},
            {"Name": "Old", "DeveloperName": "Old", "SobjectType": "Case", "IsActive": False},
            {"Name": "Partner", "DeveloperName": "Partner", "SobjectType": "Account",
             "IsActive": True},
        ]),
        "UserLogin": _ids("060", [
            {"UserId": user, "IsFrozen": False, "IsPasswordLocked": False}
            for user in (admin, intercom, sam)]),
        "FieldPermissions": _ids("01k", [
            *({"ParentId": "0PS000000000002AAA", "SobjectType": sobject,
               "Field": f"{sobject}.Title", "PermissionsRead": True, "PermissionsEdit": True}
              for sobject in ("Lead", "Contact")),
            {"ParentId": "0PS000000000002AAA", "SobjectType": "Lead", "Field": "Lead.Phone",
             "PermissionsRead": True, "PermissionsEdit": False},
            {"ParentId": "0PS000000000002AAA", "SobjectType": "Contact",
             "Field": "Contact.Phone", "PermissionsRead": True, "PermissionsEdit": True},
            {"ParentId": "0PS000000000004AAA", "SobjectType": "Lead", "Field": "Lead.Phone",
             "PermissionsRead": True, "PermissionsEdit": True},
            # Another permission set, held by nobody the audit asks about.
            {"ParentId": "0PS000000000001AAA", "SobjectType": "Lead", "Field": "Lead.Title",
             "PermissionsRead": True, "PermissionsEdit": True},
        ]),
        "DuplicateRule": _ids("0Bm", [
            {"DeveloperName": "Standard_Lead_Duplicate_Rule",
             "MasterLabel": "Standard Lead Duplicate Rule", "SobjectType": "Lead",
             "IsActive": True},
            {"DeveloperName": "Standard_Contact_Duplicate_Rule",
             "MasterLabel": "Standard Contact Duplicate Rule", "SobjectType": "Contact",
             "IsActive": True},
            {"DeveloperName": "Old_Contact_Rule", "MasterLabel": "Old Contact Rule",
             "SobjectType": "Contact", "IsActive": False},
        ]),
        "EntityDefinition": [{"Id": name, "QualifiedApiName": name}
                             for name in ("Lead", "Contact", "Task", "Case", "Account")],
        "ValidationRule": _ids("03d", [
            {"ValidationName": "Lead_Source_Required", "Active": True,
             "EntityDefinitionId": "Lead", "ErrorMessage": "Pick a lead source."},
            {"ValidationName": "Contact_Phone_Format", "Active": False,
             "EntityDefinitionId": "Contact", "ErrorMessage": "Phone as +1 555 0100."},
            {"ValidationName": "Account_Region_Required", "Active": True,
             "EntityDefinitionId": "Account", "ErrorMessage": "Pick a region."},
        ]),
        "PackageLicense": _ids("050", [
            {"NamespacePrefix": "intercom", "Status": "Free", "AllowedLicenses": -1,
             "UsedLicenses": 0, "ExpirationDate": None},
            {"NamespacePrefix": "dsfs", "Status": "Active", "AllowedLicenses": 50,
             "UsedLicenses": 12, "ExpirationDate": None},
        ]),
    }


# The Salesforce fields the settings' field mappings name, by default.
MAPPED_FIELDS = ("Title", "Phone")
# What Intercom's teammates and the settings' user_mappings name in the typical org.
TEAMMATES = UserKeys(emails=frozenset({"admin@acme.example", "sam@acme.example",
                                       "nobody@acme.example"}),
                     usernames=frozenset())


class ManyUsers(Sequence[dict[str, Any]]):
    """A User table of `known` users and then `extra` made-up active ones, each made as it
    is read, so that an org of 50,000 users costs no memory to hold."""

    def __init__(self, known: list[dict[str, Any]], extra: int) -> None:
        self.known = known
        self.extra = extra

    def __len__(self) -> int:
        return len(self.known) + self.extra

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index < len(self.known):
            return self.known[index]
        n = index - len(self.known)
        return {"Id": f"005{n:012d}ZZZ", "Username": f"user{n}@acme.example",
                "Email": f"user{n}@acme.example", "IsActive": True, "UserType": "Standard",
                "ProfileId": "00e000000000002AAA"}


def critical_path(exchanges: Sequence[Exchange]) -> int:
    """The longest chain of requests in which each started after the previous one ended."""
    ordered = sorted(exchanges, key=lambda e: e.started)
    chain: list[int] = []
    for n, exchange in enumerate(ordered):
        chain.append(1 + max((chain[m] for m in range(n)
                              if ordered[m].ended <= exchange.started), default=0))
    return max(chain, default=0)


@dataclass
class Sleeps:
    """Stands in for time.sleep: records the backoff instead of waiting it out."""

    delays: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@dataclass
class SalesforceLab:
    """The emulator plus what a test needs to point the collector at it."""

    emulator: Emulator
    ca_bundle: Path
    sleeps: Sleeps = field(default_factory=Sleeps)

    @property
    def scenario(self) -> Scenario:
        return self.emulator.scenario

    def token_env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "SF_INSTANCE_URL": self.emulator.base_url,
                "SF_ACCESS_TOKEN": self.scenario.access_token, **extra}

    def collect(self, env: dict[str, str] | None = None, **options: Any) -> dict[str, Any]:
        counted: list[None] = []
        options.setdefault("user_keys", lambda: TEAMMATES)
        options.setdefault("mapped_fields", MAPPED_FIELDS)
        section = collect_salesforce(
            SalesforceOptions(env=self.token_env() if env is None else env, **options),
            lambda: counted.append(None),
            retry=RetryPolicy(attempts=3, backoff=0.5, sleep=self.sleeps))
        assert len(counted) == section["requests"]
        return section

    def secrets(self) -> list[str]:
        scenario = self.scenario
        return [scenario.access_token, scenario.password, scenario.security_token]


def as_snapshot(section: dict[str, Any]) -> dict[str, Any]:
    return new_snapshot(settings=None, salesforce=section,
                        intercom=skipped("turned off with --no-intercom"))


def schema_errors(snapshot: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}"
            for e in validator_for("snapshot").iter_errors(snapshot)]


def assert_no_secret(secrets: list[str], *outputs: object) -> None:
    for output in outputs:
        text = output if isinstance(output, str) else json.dumps(output, default=str)
        for secret in secrets:
            assert secret not in text
