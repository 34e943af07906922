"""`auditor doctor` for Intercom: is the token good, whose is it, what may it read?

Intercom lists no token's scopes, so a scope shows only in whether a request needing it
is answered. Two requests, read side by side:

    GET  /me                 the token works, as whom, which workspace ("Read admins",
                             which the teammate list needs too)
    POST /contacts/search    one contact: "Read and list users and companies"

The activity-log scope is not checked within two requests; only the optional app events
rest on it, so no rule turns unknown for want of it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from auditor.collect import Access, Preflight, RequestCounter, ignore_request
from auditor.collect.answers import ItemUnavailable
from auditor.collect.intercom.client import IntercomClient, RetryPolicy, TokenRejected
from auditor.collect.intercom.collector import IntercomOptions, http_client
from auditor.collect.intercom.config import Connection, resolve_connection
from auditor.collect.intercom.readers import read_workspace

_ONE_CONTACT = {"query": {"field": "role", "operator": "=", "value": "user"},
                "pagination": {"per_page": 1}}
# A request answered with these statuses was refused for want of a scope or permission.
_REFUSED = (403,)


def probe_intercom(options: IntercomOptions,
                   on_request: RequestCounter = ignore_request) -> Preflight:
    connection = resolve_connection(options.env)
    return asyncio.run(_probe(connection, options, on_request))


async def _probe(connection: Connection, options: IntercomOptions,
                 on_request: RequestCounter) -> Preflight:
    policy = RetryPolicy(max_wait=0.0, timeout=options.timeout, attempts=1,
                         rate_limited_attempts=1)

    async def no_wait(_: float) -> None:
        """A preflight reports a slow answer instead of waiting it out."""

    async with http_client(connection, options.timeout) as http:
        client = IntercomClient(http, token=connection.token, policy=policy,
                                on_request=on_request, sleep=no_wait)
        me, contacts = await asyncio.gather(
            _attempt(read_workspace(client)),
            _attempt(client.post("/contacts/search", _ONE_CONTACT)),
        )

    def found(*, reachable: bool, problem: str | None = None, who: str | None = None,
              access: tuple[Access, ...] = ()) -> Preflight:
        return Preflight("intercom", reachable=reachable, signed_in_as=who,
                         api_version=connection.api_version, access=access,
                         problem=problem, requests=client.requests)

    if isinstance(me, TokenRejected) or isinstance(contacts, TokenRejected):
        return found(reachable=True, problem=(
            "Intercom rejected INTERCOM_ACCESS_TOKEN (401): it is mistyped or revoked, or "
            f"belongs to a workspace in another region (asked {connection.base_url})"))
    if isinstance(me, ItemUnavailable) and me.unreachable and (
            isinstance(contacts, ItemUnavailable) and contacts.unreachable):
        return found(reachable=False, problem=f"Intercom could not be reached: {me.reason}")
    return found(reachable=True, who=_who(me), access=(
        Access("Read admins", _granted(me), ("workspace", "teammates")),
        Access("Read and list users and companies", _granted(contacts), ("contacts",)),
        Access("Read admin activity logs", None, ("app_events",)),
    ))


async def _attempt(reading: Any) -> Any:
    try:
        return await reading
    except (ItemUnavailable, TokenRejected) as failure:
        return failure


def _granted(result: Any) -> bool | None:
    if not isinstance(result, ItemUnavailable):
        return True
    return False if result.status in _REFUSED else None


def _who(me: Any) -> str | None:
    if not isinstance(me, dict):
        return None
    admin, workspace = me["admin"], me
    person = admin.get("email") or admin.get("name") or admin["id"]
    region = f", {workspace['region'].upper()} region" if workspace.get("region") else ""
    return f"{person} in workspace {workspace['name']} ({workspace['id_code']}{region})"
