"""The Salesforce section's evidence items, each from the answers it rests on.

Every reason is scrubbed of the session's secrets. The Intercom tokens are kept only when
the auditing user may see every user's tokens; everything that rests on them follows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from auditor.collect import UserKeys
from auditor.collect.answers import ItemUnavailable
from auditor.collect.salesforce import evidence as ev
from auditor.collect.salesforce import queries as q
from auditor.collect.salesforce.api import QueryResults, Unreadable
from auditor.documents.snapshot import unavailable
from auditor.safety.secrets import Redactor

Result = ev.Page | Unreadable

Granted = dict[str, bool | None] | ItemUnavailable
# Salesforce's special access rules, for the items that rest on them: an auditing user
# without the permission may be refused, or shown less (never taken for an absence).
_NEEDS = {
    "manage_users": ("Manage Users", "UserLogin is readable only with it"),
    "view_setup": ("View Setup and Configuration", "FieldPermissions, DuplicateRule and the "
                   "Tooling API's ValidationRule are readable only with it"),
}

_CUSTOMIZE_APPLICATION = (
    "without it Salesforce shows a user only their own OAuth tokens (the OauthToken object's "
    "special access rules), so the list cannot show which user Intercom connects as. Give the "
    "auditing user Customize Application (a permission set will do), then collect again")


class Items:
    """Each evidence item from its answers; every reason scrubbed of the session's secrets."""

    def __init__(self, redact: Redactor) -> None:
        self.redact = redact

    def unavailable(self, reason: str) -> dict[str, str]:
        return unavailable(self.redact(reason))

    def convert(self, result: Result, convert: Callable[[ev.Page], Any]) -> Any:
        if isinstance(result, Unreadable):
            return self.unavailable(result.reason)
        return self.guarded(lambda: convert(result))

    def guarded(self, evidence: Callable[[], Any]) -> Any:
        """Evidence, or unavailable when the answers it comes from cannot be read."""
        try:
            return evidence()
        except ItemUnavailable as exc:
            return self.unavailable(exc.reason)

    def pair(self, one: Result, other: Result,
             convert: Callable[[ev.Page, ev.Page], Any]) -> Any:
        """One item made of two answers: unavailable if either is."""
        if isinstance(other, Unreadable):
            return self.convert(one, lambda _: self.unavailable(other.reason))
        return self.convert(one, lambda page: convert(page, other))

    def permissions(self, result: Result) -> dict[str, bool | None] | ItemUnavailable:
        if isinstance(result, Unreadable):
            return ItemUnavailable(self.redact(result.reason))
        try:
            return ev.permissions(result)
        except ItemUnavailable as exc:
            return ItemUnavailable(self.redact(exc.reason))

    def tokens(self, result: Result, granted: dict[str, bool | None] | ItemUnavailable) -> Any:
        """The Intercom tokens, only when the auditing user may see every user's."""
        if isinstance(result, Unreadable):
            return self.unavailable(result.reason)
        if isinstance(granted, ItemUnavailable):
            return self.unavailable(
                f"the auditing user's permissions could not be read ({granted.reason}), so it "
                "is unknown whether Salesforce showed every user's OAuth tokens or only the "
                "auditing user's own")
        if granted["customize_application"] is not True:
            state = "lacks" if granted["customize_application"] is False else (
                "may lack (Salesforce did not say)")
            also = (" Manage Users, which it has, was enough in earlier versions of that rule "
                    "but is not in the current one." if granted["manage_users"] else "")
            return self.unavailable(f"the auditing user {state} the Customize Application "
                                    f"permission; {_CUSTOMIZE_APPLICATION}.{also}")
        return self.convert(result, ev.tokens)

    def integration_users(self, tokens: Any, ids: list[str], later: QueryResults) -> Any:
        if not isinstance(tokens, list):
            return self._needs_tokens(tokens)
        if not ids:
            return []  # no Intercom token, so no integration user
        return self.convert(later["integration_users"], ev.integration_users)

    def activity(self, tokens: Any, ids: list[str], later: QueryResults, window_days: int,
                 since: datetime) -> Any:
        if not isinstance(tokens, list):
            return self._needs_tokens(tokens)
        if not ids:
            # Counting over nobody would report a reassuring 0; say why there is no count.
            return self.unavailable("no Intercom OAuth token was found in Salesforce, so there "
                                    "is no integration user whose Tasks and Accounts could be "
                                    "counted")
        return self.pair(later["tasks_created"], later["accounts_created"],
                         lambda tasks, accounts: ev.activity(tasks, accounts, window_days,
                                                             since))

    def user_logins(self, tokens: Any, ids: list[str], granted: Granted,
                    later: QueryResults) -> Any:
        """Whether each integration user is frozen or locked out (UserLogin)."""
        if not isinstance(tokens, list):
            return self._needs_tokens(tokens)
        if not ids:
            return []  # no Intercom token, so no integration user
        lacking = self._lacking(granted, "manage_users")
        if lacking:
            return lacking
        return self.convert(later["user_logins"], ev.user_logins)

    def field_access(self, tokens: Any, ids: list[str], granted: Granted,
                     mapped: tuple[str, ...] | None, later: QueryResults) -> Any:
        """What each integration user's permission sets grant on the mapped fields."""
        if not isinstance(tokens, list):
            return self._needs_tokens(tokens)
        if mapped is None:
            return self.unavailable(
                "the settings file did not attest the field mappings, so no field permission "
                "was read; write lead_contact_sync.field_mappings in it and collect again")
        lacking = self._lacking(granted, "view_setup")
        if lacking:
            return lacking
        fields = q.field_names(mapped)
        if not ids or not fields:
            return {"fields": fields, "access": []}
        return self.pair(later["integration_users"], later["field_permissions"],
                         lambda users, granting: ev.field_access(users, granting, fields))

    def needing_view_setup(self, granted: Granted, result: Result,
                           convert: Callable[[ev.Page], Any]) -> Any:
        return self._lacking(granted, "view_setup") or self.convert(result, convert)

    def _lacking(self, granted: Granted, permission: str) -> dict[str, str] | None:
        """Unavailable, naming the permission to grant, unless the auditing user holds it."""
        name, why = _NEEDS[permission]
        if isinstance(granted, ItemUnavailable):
            return self.unavailable(f"the auditing user's permissions could not be read "
                                    f"({granted.reason}), so it is unknown whether it holds "
                                    f"{name} ({why}); give it {name} and collect again")
        if granted[permission] is not True:
            state = "lacks" if granted[permission] is False else "may lack (Salesforce did not say)"
            return self.unavailable(f"the auditing user {state} the {name} permission; {why}. "
                                    f"Give the auditing user {name} (a permission set will do), "
                                    "then collect again")
        return None

    def _needs_tokens(self, tokens: dict[str, str]) -> dict[str, str]:
        return self.unavailable(f"the Intercom OAuth tokens, which name the integration users, "
                                f"were unavailable: {tokens['reason']}")

    def active_users(self, users: Result, keys: UserKeys | None, later: QueryResults) -> Any:
        """The active standard users an Intercom teammate or a user mapping names."""
        if isinstance(users, Unreadable):
            return self.unavailable(users.reason)
        if keys is None:
            return self.unavailable("Intercom's teammates were not available to match against "
                                    "Salesforce's active users, so no user was kept")
        pages: list[ev.Page] = [users]
        if not users.done:
            pages = []
            for ref, result in sorted(later.items()):
                if not ref.startswith("matching_users"):
                    continue
                if isinstance(result, Unreadable):
                    return self.unavailable(result.reason)
                pages.append(result)
        return self.guarded(lambda: ev.matching_users(pages, keys))

    def allowance(self, usage: dict[str, int] | None, limits: Result | None) -> Any:
        if usage is not None:  # Sforce-Limit-Info: api-usage=used/max, used may pass max
            return {"daily_max": usage["max"],
                    "daily_remaining": max(usage["max"] - usage["used"], 0), "limit_info": usage}
        if limits is None:  # asked for only when no answer had carried the header
            return self.unavailable("no answer carried the Sforce-Limit-Info header")
        return self.convert(limits, _daily_requests)


def _daily_requests(limits: ev.Page) -> dict[str, Any]:
    answer = limits.records[0]
    daily = answer.child("DailyApiRequests")
    if daily is None:
        raise answer.wrong("DailyApiRequests", "an object")
    return {"daily_max": daily.count("Max"), "daily_remaining": daily.count("Remaining"),
            "limit_info": None}
