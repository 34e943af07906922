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
from auditor.collect.salesforce.queries import PERMISSIONS, SYNCED_OBJECTS, VALIDATED_OBJECTS
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
        granting = [_child(a, "PermissionSet") for a in _assignments(r)]
        users.append({
            "id": required_text(r, "Id"), "username": required_text(r, "Username"),
            "email": r.text("Email"), "is_active": active,
            "profile_name": profile.text("Name") if profile else None,
            "modify_all_data_from_profile": bool(profile and profile.flag(
                "PermissionsModifyAllData")),
            "modify_all_data_permission_sets": sorted(
                required_text(s, "Name") for s in granting
                if s.flag("PermissionsModifyAllData") and not s.flag("IsOwnedByProfile")),
        })
    return users


def _assignments(user: Fields) -> list[Fields]:
    """A user's permission set assignments, the one of its profile included; a subquery
    answer that Salesforce did not finish would leave some out, so it is refused."""
    assignments = user.child("PermissionSetAssignments")
    if assignments is None:
        return []  # Salesforce sends null, not an empty list, for no child records
    if assignments.flag("done") is False:
        raise assignments.wrong("done", "true (every assignment in one answer)")
    return assignments.items("records")


def user_logins(page: Page) -> list[dict[str, Any]]:
    logins = []
    for r in page.records:
        frozen, locked = r.flag("IsFrozen"), r.flag("IsPasswordLocked")
        if frozen is None:
            raise r.wrong("IsFrozen", "true or false")
        if locked is None:
            raise r.wrong("IsPasswordLocked", "true or false")
        logins.append({"user_id": required_text(r, "UserId"), "is_frozen": frozen,
                       "is_password_locked": locked})
    return logins


def field_access(users: Page, granting: Page, fields: Sequence[str]) -> dict[str, Any]:
    """For each integration user, each mapped field on Lead and Contact: whether any of the
    user's permission sets (the profile's included) lets it read or edit the field."""
    sets_of = {required_text(u, "Id"): {required_text(a, "PermissionSetId")
                                        for a in _assignments(u)} for u in users.records}
    rows: dict[tuple[str, str], list[tuple[bool, bool]]] = {}
    for r in granting.records:
        field = required_text(r, "Field")
        read, edit = r.flag("PermissionsRead"), r.flag("PermissionsEdit")
        if read is None or edit is None:
            raise r.wrong("PermissionsRead" if read is None else "PermissionsEdit",
                          "true or false")
        rows.setdefault((required_text(r, "ParentId"), field.lower()), []).append((read, edit))
    access = []
    for user_id, sets in sorted(sets_of.items()):
        for sobject in SYNCED_OBJECTS:
            for name in fields:
                grants = [g for s in sets for g in rows.get((s, f"{sobject}.{name}".lower()), [])]
                access.append({"user_id": user_id, "object": sobject, "field": name,
                               "read": any(read for read, _ in grants),
                               "edit": any(edit for _, edit in grants)})
    return {"fields": list(fields), "access": access}


_DESCRIBED = {"createable": "createable", "nillable": "nillable",
              "defaultedOnCreate": "defaulted_on_create", "permissionable": "permissionable"}


def describe_fields(page: Page) -> list[dict[str, Any]]:
    """Each field of an sObject describe, with what decides whether Intercom can write it."""
    fields = []
    for r in page.records:
        field: dict[str, Any] = {"name": required_text(r, "name")}
        for key, name in _DESCRIBED.items():
            value = r.flag(key)
            if value is None:
                raise r.wrong(key, "true or false")
            field[name] = value
        fields.append(field)
    return fields


def duplicate_rules(page: Page) -> list[dict[str, Any]]:
    return [{"object": required_text(r, "SobjectType"),
             "name": r.text("MasterLabel") or required_text(r, "DeveloperName")}
            for r in page.records]


def validation_rules(page: Page) -> list[dict[str, Any]]:
    """The active validation rules on the objects Intercom writes to."""
    rules = []
    for r in page.records:
        sobject = required_text(_child(r, "EntityDefinition"), "QualifiedApiName")
        if sobject in VALIDATED_OBJECTS:
            rules.append({"object": sobject, "name": required_text(r, "ValidationName")})
    return sorted(rules, key=lambda rule: (VALIDATED_OBJECTS.index(rule["object"]),
                                           rule["name"].lower()))


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
