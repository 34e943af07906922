"""The attested API usage limit against the org's observed daily allowance."""

from __future__ import annotations

from math import floor

from auditor.engine.checks.base import CheckInput, Outcome, named_check


@named_check
def limit_within_org_allowance(check: CheckInput) -> Outcome:
    limit: int = check.values["limit"]
    daily_max: int = check.values["daily_max"]
    share: float = check.params["max_share"]
    from decimal import Decimal  # here: only this check needs it, and only with the evidence

    # In decimal: 0.29 * 100000 is 28999.999... in binary floating point, which would
    # fail a limit of exactly 29,000.
    ceiling = floor(Decimal(str(share)) * daily_max)
    evidence = {"limit": limit, "daily_api_requests_max": daily_max, "max_share": share,
                "ceiling": ceiling}
    if limit <= ceiling:
        return Outcome("pass", f"The limit of {limit:,} calls a day is within {share:.0%} of the "
                       f"org's daily API allowance of {daily_max:,} (at most {ceiling:,}).",
                       evidence)
    return Outcome("fail", f"The limit of {limit:,} calls a day is more than {share:.0%} of the "
                   f"org's daily API allowance of {daily_max:,} (at most {ceiling:,}): Intercom "
                   "alone could use up the calls other integrations need.", evidence)
