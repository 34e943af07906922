"""What in the org rejects what Intercom writes: field-level security, required Lead
fields, duplicate rules and validation rules."""

from __future__ import annotations

from typing import Any

from auditor.engine.checks.base import (
    NO_INTEGRATION_USER,
    CheckInput,
    Outcome,
    listing,
    named_check,
    plural,
)

SYNCED_OBJECTS = ("Lead", "Contact")
WRITES = ("intercom_to_salesforce", "both")  # the directions in which Intercom writes
FILLED_BY_INTERCOM = ("LastName", "Company")  # Intercom fills these on every Lead it creates


@named_check
def mapped_fields_writable(check: CheckInput) -> Outcome:
    mappings: list[dict[str, str]] = check.values["mappings"]
    users: list[dict[str, Any]] = check.values["users"]
    access: dict[str, Any] = check.values["access"]
    described = {"Lead": _by_name(check.values["lead_fields"]),
                 "Contact": _by_name(check.values["contact_fields"])}
    if not users:
        return Outcome("unknown", NO_INTEGRATION_USER, {"users": []})
    asked = {name.lower() for name in access["fields"]}
    granted = {(row["user_id"], row["object"], row["field"].lower()): row
               for row in access["access"]}
    missing: list[dict[str, str]] = []
    unread: list[str] = []
    checked = 0
    for mapping in mappings:
        name = mapping["salesforce"]
        need = "edit" if mapping["direction"] in WRITES else "read"
        present = [o for o in SYNCED_OBJECTS if name.lower() in described[o]]
        if not present:
            missing.append({"field": name, "object": "Lead or Contact",
                            "missing": "the field does not exist", "user": ""})
        for sobject in present:
            checked += 1
            if not described[sobject][name.lower()]["permissionable"]:
                continue  # not governed by FieldPermissions: open to whoever can use the object
            if name.lower() not in asked:
                unread.append(f"{sobject}.{name}")
                continue
            for user in users:
                row = granted.get((user["id"], sobject, name.lower()))
                if not (row and row[need]):
                    missing.append({"field": name, "object": sobject, "missing": need,
                                    "user": user["username"]})
    # A missing grant fails even where other fields are unknown; unknown never passes.
    if missing:
        status, said = "fail", (
            "The integration user cannot use these mapped fields as their mappings need: "
            f"{listing(missing, _problem, '; ')}. Grant the access in a permission set "
            "assigned to the integration user.")
    elif unread:
        status, said = "unknown", (
            "Cannot be verified. The field permissions were collected for other field "
            f"mappings than these, and not for {listing(unread)}. To supply them, collect "
            "again with this settings file.")
    else:
        status, said = "pass", (
            "The integration user can edit every field Intercom writes and read every field it "
            f"reads ({plural(checked, 'field')} on Lead and Contact).")
    return Outcome(status, said, {"problems": missing, "not_collected": unread})


def _by_name(fields: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {field["name"].lower(): field for field in fields}


def _problem(problem: dict[str, str]) -> str:
    if problem["missing"] == "the field does not exist":
        return f"{problem['field']} (on neither Lead nor Contact)"
    return (f"{problem['object']}.{problem['field']} (no {problem['missing']} access for "
            f"{problem['user']})")


@named_check
def required_lead_fields(check: CheckInput) -> Outcome:
    fields: list[dict[str, Any]] = check.values["lead_fields"]
    mappings: list[dict[str, str]] = check.values["mappings"]
    written = {m["salesforce"].lower() for m in mappings if m["direction"] in WRITES}
    required = [f["name"] for f in fields
                if f["createable"] and not f["nillable"] and not f["defaulted_on_create"]]
    unfilled = [name for name in required
                if name not in FILLED_BY_INTERCOM and name.lower() not in written]
    evidence = {"required_on_create": required, "unfilled": unfilled}
    if unfilled:
        return Outcome("fail", f"Salesforce requires {plural(len(unfilled), 'Lead field')} on "
                       f"create that Intercom does not fill: {listing(unfilled)}. Leads created "
                       "from Intercom will be rejected until each is mapped from Intercom, "
                       "given a default, or made optional.", evidence)
    return Outcome("pass", f"Every Lead field required on create is filled "
                   f"({listing(required) or 'none'}).", evidence)


@named_check
def duplicate_rules_active(check: CheckInput) -> Outcome:
    rules: list[dict[str, str]] = check.values["rules"]
    uncovered = [o for o in SYNCED_OBJECTS if not any(r["object"] == o for r in rules)]
    evidence = {"active_rules": rules, "objects_without_one": uncovered}
    if uncovered:
        return Outcome("fail", f"No active duplicate rule on {' or '.join(uncovered)}: records "
                       "Intercom creates there are not checked for duplicates.", evidence)
    return Outcome("pass", "Lead and Contact each have an active duplicate rule: "
                   f"{listing(rules, _rule_of_object)}.", evidence)


def _rule_of_object(rule: dict[str, str]) -> str:
    return f"{rule['object']}: {rule['name']}"


@named_check
def validation_rules_listed(check: CheckInput) -> Outcome:
    rules: list[dict[str, str]] = check.values["rules"]
    evidence = {"active_rules": rules}
    if not rules:
        return Outcome("pass", "No active validation rule on Lead, Contact, Task or Case.",
                       evidence)
    by_object: dict[str, list[str]] = {}
    for rule in rules:
        by_object.setdefault(rule["object"], []).append(rule["name"])
    listed = "; ".join(f"{sobject}: {listing(names)}" for sobject, names in by_object.items())
    return Outcome("fail", f"{plural(len(rules), 'active validation rule')} to review, any of "
                   f"which can reject what Intercom writes: {listed}.", evidence)
