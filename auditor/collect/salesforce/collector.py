"""The Salesforce collector: the org's side of the Intercom integration, in 4 or 5 requests.

Round 1 sends, all at once, the two Composite requests and the Tooling API query of
queries.py (and asks the UserInfo endpoint who the token belongs to when signing in did
not tell). Round 2, one Composite Batch request holding what needs the Intercom tokens'
users, leaves as soon as the first Composite request is answered; it also asks for the
org's limits when that answer carried no Sforce-Limit-Info header. See api.py for
retries and error handling, auth.py for signing in, evidence.py and items.py for how
answers become evidence.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from requests.adapters import HTTPAdapter

from auditor.collect import (
    Access,
    Preflight,
    RequestCounter,
    SourceUnavailable,
    UserKeys,
    UserKeysSource,
    ignore_request,
    no_user_keys,
)
from auditor.collect.answers import ItemUnavailable
from auditor.collect.salesforce import evidence as ev
from auditor.collect.salesforce import queries as q
from auditor.collect.salesforce.api import (
    Api,
    QueryResults,
    RequestFailed,
    RetryPolicy,
    Stopped,
    Unreadable,
)
from auditor.collect.salesforce.auth import Session, open_session
from auditor.collect.salesforce.items import Items
from auditor.documents.snapshot import timestamp, utc_now


@dataclass(frozen=True)
class SalesforceOptions:
    target_org: str | None = None  # --sf-target-org
    window_days: int = 30  # --window-days
    timeout: float = 30.0  # --timeout
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # Intercom's teammates' emails and the mapped usernames; blocks until they are known.
    user_keys: UserKeysSource = no_user_keys
    # The Salesforce fields the settings' field mappings name; None: not attested.
    mapped_fields: tuple[str, ...] | None = None


def collect_salesforce(options: SalesforceOptions, on_request: RequestCounter = ignore_request,
                       *, retry: RetryPolicy | None = None,
                       transport: HTTPAdapter | None = None) -> dict[str, Any]:
    """The `collected` salesforce section of a snapshot.

    Raises InputError for missing or bad configuration, SourceUnavailable when nothing
    can be collected (login refused, token rejected, allowance spent, unreachable).
    `transport` replaces HTTPS for every request (tests).
    """
    session = open_session(options.target_org, options.env, options.timeout, transport)
    collected_at = utc_now()
    api = Api(session, timeout=options.timeout, retry=retry or RetryPolicy(),
              on_request=on_request)
    try:
        with api:  # leaving waits for every request under way, so the count is final
            section = _Collection(api, session, options, collected_at).run()
    except Stopped as stop:
        raise SourceUnavailable(stop.message, requests=api.requests) from None
    except _NothingRead as failed:
        raise SourceUnavailable(f"Salesforce at {session.instance_url} could not be read: "
                                f"{session.redact(failed.reason)}.",
                                requests=api.requests) from None
    return {"status": "collected", "collected_at": timestamp(collected_at),
            "requests": api.requests, "api_version": session.api_version,
            "instance_url": session.instance_url, **section}


# The permissions `auditor doctor` reports, and the items each one's absence leaves
# unavailable (items.py decides them from the same permissions); the others are shown so
# that a person sees the whole of what the auditing user holds.
_ACCESS = (("API Enabled", "api_enabled", ()),
           ("View Setup and Configuration", "view_setup",
            ("mapped_field_access", "duplicate_rules", "validation_rules")),
           ("Customize Application", "customize_application",
            ("intercom_tokens", "integration_users", "integration_activity",
             "integration_user_logins", "mapped_field_access")),
           ("Manage Users", "manage_users", ("integration_user_logins",)),
           ("View All Data", "view_all_data", ()))


def probe_salesforce(options: SalesforceOptions, on_request: RequestCounter = ignore_request,
                     *, retry: RetryPolicy | None = None,
                     transport: HTTPAdapter | None = None) -> Preflight:
    """What `auditor doctor` shows: signing in, and the auditing user's permissions, in at
    most two requests (the permissions query, and UserInfo when signing in did not say
    who the token belongs to). Neither is tried again: a preflight reports a failing
    answer (a 5xx, a dropped connection) instead of retrying it, as Intercom's does."""
    def unreachable(problem: str, requests: int) -> Preflight:
        return Preflight("salesforce", reachable=False, signed_in_as=None, api_version=None,
                         access=(), problem=problem, requests=requests)

    try:
        session = open_session(options.target_org, options.env, options.timeout, transport)
    except SourceUnavailable as exc:
        return unreachable(exc.message, exc.requests)
    api = Api(session, timeout=options.timeout, retry=retry or RetryPolicy(attempts=1),
              on_request=on_request)
    permissions = q.access_queries()[:1]
    try:
        with api:
            asked = api.submit(api.identity) if None in (session.identity.user_id,
                                                         session.identity.username) else None
            answer = api.composite(permissions)
            told = asked.result() if asked else ev.Identity()
    except Stopped as stop:
        return unreachable(stop.message, api.requests)
    except RequestFailed as failed:
        return unreachable(f"Salesforce at {session.instance_url} could not be read: "
                           f"{session.redact(failed.reason)}", api.requests)
    granted = Items(session.redact).permissions(answer[permissions[0].ref])
    held = {} if isinstance(granted, ItemUnavailable) else granted
    signed = session.identity
    return Preflight(
        "salesforce", reachable=True,
        signed_in_as=signed.username or told.username or signed.user_id or told.user_id,
        api_version=session.api_version,
        access=tuple(Access(name, held.get(key), items) for name, key, items in _ACCESS),
        problem=granted.reason if isinstance(granted, ItemUnavailable) else None,
        requests=api.requests)


