"""The SOQL the Salesforce collector sends, and how each answer becomes snapshot evidence.

Composite allows 5 queries per request, and /limits and the Tooling API cannot join
a REST Composite, so the queries are grouped into three Composite requests:

- first: Organization, Intercom OAuth tokens, Case assignment rules, Lead counts and
  Lead duplicates;
- second, which needs the token users' Ids: users (the active standard ones and the
  integration users, with what grants them Modify All Data), Tasks and Accounts the
  integration users created, Contact counts and Contact duplicates;
- tooling: installed packages and Case record types (RecordType is a Tooling object too).

With GET /limits that makes four requests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from auditor.snapshot import timestamp

Records = list[dict[str, Any]]

DUPLICATES_READ = 2000  # duplicate emails counted per object; beyond that the count is a floor
EXAMPLES_KEPT = 20
_SALESFORCE_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


@dataclass(frozen=True)
class Query:
    ref: str  # the Composite referenceId
    sobject: str  # the object read, named in reasons
    soql: str
    tooling: bool = False

    def url(self, version: str) -> str:
        api = "tooling/query" if self.tooling else "query"
        return f"/services/data/v{version}/{api}/?{urlencode({'q': self.soql})}"


def _email_queries(sobject: str, scope: str) -> list[Query]:
    where = f" WHERE {scope}" if scope else ""
    and_scope = f"{scope} AND " if scope else ""
    key = sobject.lower()
    return [
        Query(f"{key}_totals", sobject,
              f"SELECT COUNT(Id) total, COUNT(Email) withEmail FROM {sobject}{where}"),
        Query(f"{key}_duplicates", sobject,
              f"SELECT Email, COUNT(Id) records FROM {sobject} WHERE {and_scope}Email != null "
              f"GROUP BY Email HAVING COUNT(Id) > 1 ORDER BY COUNT(Id) DESC "
              f"LIMIT {DUPLICATES_READ}"),
    ]


def first_round() -> list[Query]:
    return [
        Query("org", "Organization",
              "SELECT Id, Name, OrganizationType, IsSandbox, InstanceName FROM Organization"),
        Query("tokens", "OauthToken",
              "SELECT AppName, UserId, LastUsedDate, UseCount FROM OauthToken "
              "WHERE AppName LIKE '%intercom%'"),  # LIKE ignores case in SOQL
        Query("assignment_rules", "AssignmentRule",
              "SELECT Id, Name FROM AssignmentRule WHERE SobjectType = 'Case' AND Active = true"),
        *_email_queries("Lead", "IsConverted = false"),
    ]


def second_round(integration_ids: Sequence[str], since: datetime) -> list[Query]:
    """Without integration users there is no activity to count, so no Task/Account query."""
    ids = ", ".join(f"'{i}'" for i in integration_ids)
    who = f" OR Id IN ({ids})" if ids else ""
    queries = [Query(
        "users", "User",
        "SELECT Id, Username, Email, IsActive, UserType, Profile.Name, "
        "Profile.PermissionsModifyAllData, (SELECT PermissionSet.Name FROM "
        "PermissionSetAssignments WHERE PermissionSet.PermissionsModifyAllData = true AND "
        "PermissionSet.IsOwnedByProfile = false) FROM User "
        f"WHERE (IsActive = true AND UserType = 'Standard'){who}")]
    if ids:
        created = f"CreatedById IN ({ids}) AND CreatedDate >= {timestamp(since)}"
        queries += [Query(f"{sobject.lower()}s_created", sobject,
                          f"SELECT COUNT(Id) total FROM {sobject} WHERE {created}")
                    for sobject in ("Task", "Account")]
    return queries + _email_queries("Contact", "")


def tooling_round() -> list[Query]:
    return [
        Query("packages", "InstalledSubscriberPackage",
              "SELECT SubscriberPackage.Name, SubscriberPackage.NamespacePrefix, "
              "SubscriberPackageVersion.MajorVersion, SubscriberPackageVersion.MinorVersion, "
              "SubscriberPackageVersion.PatchVersion FROM InstalledSubscriberPackage",
              tooling=True),
        Query("record_types", "RecordType",
              "SELECT Id, Name FROM RecordType WHERE SobjectType = 'Case' AND IsActive = true",
              tooling=True),
    ]


# --- answers into evidence ------------------------------------------------------------

def org(records: Records) -> dict[str, Any]:
    row = records[0]
    return {"id": row["Id"], "name": row["Name"], "edition": row.get("OrganizationType"),
            "is_sandbox": row.get("IsSandbox"), "instance_name": row.get("InstanceName")}


def tokens(records: Records) -> list[dict[str, Any]]:
    return [{"app_name": r["AppName"], "user_id": r["UserId"],
             "last_used_date": _timestamp(r.get("LastUsedDate")), "use_count": r.get("UseCount")}
            for r in records]


def token_user_ids(token_items: list[dict[str, Any]]) -> list[str]:
    # Only well-formed Ids go into SOQL: nothing an API answer holds can change a query.
    ids = {t["user_id"] for t in token_items if _SALESFORCE_ID.fullmatch(t["user_id"])}
    return sorted(ids)


def integration_users(records: Records, ids: Sequence[str]) -> list[dict[str, Any]]:
    wanted = set(ids)
    users = []
    for r in records:
        if r["Id"] not in wanted:
            continue
        profile = r.get("Profile") or {}
        assignments = (r.get("PermissionSetAssignments") or {}).get("records", [])
        users.append({
            "id": r["Id"], "username": r["Username"], "email": r.get("Email"),
            "is_active": bool(r.get("IsActive")), "profile_name": profile.get("Name"),
            "modify_all_data_from_profile": bool(profile.get("PermissionsModifyAllData")),
            "modify_all_data_permission_sets": sorted(
                (a.get("PermissionSet") or {}).get("Name", "") for a in assignments),
        })
    return users


def active_users(records: Records) -> list[dict[str, Any]]:
    # The users query also brings inactive integration users; only Username and Email
    # of the active standard ones are kept, for teammate mapping.
    return [{"username": r["Username"], "email": r.get("Email")} for r in records
            if r.get("IsActive") and r.get("UserType") == "Standard"]


def record_types(records: Records) -> list[dict[str, Any]]:
    # The Tooling API's RecordType has no DeveloperName.
    return [{"id": r["Id"], "name": r["Name"], "developer_name": None} for r in records]


def assignment_rules(records: Records) -> list[dict[str, Any]]:
    return [{"id": r["Id"], "name": r["Name"]} for r in records]


def activity(tasks: Records, accounts: Records, window_days: int,
             since: datetime) -> dict[str, Any]:
    return {"window_days": window_days, "since": timestamp(since),
            "tasks_created": int(tasks[0]["total"]), "accounts_created": int(accounts[0]["total"])}


def email_quality(totals: Records, duplicates: Records) -> dict[str, Any]:
    total = int(totals[0]["total"])
    return {
        "total": total,
        "without_email": total - int(totals[0]["withEmail"]),
        "duplicate_emails": {
            "count": len(duplicates),
            "examples": [{"email": d["Email"], "records": int(d["records"])}
                         for d in duplicates[:EXAMPLES_KEPT]],
        },
    }


def packages(records: Records) -> list[dict[str, Any]]:
    found = []
    for r in records:
        package = r.get("SubscriberPackage") or {}
        name, namespace = package.get("Name") or "", package.get("NamespacePrefix")
        if "intercom" not in f"{name} {namespace or ''}".casefold():
            continue
        version = r.get("SubscriberPackageVersion") or {}
        numbers = [version.get(k) for k in ("MajorVersion", "MinorVersion", "PatchVersion")]
        found.append({"name": name, "namespace": namespace,
                      "version": ".".join(map(str, numbers)) if None not in numbers else None})
    return found


def _timestamp(value: str | None) -> str | None:
    """Salesforce's 2026-11-19T08:12:00.000+0000 as the snapshot's 2026-11-19T08:12:00Z."""
    if not value:
        return None
    return timestamp(datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z"))
