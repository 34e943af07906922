"""How old the attested settings are when the audit looks at them."""

from __future__ import annotations

from datetime import date

from auditor.checks.base import CheckInput, Outcome


def attestation_age(check: CheckInput) -> Outcome:
    attested = date.fromisoformat(check.values["attested_at"])
    max_age: int = check.params["max_age_days"]
    age = (check.as_of.date() - attested).days
    evidence = {"attested_at": attested.isoformat(), "age_days": age, "max_age_days": max_age}
    if age <= max_age:
        return Outcome("pass", f"The settings were attested {age} days before the snapshot, "
                       f"within {max_age} days.", evidence)
    return Outcome("fail", f"The settings were attested {age} days before the snapshot, more than "
                   f"{max_age} days: read them again in Intercom (`auditor capture`).", evidence)
