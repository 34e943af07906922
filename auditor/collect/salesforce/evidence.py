"""How each Salesforce query answer becomes snapshot evidence, without trusting its shape.

Every record goes through Fields (intercom_answers), which returns a value in the type
the snapshot needs or raises ItemUnavailable naming the query, the place in the answer,
what was expected and what came. A converter never guesses: an answer it cannot read
makes its item unavailable, never an empty list or a zero.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditor.collect import UserKeys
from auditor.collect.answers import Fields, ItemUnavailable
from auditor.collect.salesforce.queries import PERMISSIONS
from auditor.documents.snapshot import timestamp, unavailable
from auditor.documents.timestamps import parse_timestamp

EXAMPLES_KEPT = 20


@dataclass(frozen=True)
class Page:
    """The records of one query answer; `done` is False when Salesforce holds more."""

    what: str  # "Salesforce's answer to the Lead query", for reasons
    records: list[Fields]
    done: bool


@dataclass(frozen=True)
class Identity:
    """Who the access token belongs to, as far as signing in (or userinfo) told."""

    user_id: str | None = None
    username: str | None = None


def required_text(record: Fields, key: str) -> str:
    value = record.text(key)
    if value is None:
        raise record.wrong(key, "a text")
    return value


def permissions(page: Page) -> dict[str, bool | None]:
    """UserPermissionAccess answers one record: the signed-in user's own permissions."""
    if len(page.records) != 1:
        raise ItemUnavailable(f"{page.what}: expected one record, got {len(page.records)}")
    record = page.records[0]
    return {name: record.flag(field) for name, field in PERMISSIONS.items()}


def audited_as(identity: Identity,
               granted: dict[str, bool | None] | ItemUnavailable) -> dict[str, Any]:
    if isinstance(granted, ItemUnavailable):
        if identity.user_id is None and identity.username is None:
            return unavailable(granted.reason)
        granted = dict.fromkeys(PERMISSIONS)  # who is known; what they may see is not
    return {"user_id": identity.user_id, "username": identity.username,
            "permissions": granted}


def org(page: Page) -> dict[str, Any]:
    if not page.records:
        raise ItemUnavailable(f"{page.what}: expected one record, got none")
    row = page.records[0]
    return {"id": required_text(row, "Id"), "name": required_text(row, "Name"),
            "edition": row.text("OrganizationType"), "is_sandbox": row.flag("IsSandbox"),
            "instance_name": row.text("InstanceName")}


def tokens(page: Page) -> list[dict[str, Any]]:
    return [{"app_name": required_text(r, "AppName"), "user_id": required_text(r, "UserId"),
             "last_used_date": _datetime(r, "LastUsedDate"),
             "use_count": r.optional_count("UseCount")}
            for r in page.records]


def integration_users(page: Page) -> list[dict[str, Any]]:
    users = []
    for r in page.records:
        active = r.flag("IsActive")
        if active is None:
            raise r.wrong("IsActive", "true or false")
        profile = r.child("Profile")
        assignments = r.child("PermissionSetAssignments")
        granting = [] if assignments is None else assignments.items("records")
        users.append({
            "id": required_text(r, "Id"), "username": required_text(r, "Username"),
            "email": r.text("Email"), "is_active": active,
            "profile_name": profile.text("Name") if profile else None,
            "modify_all_data_from_profile": bool(profile and profile.flag(
                "PermissionsModifyAllData")),
            "modify_all_data_permission_sets": sorted(
                required_text(_child(a, "PermissionSet"), "Name") for a in granting),
        })
    return users


def matching_users(pages: Sequence[Page], keys: UserKeys) -> list[dict[str, Any]]:
    """Username and email of the users an Intercom teammate or a user mapping names."""
    found: dict[str, dict[str, Any]] = {}
    for page in pages:
        for r in page.records:
            username, email = required_text(r, "Username"), r.text("Email")
            if username.lower() in keys.usernames or (email or "").lower() in keys.emails:
                found[username.lower()] = {"username": username, "email": email}
    return [found[name] for name in sorted(found)]


def record_types(page: Page) -> list[dict[str, Any]]:
    return [{"id": required_text(r, "Id"), "name": required_text(r, "Name"),
             "developer_name": r.text("DeveloperName")} for r in page.records]


def activity(tasks: Page, accounts: Page, window_days: int, since: datetime) -> dict[str, Any]:
    return {"window_days": window_days, "since": timestamp(since),
            "tasks_created": _aggregate(tasks, "total"),
            "accounts_created": _aggregate(accounts, "total")}


def email_quality(totals: Page, duplicates: Page) -> dict[str, Any]:
    total, with_email = _aggregate(totals, "total"), _aggregate(totals, "withEmail")
    if with_email > total:
        raise totals.records[0].wrong("withEmail", f"at most the total, {total}")
    examples = []
    for d in duplicates.records:
        shared = d.count("records")
        if shared < 2:  # the query asks for emails shared by two records or more
            raise d.wrong("records", "2 or more")
        examples.append({"email": required_text(d, "Email"), "records": shared})
    return {"total": total, "without_email": total - with_email,
            "duplicate_emails": {"count": len(examples), "examples": examples[:EXAMPLES_KEPT]}}


def packages(page: Page) -> list[dict[str, Any]]:
    # PackageLicense names a package by its namespace only, and holds no version.
    return [{"name": (namespace := required_text(r, "NamespacePrefix")),
             "namespace": namespace, "version": None} for r in page.records]


def _aggregate(page: Page, alias: str) -> int:
    if len(page.records) != 1:
        raise ItemUnavailable(f"{page.what}: expected one aggregate record, got "
                              f"{len(page.records)}")
    return page.records[0].count(alias)


def _child(record: Fields, key: str) -> Fields:
    child = record.child(key)
    if child is None:
        raise record.wrong(key, "an object")
    return child


_OFFSET = re.compile(r"([+-]\d{2})(\d{2})\Z")


def _datetime(record: Fields, key: str) -> str | None:
    """Salesforce's 2026-11-19T08:12:00.000+0000 as the snapshot's 2026-11-19T08:12:00Z."""
    value = record.text(key)
    if value is None:
        return None
    try:
        return timestamp(parse_timestamp(_OFFSET.sub(r"\1:\2", value)))
    except ValueError:
        raise record.wrong(key, "a date-time such as 2026-11-19T08:12:00.000+0000") from None
