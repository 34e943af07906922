"""How old the attested settings are when the audit looks at them."""

from __future__ import annotations

from auditor.documents.timestamps import parse_date
from auditor.engine.checks.base import CheckInput, Outcome, named_check, plural


@named_check
def attestation_age(check: CheckInput) -> Outcome:
    # A date after the snapshot never reaches here: the consistency checks refuse it
    # (auditor.engine.consistency). A day ahead can, since attested_at is the attester's local
    # date and the snapshot's is UTC: that is the same day.
    attested = parse_date(check.values["attested_at"])
    max_age: int = check.params["max_age_days"]
    age = max((check.as_of.date() - attested).days, 0)
    evidence = {"attested_at": attested.isoformat(), "age_days": age, "max_age_days": max_age}
    when = (f"{plural(age, 'day')} before the snapshot" if age
            else "on the day the snapshot was taken")
    if age <= max_age:
        return Outcome("pass", f"The settings were attested {when}, within {max_age} days.",
                       evidence)
    return Outcome("fail", f"The settings were attested {when}, more than {max_age} days: read "
                   "them again in Intercom (`auditor capture`).", evidence)
