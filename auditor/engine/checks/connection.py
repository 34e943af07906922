"""The Intercom app's OAuth connection into Salesforce and the user behind it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from auditor.documents.snapshot import parse_timestamp
from auditor.engine.checks.base import (
    NO_INTEGRATION_USER,
    CheckInput,
    Outcome,
    listing,
    named_check,
)
from auditor.safety.privacy import mask_email


@named_check
def recent_intercom_token(check: CheckInput) -> Outcome:
    # The rule is about apps named like Intercom, whatever else the snapshot lists.
    tokens: list[dict[str, Any]] = [
        t for t in check.values["tokens"] if "intercom" in t["app_name"].lower()
    ]
    days: int = check.params["window_days"]
    # Installed packages and app events never decide the verdict (the integration lives in
    # Intercom and needs no package; the activity log reaches back only so far): they are
    # shown beside it, and say more about a missing token.
    app_events: dict[str, Any] | None = check.values.get("app_events")
    packages: list[dict[str, Any]] | None = check.values.get("packages")
    changes = _salesforce_app_changes(app_events)
    evidence: dict[str, Any] = {"tokens": tokens, "window_days": days,
                                "salesforce_app_events": changes, "installed_packages": packages}
    context = _events_said(app_events, changes, check.show_emails) + _packages_said(packages)
    if not tokens:
        installed = bool(changes) and changes[-1]["type"] == "app_package_installation"
        gone = (" The app looks installed in Intercom while its connection into Salesforce is "
                "gone: reconnect it." if installed else "")
        return Outcome("fail", "Salesforce holds no OAuth token of an app named like Intercom: "
                       f"the integration is not connected.{context}{gone}", evidence)
    used = [t for t in tokens if t.get("last_used_date")]
    latest = max(used, key=lambda t: parse_timestamp(t["last_used_date"]), default=None)
    if latest is None:
        return Outcome("fail", f"{len(tokens)} Intercom OAuth token(s) exist, but none has ever "
                       f"been used.{context}", evidence)
    when = parse_timestamp(latest["last_used_date"])
    described = f"'{latest['app_name']}' for user {latest['user_id']}, last used {when:%Y-%m-%d}"
    if check.as_of - when <= timedelta(days=days):
        return Outcome("pass", f"Connected through {described}.{context}", evidence)
    return Outcome("fail", f"No Intercom OAuth token was used in the last {days} days (latest: "
                   f"{described}); the connection may be broken.{context}", evidence)


_CHANGES = {"app_package_installation": "installed", "app_package_uninstallation": "uninstalled"}


def _salesforce_app_changes(app_events: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The installs and uninstalls of the Salesforce app, oldest first."""
    if app_events is None:
        return []
    named = [e for e in app_events["events"] if e["type"] in _CHANGES and "salesforce" in
             f"{e.get('app_name') or ''} {e.get('description') or ''}".lower()]
    return sorted(named, key=lambda e: parse_timestamp(e["created_at"]))


def _events_said(app_events: dict[str, Any] | None, changes: list[dict[str, Any]],
                 show_emails: bool) -> str:
    if app_events is None:
        return ""  # not read: the finding's provenance says so
    if not changes:
        # No event in the window is not "not installed": an older install leaves no trace.
        return (f" Intercom's activity log shows no install or uninstall of the Salesforce app "
                f"in the last {app_events['window_days']} days (no install event seen; it may "
                "have been installed before).")
    last = changes[-1]
    who = last.get("performed_by")
    if who and "@" in who and not show_emails:
        who = mask_email(who)
    since = ", with no uninstall since" if last["type"] == "app_package_installation" else ""
    return (f" Intercom's activity log shows the Salesforce app {_CHANGES[last['type']]} on "
            f"{parse_timestamp(last['created_at']):%Y-%m-%d}{f' by {who}' if who else ''}"
            f"{since}.")


def _packages_said(packages: list[dict[str, Any]] | None) -> str:
    if not packages:
        return ""  # none is needed: the integration lives in Intercom
    names = listing(packages,
                    lambda p: p["name"] + (f" ({p['namespace']})" if p.get("namespace") else ""))
    return f" Salesforce has a package named like Intercom installed: {names}."


@named_check
def integration_user_admin_rights(check: CheckInput) -> Outcome:
    users: list[dict[str, Any]] = check.values["users"]
    admin_profile: str = check.params["admin_profile"]
    if not users:
        return Outcome("unknown", NO_INTEGRATION_USER, {"users": []})
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
        names = listing(users, lambda u: str(u["username"]))
        return Outcome("pass", f"No integration user has admin rights ({names}).", evidence)
    return Outcome("fail", "Admin rights were meant only for connecting the app, but these "
                   "integration users still have them: " + listing(flagged, separator="; ") + ".",
                   evidence)
