"""Plain-text descriptions of what each source's collection reached, for every format.

The templates escape what these return, as they escape every value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The auditing user's Salesforce permissions that decide what a collection can see.
PERMISSION_LABELS = {
    "api_enabled": "API Enabled",
    "view_setup": "View Setup and Configuration",
    "customize_application": "Customize Application",
    "manage_users": "Manage Users",
    "view_all_data": "View All Data",
}


def subject_text(info: dict[str, Any]) -> str:
    """`Globex Corp (Enterprise Edition, production)` or `Globex Corp (US region)`."""
    subject = info.get("subject")
    if not subject:
        return ""
    facts = []
    if subject.get("edition"):
        facts.append(subject["edition"])
    if subject.get("sandbox") is not None:
        facts.append("sandbox" if subject["sandbox"] else "production")
    if subject.get("region"):
        facts.append(f"{str(subject['region']).upper()} region")
    return str(subject["name"]) + (f" ({', '.join(facts)})" if facts else "")


def audited_as_text(info: dict[str, Any]) -> str:
    """`Audited as jo@acme.example: Customize Application yes, Manage Users no, …`."""
    audited_as = info.get("audited_as")
    if not audited_as:
        return ""
    text = f"Audited as {audited_as['user']}"
    permissions = audited_as.get("permissions")
    if permissions:
        text += ": " + ", ".join(
            f"{PERMISSION_LABELS.get(key, key)} {_yes_no(granted)}"
            for key, granted in permissions.items())
    return text + "."


def _yes_no(granted: Any) -> str:
    return "yes" if granted is True else "no" if granted is False else "not known"


SOURCE_FILTERS: dict[str, Callable[..., str]] = {
    "subject_text": subject_text,
    "audited_as_text": audited_as_text,
}
