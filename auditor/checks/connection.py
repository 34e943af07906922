"""The Intercom app's OAuth connection into Salesforce and the user behind it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from auditor.checks.base import CheckInput, Outcome
from auditor.snapshot import parse_timestamp


def recent_intercom_token(check: CheckInput) -> Outcome:
    # The rule is about apps named like Intercom, whatever else the snapshot lists.
    tokens: list[dict[str, Any]] = [
        t for t in check.values["tokens"] if "intercom" in t["app_name"].lower()
    ]
    days: int = check.params["window_days"]
    if not tokens:
        return Outcome("fail", "Salesforce holds no OAuth token of an app named like Intercom: "
                       "the integration is not connected.", {"tokens": []})
    used = [t for t in tokens if t.get("last_used_date")]
    latest = max(used, key=lambda t: parse_timestamp(t["last_used_date"]), default=None)
    evidence = {"tokens": tokens, "window_days": days}
    if latest is None:
        return Outcome("fail", f"{len(tokens)} Intercom OAuth token(s) exist, but none has ever "
                       "been used.", evidence)
    when = parse_timestamp(latest["last_used_date"])
    described = f"'{latest['app_name']}' for user {latest['user_id']}, last used {when:%Y-%m-%d}"
    if check.as_of - when <= timedelta(days=days):
        return Outcome("pass", f"Connected through {described}.", evidence)
    return Outcome("fail", f"No Intercom OAuth token was used in the last {days} days (latest: "
                   f"{described}); the connection may be broken.", evidence)


def integration_user_admin_rights(check: CheckInput) -> Outcome:
    users: list[dict[str, Any]] = check.values["users"]
    admin_profile: str = check.params["admin_profile"]
    if not users:
        return Outcome("unknown", "Cannot be verified. No integration user was observed (no "
                       "Intercom OAuth token in Salesforce), so there is nobody to check. "
                       "To supply it, connect the app or collect with a user who can read "
                       "OAuth tokens.", {"users": []})
    flagged = []
    for user in users:
        grants = []
        if user.get("profile_name") == admin_profile:
            grants.append(f"the {admin_profile} profile")
        elif user["modify_all_data_from_profile"]:
            grants.append(f"Modify All Data from its profile {user.get('profile_name')}")
        grants += [f"Modify All Data from permission set {name}"
                   for name in user["modify_all_data_permission_sets"]]
        if grants:
            flagged.append(f"{user['username']} ({', '.join(grants)})")
    evidence = {"users": users}
    if not flagged:
        names = ", ".join(u["username"] for u in users)
        return Outcome("pass", f"No integration user has admin rights ({names}).", evidence)
    return Outcome("fail", "Admin rights were meant only for connecting the app, but these "
                   "integration users still have them: " + "; ".join(flagged) + ".", evidence)
