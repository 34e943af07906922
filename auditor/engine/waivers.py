"""Waivers: accepted deviations that expire, applied to findings without hiding them.

A failing finding under a live waiver becomes `waived` and keeps its real status beside
it (as a mutelist keeps a muted finding's original status), with the reason, approver
and expiry. An expired waiver no longer applies, and the finding says since when. A
waiver that accepted nothing this run is reported as unused, so stale ones surface.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from auditor.documents.errors import did_you_mean
from auditor.documents.load import load_document
from auditor.documents.validation import validate_document
from auditor.documents.vocabulary import MAX_WAIVER_DAYS as MAX_WAIVER_DAYS  # re-exported
from auditor.engine.evaluate import Finding
from auditor.safety.display import INVISIBLE

# What a person must be able to read in each waiver, and what it says.
_WORDS = {"reason": "why the deviation is accepted", "approved_by": "who accepted it"}


@dataclass(frozen=True)
class Waiver:
    rule: str
    reason: str
    approved_by: str
    expires: date

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "reason": self.reason, "approved_by": self.approved_by,
                "expires": self.expires.isoformat()}


def load_waivers(path: Path, rule_ids: Iterable[str], today: date,
                 max_days: int = MAX_WAIVER_DAYS) -> list[Waiver]:
    """The waivers of a file, each naming a known rule and expiring within max_days."""
    doc = load_document(path, "waivers file")
    if not isinstance(doc.data, dict):
        raise doc.error("expected a mapping with a `waivers:` list (see `auditor schema "
                        "waivers`).")
    validate_document(doc, "waivers")
    known = sorted(rule_ids)
    latest = today + timedelta(days=max_days)
    waivers: list[Waiver] = []
    seen: set[str] = set()
    for index, entry in enumerate(doc.data["waivers"]):
        rule = entry["rule"]
        if rule not in known:
            hint = did_you_mean(rule, known) or " `auditor rules` lists them."
            raise doc.error(f"there is no rule '{rule}' to waive.{hint}",
                            ("waivers", index, "rule"))
        if rule in seen:
            raise doc.error(f"'{rule}' is waived twice; keep one waiver per rule.",
                            ("waivers", index, "rule"))
        seen.add(rule)
        for key, meaning in _WORDS.items():
            if not _visible(entry[key]):
                raise doc.error(
                    f"the waiver of '{rule}' has no visible text in `{key}`, only spaces, "
                    f"line breaks or invisible characters; write {meaning}.",
                    ("waivers", index, key))
        expires = date.fromisoformat(entry["expires"])
        if expires > latest:
            raise doc.error(
                f"the waiver of '{rule}' expires on {expires}, more than {max_days} days "
                f"after today ({today}); waivers must be reviewed at least that often "
                "(max_waiver_days in the config raises the bound).",
                ("waivers", index, "expires"))
        waivers.append(Waiver(rule, entry["reason"], entry["approved_by"], expires))
    return waivers


def _visible(text: str) -> bool:
    """Whether the text holds a character a person sees: not only white space (a line
    break, U+2028) or invisible characters (U+200B); control characters are refused
    when any document is read."""
    return bool(INVISIBLE.sub("", text).strip())


def apply_waivers(findings: list[Finding], waivers: list[Waiver], today: date
                  ) -> tuple[list[Finding], dict[str, Any]]:
    """The findings with the waivers applied, and what became of each waiver."""
    by_rule = {w.rule: w for w in waivers}
    applied: list[str] = []
    expired: list[str] = []
    result = []
    for finding in findings:
        waiver = by_rule.get(finding.rule.id)
        if waiver is None or finding.status != "fail":
            result.append(finding)
            continue
        record = {**waiver.as_dict(), "original_status": finding.status}
        if waiver.expires >= today:
            applied.append(waiver.rule)
            result.append(finding._replace(status="waived", waiver=record))
        else:
            expired.append(waiver.rule)
            note = (f" A waiver of this finding (approved by {waiver.approved_by}) expired on "
                    f"{waiver.expires}, so it counts again.")
            result.append(finding._replace(message=finding.message + note,
                                           waiver={**record, "expired": True}))
    used = set(applied) | set(expired)
    report = {
        "applied": applied,
        "expired": expired,
        "unused": [w.as_dict() for w in waivers if w.rule not in used],
    }
    return result, report
