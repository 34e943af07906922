"""Shared set-up for the Intercom collector tests: scenarios, a served emulator, a run.

Every emulator a test starts has all its exchanges checked against Intercom's OpenAPI
description when it stops (where the description is present), so no request the
collector sends and no answer the emulator gives goes unchecked.
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import trustme

from auditor.collect.intercom.collector import IntercomOptions, collect_intercom
from tests.emulators.intercom import Fault, IntercomEmulator, Record, Scenario, serve
from tests.intercom_openapi import exchange_problems, load_openapi

TOKEN = "ic-test-token-7f3a91c2d84e"  # distinctive, so a leak is easy to find
SNAPSHOT_SCHEMA = (Path(__file__).resolve().parent.parent
                   / "auditor/documents/schemas/snapshot.schema.json")
NOW = datetime.now(UTC)


def make_scenario(
    *,
    teammates: int = 150,
    events: int = 150,
    users: tuple[int, int] = (900, 12),  # (total, without email)
    leads: tuple[int, int] = (300, 60),
    faults: dict[str, list[Fault]] | None = None,
    **behaviour: Any,
) -> Scenario:
    """A workspace at the size the request budget is stated for; `behaviour` sets the
    Scenario's other fields (activity_paging, activity_search, next_origin)."""
    admins: list[Record] = [
        {"id": str(4417000 + n), "name": f"Teammate {n}", "email": f"teammate{n}@acme.example",
         "has_inbox_seat": n % 3 != 2, "away_mode_enabled": n == 1}
        for n in range(teammates)
    ]
    return Scenario(
        token=TOKEN,
        app={"id_code": "ab12cd34", "name": "Globex Corp", "region": "US",
             "timezone": "America/New_York", "created_at": 1_600_000_000,
             "identity_verification": False},
        me_id=admins[0]["id"],
        admins=admins,
        contacts=_contacts("user", *users) + _contacts("lead", *leads),
        activity_logs=_activity_logs(events),
        faults=faults or {},
        **behaviour,
    )


def _contacts(role: str, total: int, without_email: int) -> list[Record]:
    return [
        {"id": f"{role}-{n}", "role": role,
         "email": None if n < without_email else f"{role}{n}@customer.example"}
        for n in range(total)
    ]


# The Salesforce app's footprint among other activity: (days ago, type, app).
APP_EVENTS = [
    (12, "app_package_installation", "Salesforce"),
    (3, "app_package_token_regeneration", "Salesforce"),
    (40, "app_package_uninstallation", "Slack"),
    (200, "app_package_installation", "Salesforce"),
    (400, "app_package_installation", "Salesforce"),  # outside the 365-day window
]


def _activity_logs(count: int) -> list[Record]:
    def entry(n: int, days_ago: float, kind: str, text: str) -> Record:
        return {
            "id": f"log-{n}",
            "performed_by": {"type": "admin", "id": "4417000",
                             "email": "teammate0@acme.example", "ip": "127.0.0.1"},
            "metadata": {},
            "created_at": int((NOW - timedelta(days=days_ago)).timestamp()),
            "activity_type": kind,
            "activity_description": text,
        }

    logs = [entry(n, days, kind, f"Teammate 0 changed the {app} app ({kind}).")
            for n, (days, kind, app) in enumerate(APP_EVENTS[:count])]
    logs += [entry(n, (n % 360) + 0.5, "admin_login_success", "Teammate 0 logged in.")
             for n in range(len(logs), count)]
    return logs


@dataclass
class Served:
    emulator: IntercomEmulator
    env: dict[str, str]  # what the collector needs to reach it


@dataclass
class Run:
    """One collection: its section, and what the collector did on the way."""

    section: dict[str, Any]
    counted: int  # on_request calls
    sleeps: list[float] = field(default_factory=list)
    # What on_teammates was called with, and how many requests had been counted then.
    published: list[tuple[list[dict[str, Any]] | None, int]] = field(default_factory=list)


_CA_DIR = tempfile.TemporaryDirectory(prefix="intercom-ca-")  # removed at exit


@functools.cache
def _tls() -> tuple[ssl.SSLContext, str]:
    """A test CA (once per session): the server's TLS context and the CA's PEM file."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    ca_file = Path(_CA_DIR.name) / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server, str(ca_file)


@contextmanager
def intercom(scenario: Scenario, *, https: bool = True) -> Iterator[Served]:
    """An emulator for the scenario, over HTTPS trusted through SSL_CERT_FILE by default.

    On a clean exit every exchange is checked against Intercom's OpenAPI description
    (where it is present).
    """
    tls, ca_file = _tls() if https else (None, "")
    with serve(scenario, tls) as (emulator, url):
        env = {"INTERCOM_ACCESS_TOKEN": TOKEN, "INTERCOM_BASE_URL": url}
        if https:
            env["SSL_CERT_FILE"] = ca_file
        yield Served(emulator, env)
    openapi = load_openapi()
    if openapi is not None:
        problems = exchange_problems(openapi, emulator.exchanges)
        assert not problems, "\n".join(problems)


def collect(env: dict[str, str], **options: Any) -> Run:
    """Run the collector with waits recorded instead of slept."""
    run = Run({}, 0)

    def count() -> None:
        run.counted += 1

    async def sleep(seconds: float) -> None:
        run.sleeps.append(seconds)
        await asyncio.sleep(0)

    def publish(teammates: list[dict[str, Any]] | None) -> None:
        run.published.append((teammates, run.counted))

    run.section = collect_intercom(IntercomOptions(env=env, **options), count, sleep=sleep,
                                   on_teammates=publish)
    return run


def collect_checked(scenario: Scenario, **options: Any) -> tuple[Run, Served]:
    """Collect from the scenario, served; the section must validate, have counted its
    requests as the emulator did, and hold no token."""
    with intercom(scenario) as served:
        run = collect(served.env, **options)
    assert_valid_section(run.section)
    assert served.emulator.requests == run.counted == run.section["requests"]
    assert_no_token(run.section)
    return run, served


def unavailable_reasons(section: dict[str, Any]) -> dict[str, str]:
    """The reason of each unavailable item, by item."""
    return {name: item["reason"] for name, item in section.items()
            if isinstance(item, dict) and item.get("status") == "unavailable"}


def assert_valid_section(section: dict[str, Any]) -> None:
    """The section validates against the intercom part of the snapshot schema."""
    schema = json.loads(SNAPSHOT_SCHEMA.read_text(encoding="utf-8"))
    intercom = {"$defs": schema["$defs"], **schema["properties"]["intercom"]}
    jsonschema.Draft202012Validator(
        intercom, format_checker=jsonschema.FormatChecker()
    ).validate(section)


def assert_no_token(*outputs: object) -> None:
    for output in outputs:
        text = output if isinstance(output, str) else json.dumps(output, default=str)
        assert TOKEN not in text
