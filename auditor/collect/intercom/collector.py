"""The Intercom collector: fills the snapshot's `intercom` section through Intercom's REST API.

All items are read concurrently on one asyncio event loop with one httpx.AsyncClient:
a single connection pool and a single request counter, and no threads to coordinate.
The loop runs inside collect_intercom, so callers stay synchronous.

Nothing Intercom sends ends the collection: an item whose answer cannot be read, or whose
reader fails in a way nobody foresaw, becomes that item's `unavailable` reason and the
other items are kept. Only a rejected token, or no answer at all to any request, makes
the whole source unavailable (SourceUnavailable).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from auditor.collect import (
    RequestCounter,
    SourceUnavailable,
    TeammatesSink,
    ignore_request,
    ignore_teammates,
)
from auditor.collect.answers import ItemUnavailable
from auditor.collect.intercom.client import (
    IntercomClient,
    RetryPolicy,
    Sleep,
    TokenRejected,
    gather_all,
)
from auditor.collect.intercom.config import Connection, resolve_connection
from auditor.collect.intercom.readers import (
    read_app_events,
    read_contacts,
    read_teammates,
    read_workspace,
)
from auditor.documents.snapshot import timestamp, unavailable, utc_now

log = logging.getLogger(__name__)

Teammates = list[dict[str, Any]]


@dataclass(frozen=True)
class IntercomOptions:
    timeout: float = 30.0  # --timeout
    max_wait: float = 60.0  # --max-wait: longest wait on a 429
    # How far back app-package events are looked for: installs are rare, so a year.
    activity_days: int = 365
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def collect_intercom(
    options: IntercomOptions,
    on_request: RequestCounter = ignore_request,
    *,
    sleep: Sleep = asyncio.sleep,
    on_teammates: TeammatesSink = ignore_teammates,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """The `collected` intercom section; `sleep` and `transport` (the network) are
    replaceable so tests need not wait, nor always serve HTTP.

    `on_teammates` is called exactly once: with the teammates (as the section stores
    them) as soon as they are read, or with None when they cannot be, whatever ends the
    collection. Raises InputError for missing or malformed configuration, and
    SourceUnavailable when the token is rejected or Intercom cannot be reached at all.
    """
    publish = _Once(on_teammates)
    try:
        connection = resolve_connection(options.env)
        http = http_client(connection, options.timeout, transport)
        return asyncio.run(_collect(connection, options, http, on_request, sleep, publish))
    finally:
        publish(None)  # nothing happens when the teammates were already published


class _Once:
    """The teammates sink, called at most once whatever path the collection takes."""

    def __init__(self, sink: TeammatesSink) -> None:
        self._sink = sink
        self._called = False

    def __call__(self, teammates: Teammates | None) -> None:
        if not self._called:
            self._called = True
            self._sink(teammates)


async def _collect(
    connection: Connection,
    options: IntercomOptions,
    http: httpx.AsyncClient,
    on_request: RequestCounter,
    sleep: Sleep,
    publish: _Once,
) -> dict[str, Any]:
    started = utc_now()
    policy = RetryPolicy(max_wait=options.max_wait, timeout=options.timeout)
    async with http:
        client = IntercomClient(
            http, token=connection.token, policy=policy, on_request=on_request, sleep=sleep
        )
        readers = _readers(options, started, publish)
        try:
            results = await gather_all(
                *(_item(name, read(client)) for name, read in readers.items())
            )
        except TokenRejected as rejected:
            message = _rejected(rejected, connection)
            raise SourceUnavailable(message, requests=client.requests) from None
    items = dict(zip(readers, results, strict=True))
    if all(isinstance(item, _Missing) and item.error.unreachable for item in items.values()):
        first = next(iter(items.values())).error
        raise SourceUnavailable(_unreachable(first, connection), requests=client.requests)
    section: dict[str, Any] = {
        "status": "collected",
        "collected_at": timestamp(started),
        "requests": client.requests,
        "api_version": connection.api_version,
        "base_url": connection.base_url,
    }
    for name, item in items.items():
        if isinstance(item, _Missing):
            item = unavailable(client.redact(item.error.reason))
        section[name] = item
    return section


def _readers(
    options: IntercomOptions, now: datetime, publish: _Once
) -> dict[str, Callable[[IntercomClient], Awaitable[Any]]]:
    async def teammates(client: IntercomClient) -> Teammates:
        try:
            found = await read_teammates(client)
        except BaseException:
            publish(None)  # the Salesforce side must not wait for the rest of Intercom
            raise
        publish([dict(teammate) for teammate in found])
        return found

    async def app_events(client: IntercomClient) -> dict[str, Any]:
        return await read_app_events(client, options.activity_days, now)

    return {
        "workspace": read_workspace,
        "teammates": teammates,
        "contacts": read_contacts,
        "app_events": app_events,
    }


@dataclass(frozen=True)
class _Missing:
    """An item that could not be read; kept as a value so the other items still count."""

    error: ItemUnavailable


async def _item(name: str, reading: Awaitable[Any]) -> Any:
    """The item's data, or _Missing with the reason there is none."""
    try:
        return await reading
    except TokenRejected:
        raise  # ends the whole source
    except ItemUnavailable as error:
        return _Missing(error)
    except Exception as error:  # a case nobody foresaw must cost one item, not the audit
        log.debug("Intercom %s: unexpected failure", name, exc_info=True)
        return _Missing(ItemUnavailable(
            f"{name}: the collector failed unexpectedly while reading it "
            f"({type(error).__name__}: {error}); please report this"
        ))


def http_client(
    connection: Connection, timeout: float, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=transport,
        base_url=connection.base_url,
        headers={
            "Authorization": f"Bearer {connection.token}",
            "Intercom-Version": connection.api_version,
            "Accept": "application/json",
        },
        timeout=timeout,
        verify=connection.verify,
        # Only options.env configures the collector, not the process environment.
        trust_env=False,
    )


def _rejected(failure: TokenRejected, connection: Connection) -> str:
    return (
        f"Intercom rejected the access token ({failure}). Check INTERCOM_ACCESS_TOKEN: it "
        "may be mistyped or revoked, or belong to a workspace hosted in another region "
        f"(requests went to {connection.base_url}; set INTERCOM_REGION to us, eu or au). "
        "Or run with --no-intercom."
    )


def _unreachable(failure: ItemUnavailable, connection: Connection) -> str:
    return (
        f"Intercom could not be reached at {connection.base_url} ({failure.reason}). "
        "Check the network, INTERCOM_REGION or INTERCOM_BASE_URL, and SSL_CERT_FILE when a "
        "proxy re-signs TLS; or run with --no-intercom."
    )
