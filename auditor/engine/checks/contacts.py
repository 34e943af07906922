"""Email quality, on which email-as-identifier matching depends."""

from __future__ import annotations

from typing import Any

from auditor.documents.snapshot import DUPLICATE_EMAILS_COUNTED
from auditor.engine.checks.base import CheckInput, Outcome, named_check, plural
from auditor.safety.privacy import mask_email

_EXAMPLES_IN_MESSAGE = 3


@named_check
def duplicate_emails(check: CheckInput) -> Outcome:
    shown = (lambda email: email) if check.show_emails else mask_email
    parts = []
    evidence: dict[str, Any] = {}
    for key, label in (("leads", "unconverted Leads"), ("contacts", "Contacts")):
        duplicates = check.values[key]["duplicate_emails"]
        examples = [{"email": shown(e["email"]), "records": e["records"]}
                    for e in duplicates["examples"]]
        evidence[key] = {"emails_shared": duplicates["count"], "examples": examples}
        if duplicates["count"]:
            listed = ", ".join(f"{e['email']} ({e['records']} records)"
                               for e in examples[:_EXAMPLES_IN_MESSAGE])
            # A count at the collection's bound is a floor: say so rather than understate.
            floor = "at least " if duplicates["count"] >= DUPLICATE_EMAILS_COUNTED else ""
            parts.append(f"{floor}{plural(duplicates['count'], 'email address', 'email addresses')}"
                         f" shared by two or more {label} (for example {listed})")
    if not parts:
        return Outcome("pass", "No email address is shared by two unconverted Leads or by two "
                       "Contacts, so email matching is unambiguous.", evidence)
    return Outcome("fail", "Email matching is ambiguous: " + "; ".join(parts) + ". Intercom may "
                   "sync to either record; merge the duplicates in Salesforce.", evidence)


@named_check
def share_without_email(check: CheckInput) -> Outcome:
    contacts = check.values["contacts"]
    total = contacts["users"]["total"] + contacts["leads"]["total"]
    without = contacts["users"]["without_email"] + contacts["leads"]["without_email"]
    max_share: float = check.params["max_share"]
    if total == 0:
        return Outcome("not_applicable", "Intercom has no users or leads yet.")
    share = without / total
    evidence = {"contacts": total, "without_email": without, "share": round(share, 4),
                "max_share": max_share}
    counts = f"{without:,} of {total:,} Intercom users and leads ({share:.1%}) have no email"
    if share <= max_share:
        return Outcome("pass", f"{counts}, within the {max_share:.0%} allowed.", evidence)
    return Outcome("fail", f"{counts}, above the {max_share:.0%} allowed: with email as the "
                   "identifier they cannot be matched to Salesforce.", evidence)
