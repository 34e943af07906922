"""Intercom teammates matched to active Salesforce users."""

from __future__ import annotations

from typing import Any

from auditor.engine.checks.base import CheckInput, Outcome, listing, named_check


@named_check
def teammates_mapped(check: CheckInput) -> Outcome:
    teammates: list[dict[str, Any]] = check.values["teammates"]
    sf_users: list[dict[str, Any]] = check.values["salesforce_users"]
    mappings: list[dict[str, str]] = check.values["user_mappings"]
    seated = [t for t in teammates if t["has_inbox_seat"]]
    if not seated:
        return Outcome("not_applicable", "No Intercom teammate has an inbox seat.")
    usernames = {u["username"].lower() for u in sf_users}
    # Teammates match by email; a username that looks like an email is not one.
    emails = {u["email"].lower() for u in sf_users if u.get("email")}
    mapped_to = {m["intercom_email"].lower(): m["salesforce_username"].lower() for m in mappings}
    unmapped = []
    for teammate in seated:
        email = (teammate.get("email") or "").lower()
        if email in emails:
            continue
        target = mapped_to.get(email)
        if target in usernames:
            continue
        why = (f"mapped to Salesforce user {target}, who is not active" if target
               else "no active Salesforce user has this email")
        unmapped.append({"name": teammate.get("name"), "email": teammate.get("email"), "why": why})
    evidence = {"teammates_with_inbox_seat": len(seated), "unmapped": unmapped}
    if not unmapped:
        return Outcome("pass", f"All {len(seated)} teammates with an inbox seat map to an active "
                       "Salesforce user.", evidence)
    listed = listing(unmapped, lambda t: f"{t['name']} <{t['email']}>: {t['why']}", "; ")
    return Outcome("fail", f"{len(unmapped)} of {len(seated)} teammates with an inbox seat do not "
                   f"map to an active Salesforce user: {listed}.", evidence)
