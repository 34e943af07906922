"""The Intercom collector: fills the snapshot's `intercom` section through Intercom's REST API.

All items are read concurrently on one asyncio event loop with one httpx.AsyncClient:
a single connection pool and a single request counter, and no threads to coordinate.
The loop runs inside collect_intercom, so callers stay synchronous.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from auditor.collectors import RequestCounter, SourceUnavailable, ignore_request
from auditor.collectors.intercom_client import (
    IntercomClient,
    ItemUnavailable,
    RetryPolicy,
    Sleep,
    TokenRejected,
    gather_all,
)
from auditor.collectors.intercom_config import Connection, resolve_connection
from auditor.collectors.intercom_readers import (
    read_app_events,
    read_companies,
    read_contacts,
    read_salesforce_attributes,
    read_teammates,
    read_workspace,
)
from auditor.snapshot import timestamp, unavailable, utc_now


@dataclass(frozen=True)
class IntercomOptions:
    timeout: float = 30.0  # --timeout
    max_wait: float = 60.0  # --max-wait: longest wait on a 429
    activity_days: int = 90  # how far back the app events go
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def collect_intercom(
    options: IntercomOptions,
    on_request: RequestCounter = ignore_request,
    *,
    sleep: Sleep = asyncio.sleep,
) -> dict[str, Any]:
    """The `collected` intercom section; `sleep` is replaceable so tests need not wait.

    Raises InputError for missing or malformed configuration, and SourceUnavailable when
    the token is rejected or Intercom cannot be reached at all.
    """
    connection = resolve_connection(options.env)
    return asyncio.run(_collect(connection, options, on_request, sleep))


async def _collect(
    connection: Connection, options: IntercomOptions, on_request: RequestCounter, sleep: Sleep
) -> dict[str, Any]:
    started = utc_now()
    policy = RetryPolicy(max_wait=options.max_wait, timeout=options.timeout)
    async with _http_client(connection, options.timeout) as http:
        client = IntercomClient(
            http, token=connection.token, policy=policy, on_request=on_request, sleep=sleep
        )
        readers = _readers(options, started)
        try:
            results = await gather_all(*(_item(read(client)) for read in readers.values()))
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
        section[name] = unavailable(item.error.reason) if isinstance(item, _Missing) else item
    return section


def _readers(
    options: IntercomOptions, now: datetime
) -> dict[str, Callable[[IntercomClient], Awaitable[Any]]]:
    async def app_events(client: IntercomClient) -> dict[str, Any]:
        return await read_app_events(client, options.activity_days, now)

    return {
        "workspace": read_workspace,
        "teammates": read_teammates,
        "contacts": read_contacts,
        "companies": read_companies,
        "app_events": app_events,
        "salesforce_attributes": read_salesforce_attributes,
    }


@dataclass(frozen=True)
class _Missing:
    """An item that could not be read; kept as a value so the other items still count."""

    error: ItemUnavailable


async def _item(reading: Awaitable[Any]) -> Any:
    """The item's data, or _Missing with the reason there is none."""
    try:
        return await reading
    except ItemUnavailable as error:
        return _Missing(error)


def _http_client(connection: Connection, timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
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
