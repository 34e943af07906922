"""The attested API usage limit against the org's observed daily allowance."""

from __future__ import annotations

from auditor.checks.base import CheckInput, Outcome


def limit_within_org_allowance(check: CheckInput) -> Outcome:
    limit: int = check.values["limit"]
    daily_max: int = check.values["daily_max"]
    share: float = check.params["max_share"]
    ceiling = int(daily_max * share)
    evidence = {"limit": limit, "daily_api_requests_max": daily_max, "max_share": share,
                "ceiling": ceiling}
    if limit <= ceiling:
        return Outcome("pass", f"The limit of {limit:,} calls a day is within {share:.0%} of the "
                       f"org's daily API allowance of {daily_max:,} (at most {ceiling:,}).",
                       evidence)
    return Outcome("fail", f"The limit of {limit:,} calls a day is more than {share:.0%} of the "
                   f"org's daily API allowance of {daily_max:,} (at most {ceiling:,}): Intercom "
                   "alone could use up the calls other integrations need.", evidence)
