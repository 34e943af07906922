"""Whether the user Intercom connects as can still sign in, and keep its tokens."""

from __future__ import annotations

from collections import Counter
from typing import Any

from auditor.engine.checks import base
from auditor.engine.checks.base import CheckInput, Outcome, listing, named_check, plural


@named_check
def integration_user_usable(check: CheckInput) -> Outcome:
    users: list[dict[str, Any]] = check.values["users"]
    logins = {login["user_id"]: login for login in check.values["logins"]}
    if not users:
        return Outcome("unknown", base.NO_INTEGRATION_USER, {"users": []})
    shown, blocked, unseen = [], [], []
    for user in users:
        login = logins.get(user["id"])
        states = [] if user["is_active"] else ["inactive"]
        if login is not None:
            states += [state for state, holds in (("frozen", login["is_frozen"]),
                                                  ("locked out by failed logins",
                                                   login["is_password_locked"])) if holds]
        else:
            unseen.append(user["username"])
        shown.append({"username": user["username"], "is_active": user["is_active"],
                      "is_frozen": login["is_frozen"] if login else None,
                      "is_password_locked": login["is_password_locked"] if login else None})
        if states:
            blocked.append(f"{user['username']} ({', '.join(states)})")
    evidence = {"users": shown}
    if blocked:
        return Outcome("fail", "Intercom cannot sync as these integration users: "
                       f"{listing(blocked, separator='; ')}. Reactivate, unfreeze or unlock them "
                       "in Setup > Users.", evidence)
    if unseen:
        return Outcome("unknown", "Cannot be verified. Salesforce returned no login record "
                       f"(UserLogin) for {listing(unseen)}. To supply it, collect again with an "
                       "auditing user who holds Manage Users.", evidence)
    return Outcome("pass", f"Every integration user is active, not frozen and not locked out "
                   f"({listing([u['username'] for u in users])}).", evidence)


@named_check
def token_pairs(check: CheckInput) -> Outcome:
    tokens: list[dict[str, Any]] = [t for t in check.values["tokens"]
                                    if "intercom" in t["app_name"].lower()]
    users: list[dict[str, Any]] = check.values.get("users") or []
    most: int = check.params["max_tokens"]
    names = {u["id"]: u["username"] for u in users}
    held = Counter(t["user_id"] for t in tokens)
    counts = [{"user": names.get(user_id, user_id), "tokens": count}
              for user_id, count in sorted(held.items(), key=lambda item: (-item[1], item[0]))]
    evidence = {"max_tokens": most, "tokens_per_user": counts}
    if not tokens:
        return Outcome("not_applicable", "Salesforce holds no Intercom OAuth token, so there is "
                       "nothing to count; see connection.integration_user.", evidence)
    over = [c for c in counts if c["tokens"] > most]
    if over:
        return Outcome("fail", f"{listing(over, _held, '; ')} (more than {most}): Salesforce "
                       "keeps a limited number per user and app, so the next authorisation "
                       "silently revokes the oldest token, which may be the one Intercom "
                       "syncs with.", evidence)
    return Outcome("pass", f"{listing(counts, _held, '; ')}, at most {most} each.", evidence)


def _held(count: dict[str, Any]) -> str:
    return f"{count['user']} holds {plural(count['tokens'], 'Intercom OAuth token')}"