class _NothingRead(Exception):
    """Every request of the first round failed: there is nothing to report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Collection:
    def __init__(self, api: Api, session: Session, options: SalesforceOptions,
                 collected_at: datetime) -> None:
        self.api = api
        self.session = session
        self.options = options
        self.since = collected_at - timedelta(days=options.window_days)
        self.items = Items(session.redact)

    def run(self) -> dict[str, Any]:
        api, items = self.api, self.items
        access = api.submit(api.composite, q.access_queries())
        records = api.submit(api.composite, q.record_queries())
        tooling = api.submit(api.tooling, q.validation_rule_query())
        signed = self.session.identity
        asked = api.submit(api.identity) if None in (signed.user_id, signed.username) else None
        first = _settled(access)
        if isinstance(first, RequestFailed):
            if isinstance(_settled(records), RequestFailed):
                raise _NothingRead(first.reason)
            first = _failed(first, q.access_queries())

        granted = items.permissions(first["permissions"])
        tokens = items.tokens(first["tokens"], granted)
        ids = q.token_user_ids(t["user_id"] for t in tokens) if isinstance(tokens, list) else []
        users = first["users"]
        keys: UserKeys | None = None
        mapped = self.options.mapped_fields
        followups = [*q.integration_queries(ids, self.since, mapped or ()),
                     q.duplicate_rule_query()]
        if api.limit_info is None:  # no Sforce-Limit-Info header so far: ask in round 2
            followups.append(q.LIMITS)
        spread = isinstance(users, ev.Page) and not users.done
        if spread:  # more users than a page: ask for the matching ones (waits for Intercom)
            keys = self.options.user_keys()
            if keys is not None:
                followups += q.matching_user_queries(keys, self.session.api_version)
        round_two = [api.submit(api.batch, batch) for batch in q.batches(followups)]
        if isinstance(users, ev.Page) and users.done:
            keys = self.options.user_keys()

        second = _settled(records)
        if isinstance(second, RequestFailed):
            second = _failed(second, q.record_queries())
        later: QueryResults = {}
        for future in (*round_two, tooling):
            later.update(future.result())
        told = asked.result() if asked else ev.Identity()
        identity = ev.Identity(signed.user_id or told.user_id, signed.username or told.username)
        return {
            "audited_as": ev.audited_as(identity, granted),
            "org": items.convert(first["org"], ev.org),
            "api_allowance": items.allowance(api.limit_info, later.get(q.LIMITS.ref)),
            "intercom_tokens": tokens,
            "integration_users": items.integration_users(tokens, ids, later),
            "integration_user_logins": items.user_logins(tokens, ids, granted, later),
            "mapped_field_access": items.field_access(tokens, ids, granted, mapped, later),
            "active_users": items.active_users(users, keys, later),
            "case_record_types": items.convert(first["record_types"], ev.record_types),
            "integration_activity": items.activity(tokens, ids, later, self.options.window_days,
                                                   self.since),
            "leads": items.pair(second["lead_totals"], second["lead_duplicates"],
                                ev.email_quality),
            "contacts": items.pair(second["contact_totals"], second["contact_duplicates"],
                                   ev.email_quality),
            "installed_packages": items.convert(second["packages"], ev.packages),
            "lead_fields": items.convert(second["lead_describe"], ev.describe_fields),
            "contact_fields": items.convert(second["contact_describe"], ev.describe_fields),
            "duplicate_rules": items.needing_view_setup(granted, later["duplicate_rules"],
                                                        ev.duplicate_rules),
            "validation_rules": items.needing_view_setup(granted, later["validation_rules"],
                                                         ev.validation_rules),
        }


def _settled(future: Future[QueryResults]) -> QueryResults | RequestFailed:
    try:
        return future.result()
    except RequestFailed as failed:
        return failed


def _failed(failure: RequestFailed, queries: Sequence[q.Query]) -> QueryResults:
    return {query.ref: Unreadable(failure.reason) for query in queries}
