"""What the integration user wrote in Salesforce, set against what was attested."""

from __future__ import annotations

from typing import Any

from auditor.engine.checks.base import CheckInput, Outcome, named_check, plural


def _window_mismatch(activity: dict[str, Any], rule_id: str, wanted: int) -> Outcome | None:
    # Counts from another window would answer another question; never guess.
    collected = activity["window_days"]
    if collected == wanted:
        return None
    return Outcome("unknown", f"The snapshot counts Salesforce records over {collected} days but "
                   f"this rule looks at {wanted}. Re-collect with --window-days {wanted}, or "
                   f"pass --param {rule_id}.window_days={collected}.")


def _no_integration_user(check: CheckInput) -> Outcome | None:
    # With no integration user, zero records written proves nothing either way.
    if check.values["users"]:
        return None
    return Outcome("unknown", "Cannot be verified. No integration user was observed (no "
                   "Intercom OAuth token in Salesforce), so there is nobody whose records to "
                   "count. To supply it, connect the app, or collect with a user who can read "
                   "OAuth tokens (see connection.integration_user).")


def _counts(check: CheckInput, rule_id: str) -> tuple[dict[str, Any], int, Outcome | None]:
    """The integration activity, the rule's window, and why it cannot be judged, if so."""
    activity: dict[str, Any] = check.values["activity"]
    days: int = check.params["window_days"]
    blocked = _no_integration_user(check) or _window_mismatch(activity, rule_id, days)
    return activity, days, blocked


@named_check
def activities_flowing(check: CheckInput) -> Outcome:
    activity, days, blocked = _counts(check, "cases.activities_flowing")
    if blocked:
        return blocked
    tasks = activity["tasks_created"]
    evidence = {"create_activities": check.values["create_activities"], "tasks_created": tasks,
                "window_days": days}
    if tasks:
        return Outcome("pass", f"Activities are attested on and the integration user created "
                       f"{plural(tasks, 'Salesforce Task')} in the last {days} days.", evidence)
    return Outcome("fail", f"Attested on, but no activity seen: the integration user created no "
                   f"Salesforce Task in the last {days} days. Check that the setting is still on "
                   "and that conversations are syncing.", evidence)


@named_check
def no_recent_account_writes(check: CheckInput) -> Outcome:
    attested_enabled = check.values.get("account_sync_enabled")
    activity, days, blocked = _counts(check, "account_sync.no_account_writes")
    if blocked:
        return blocked
    accounts = activity["accounts_created"]
    evidence = {"accounts_created": accounts, "window_days": days,
                "account_sync_enabled_attested": attested_enabled}
    if not accounts:
        return Outcome("pass", f"The integration user created no Account in the last {days} "
                       "days.", evidence)
    written = f"the integration user created {plural(accounts, 'Account')} in the last {days} days"
    if attested_enabled is False:
        return Outcome("fail", f"Attested and observed disagree: account sync is attested off, "
                       f"but {written}. Recheck Sync Account data in the app's settings.", evidence)
    return Outcome("fail", f"Account sync looks active: {written}.", evidence)
