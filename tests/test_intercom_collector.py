"""The Intercom collector against the emulator over real HTTP(S): evidence and budget."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from auditor.collect import SourceUnavailable
from auditor.collect.intercom.collector import IntercomOptions, collect_intercom
from auditor.documents.errors import InputError
from tests.emulators.intercom import Fault, IntercomEmulator
from tests.intercom_fixtures import (
    TOKEN,
    assert_no_token,
    assert_valid_section,
    collect,
    intercom,
    make_scenario,
)

BUDGET = 8
ITEMS = ["workspace", "teammates", "contacts", "app_events"]


@pytest.mark.parametrize("events", [150, 5_000])
def test_full_collection_holds_every_item_within_the_budget(events: int) -> None:
    with intercom(make_scenario(teammates=150, events=events)) as served:
        run = collect(served.env)
        section = run.section

    assert_valid_section(section)
    assert section["status"] == "collected"
    # The item list is exactly what something reads: no companies, no data attributes.
    assert [key for key in section if key in ITEMS or key.endswith(("companies", "attributes"))
            ] == ITEMS
    assert served.emulator.requests == run.counted == section["requests"] == 6 <= BUDGET
    assert section["api_version"] == "2.16"
    assert section["base_url"] == served.env["INTERCOM_BASE_URL"]
    assert section["workspace"] == {
        "id_code": "ab12cd34", "name": "Globex Corp", "region": "us",
        "timezone": "America/New_York",
        "admin": {"id": "4417000", "name": "Teammate 0", "email": "teammate0@acme.example"},
    }
    teammates = section["teammates"]
    assert len(teammates) == 150
    assert teammates[1] == {"id": "4417001", "name": "Teammate 1",
                            "email": "teammate1@acme.example", "has_inbox_seat": True,
                            "away_mode_enabled": True}
    assert teammates[2]["has_inbox_seat"] is False
    assert section["contacts"] == {"users": {"total": 900, "without_email": 12},
                                   "leads": {"total": 300, "without_email": 60}}
    app_events = section["app_events"]
    assert app_events["window_days"] == 365
    # Newest first, as Intercom lists them; the 400-day-old install is outside the window.
    assert [(e["type"], e["performed_by"]) for e in app_events["events"]] == [
        ("app_package_token_regeneration", "teammate0@acme.example"),
        ("app_package_installation", "teammate0@acme.example"),
        ("app_package_uninstallation", "teammate0@acme.example"),
        ("app_package_installation", "teammate0@acme.example"),
    ]
    assert "Salesforce" in app_events["events"][0]["description"]
    assert_no_token(section)


def test_requests_carry_the_token_the_pinned_version_and_small_pages() -> None:
    with intercom(make_scenario()) as served:
        section = collect(served.env).section

    assert {e.endpoint for e in served.emulator.exchanges} == {
        "GET /me", "GET /admins", "POST /contacts/search", "POST /admins/activity_logs/search"}
    for exchange in served.emulator.exchanges:
        assert exchange.headers["authorization"] == f"Bearer {TOKEN}"
        assert exchange.headers["intercom-version"] == "2.16"
        assert exchange.headers["accept"] == "application/json"
    searches = served.emulator.requests_to("POST /contacts/search")
    assert sorted(s.body["pagination"]["per_page"] for s in searches) == [1, 1, 150]
    (events,) = served.emulator.requests_to("POST /admins/activity_logs/search")
    assert events.query == {}
    assert set(events.body) == {"created_at_after", "event_types", "per_page"}
    assert events.body["event_types"] == ["app_package_installation",
                                          "app_package_uninstallation",
                                          "app_package_token_regeneration"]
    assert events.body["per_page"] == 250
    started = datetime.fromisoformat(section["collected_at"])
    year_before = int((started - timedelta(days=365)).timestamp())
    assert year_before <= events.body["created_at_after"] <= year_before + 1


def test_the_api_version_can_still_be_overridden() -> None:
    with intercom(make_scenario()) as served:
        section = collect({**served.env, "INTERCOM_API_VERSION": "2.14"}).section

    assert section["api_version"] == "2.14"
    assert {e.headers["intercom-version"] for e in served.emulator.exchanges} == {"2.14"}


def test_contacts_without_email_beyond_one_page_cost_one_more_search() -> None:
    with intercom(make_scenario(users=(400, 90), leads=(700, 310))) as served:
        run = collect(served.env)

    assert run.section["contacts"] == {"users": {"total": 400, "without_email": 90},
                                       "leads": {"total": 700, "without_email": 310}}
    assert served.emulator.requests == run.section["requests"] == 7 <= BUDGET


def test_an_empty_workspace_says_no_event_was_seen() -> None:
    with intercom(make_scenario(teammates=1, events=0, users=(0, 0), leads=(0, 0))) as served:
        section = collect(served.env).section

    assert_valid_section(section)
    assert section["contacts"] == {"users": {"total": 0, "without_email": 0},
                                   "leads": {"total": 0, "without_email": 0}}
    # An empty list: no app-package event in the year, which is not "no app installed".
    assert section["app_events"] == {"window_days": 365, "events": []}


def test_teammates_are_published_once_as_soon_as_they_are_read() -> None:
    slow = Fault(delay=0.5, times=99)
    scenario = make_scenario(faults={"POST /contacts/search": [slow],
                                     "POST /admins/activity_logs/search": [slow]})
    seen: list[Any] = []
    with intercom(scenario) as served:

        def publish(teammates: list[dict[str, Any]] | None) -> None:
            seen.append((teammates, _answered(served.emulator)))

        section = collect_intercom(IntercomOptions(env=served.env), on_teammates=publish)

    ((teammates, answered),) = seen
    assert teammates == section["teammates"] and teammates is not section["teammates"]
    # When they were handed over, the slow endpoints had not answered yet.
    assert "GET /admins" in answered
    assert not answered & {"POST /contacts/search", "POST /admins/activity_logs/search"}


def _answered(emulator: IntercomEmulator) -> set[str]:
    return {e.endpoint for e in emulator.exchanges if e.status is not None}


def test_without_ssl_cert_file_the_emulators_certificate_is_not_trusted() -> None:
    with intercom(make_scenario()) as served, pytest.raises(SourceUnavailable) as raised:
        collect({k: v for k, v in served.env.items() if k != "SSL_CERT_FILE"})

    assert "could not be reached" in raised.value.message
    assert "CERTIFICATE_VERIFY_FAILED" in raised.value.message
    assert served.emulator.requests == 0  # no request got past the TLS handshake
    assert_no_token(raised.value.message)


def test_plain_http_on_this_machine_works() -> None:
    with intercom(make_scenario(), https=False) as served:
        assert len(collect(served.env).section["teammates"]) == 150


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "INTERCOM_ACCESS_TOKEN is not set"),
        ({"INTERCOM_ACCESS_TOKEN": "  "}, "--no-intercom"),
        ({"INTERCOM_ACCESS_TOKEN": "t", "INTERCOM_REGION": "mars"},
         "expected one of us, eu, au"),
        ({"INTERCOM_ACCESS_TOKEN": "t", "INTERCOM_BASE_URL": "http://api.example.com"},
         "plain http:// only for 127.0.0.1"),
        ({"INTERCOM_ACCESS_TOKEN": "t", "INTERCOM_API_VERSION": "latest"},
         "not an Intercom API version: expected a number such as 2.16 (the default)"),
        ({"INTERCOM_ACCESS_TOKEN": "t", "SSL_CERT_FILE": "/nonexistent/ca.pem"},
         "SSL_CERT_FILE holds 19 characters that look like a file path, which could not be "
         "loaded"),
    ],
)
def test_bad_configuration_is_an_input_error(env: dict[str, str], expected: str) -> None:
    published: list[Any] = []
    with pytest.raises(InputError, match=re.escape(expected)):
        collect_intercom(IntercomOptions(env=env), on_teammates=published.append)
    assert published == [None]  # whoever waits for the teammates is told there are none


def test_the_region_chooses_the_host() -> None:
    from auditor.collect.intercom.config import resolve_connection

    def host(env: dict[str, str]) -> str:
        return resolve_connection({"INTERCOM_ACCESS_TOKEN": "t", **env}).base_url

    assert host({}) == "https://api.intercom.io"
    assert host({"INTERCOM_REGION": "EU"}) == "https://api.eu.intercom.io"
    assert host({"INTERCOM_REGION": "au"}) == "https://api.au.intercom.io"
    assert host({"INTERCOM_REGION": "eu",
                 "INTERCOM_BASE_URL": "https://proxy.example/"}) == "https://proxy.example"
