"""The Salesforce collector: the org's side of the Intercom integration, in 4 requests.

See salesforce_queries for what is asked and how the requests are grouped,
salesforce_api for retries and error handling, salesforce_auth for signing in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from auditor.collectors import RequestCounter, SourceUnavailable, ignore_request
from auditor.collectors import salesforce_queries as q
from auditor.collectors.salesforce_api import (
    Api,
    QueryResults,
    RequestFailed,
    RetryPolicy,
    Unreadable,
)
from auditor.collectors.salesforce_auth import open_session
from auditor.snapshot import timestamp, unavailable, utc_now


@dataclass(frozen=True)
class SalesforceOptions:
    target_org: str | None = None  # --sf-target-org
    window_days: int = 30  # --window-days
    timeout: float = 30.0  # --timeout
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def collect_salesforce(options: SalesforceOptions, on_request: RequestCounter = ignore_request,
                       *, retry: RetryPolicy | None = None) -> dict[str, Any]:
    """The `collected` salesforce section of a snapshot.

    Raises InputError for missing or bad configuration, SourceUnavailable when nothing
    can be collected (login refused, token rejected, allowance spent, unreachable).
    """
    session = open_session(options.target_org, options.env, options.timeout)
    api = Api(session, timeout=options.timeout, retry=retry or RetryPolicy(),
              on_request=on_request)
    collected_at = utc_now()
    since = collected_at - timedelta(days=options.window_days)
    try:
        first = api.run(q.first_round())
    except RequestFailed as exc:
        # Nothing has been read yet, and the next requests would only fail the same way.
        raise SourceUnavailable(f"Salesforce at {session.instance_url} could not be read: "
                                f"{exc.reason}.", requests=api.requests) from None
    tokens = _item(first["tokens"], q.tokens)
    ids = q.token_user_ids(tokens) if isinstance(tokens, list) else []
    second = api.attempt(q.second_round(ids, since))
    tooling = api.attempt(q.tooling_round())
    limits = api.limits()
    return {
        "status": "collected",
        "collected_at": timestamp(collected_at),
        "requests": api.requests,
        "api_version": session.api_version,
        "instance_url": session.instance_url,
        "org": _item(first["org"], q.org),
        "api_allowance": _allowance(limits, api.limit_info),
        "intercom_tokens": tokens,
        "integration_users": _needs_tokens(tokens, lambda: _item(
            second["users"], lambda users: q.integration_users(users, ids))),
        "active_users": _item(second["users"], q.active_users),
        "case_record_types": _item(tooling["record_types"], q.record_types),
        "case_assignment_rules": _item(first["assignment_rules"], q.assignment_rules),
        "integration_activity": _needs_tokens(tokens, lambda: _activity(
            second, options.window_days, since)),
        "leads": _email_quality(first, "lead"),
        "contacts": _email_quality(second, "contact"),
        "installed_packages": _item(tooling["packages"], q.packages),
    }


def _item(result: q.Records | Unreadable, convert: Callable[[q.Records], Any]) -> Any:
    if isinstance(result, Unreadable):
        return unavailable(result.reason)
    return _shaped(lambda: convert(result))


def _shaped(evidence: Callable[[], Any]) -> Any:
    """Evidence from an answer, or unavailable when the answer lacks what it should hold."""
    try:
        return evidence()
    except (LookupError, TypeError, ValueError) as exc:
        return unavailable(f"Salesforce's answer had an unexpected shape ({type(exc).__name__})")


def _needs_tokens(tokens: Any, evidence: Callable[[], Any]) -> Any:
    """Integration users are the users of the Intercom tokens: without tokens, none."""
    if not isinstance(tokens, list):
        return unavailable(f"the Intercom OAuth tokens, which name the integration users, were "
                           f"unavailable: {tokens['reason']}")
    return evidence()


def _activity(results: QueryResults, window_days: int, since: datetime) -> Any:
    if "tasks_created" not in results:
        # Counting over nobody would report a reassuring 0; say why there is no count.
        return unavailable("no Intercom OAuth token was found in Salesforce, so there is no "
                           "integration user whose Tasks and Accounts could be counted")
    return _pair(results["tasks_created"], results["accounts_created"],
                 lambda tasks, accounts: q.activity(tasks, accounts, window_days, since))


def _email_quality(results: QueryResults, key: str) -> Any:
    return _pair(results[f"{key}_totals"], results[f"{key}_duplicates"], q.email_quality)


def _pair(one: q.Records | Unreadable, other: q.Records | Unreadable,
          convert: Callable[[q.Records, q.Records], Any]) -> Any:
    """One item made of two answers: unavailable if either is."""
    if isinstance(one, Unreadable):
        return unavailable(one.reason)
    if isinstance(other, Unreadable):
        return unavailable(other.reason)
    return _shaped(lambda: convert(one, other))


def _allowance(limits: dict[str, Any] | Unreadable, limit_info: dict[str, int] | None) -> Any:
    if isinstance(limits, Unreadable):
        return unavailable(limits.reason)
    daily = limits.get("DailyApiRequests") or {}
    if "Max" not in daily or "Remaining" not in daily:
        return unavailable("/limits holds no DailyApiRequests")
    return {"daily_max": daily["Max"], "daily_remaining": daily["Remaining"],
            "limit_info": limit_info}
