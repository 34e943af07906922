"""The Intercom collector against the emulator over real HTTP(S): evidence and budget."""

from __future__ import annotations

import pytest

from auditor.collectors import SourceUnavailable
from auditor.collectors.intercom import IntercomOptions, collect_intercom
from auditor.errors import InputError
from tests.intercom_fixtures import (
    TOKEN,
    assert_no_token,
    assert_valid_section,
    collect,
    intercom,
    make_scenario,
)

BUDGET = 8


def test_full_collection_holds_every_item_within_the_budget(
) -> None:
    with intercom(make_scenario(teammates=150, events=150)) as served:
        run = collect(served.env)
        section = run.section

    assert_valid_section(section)
    assert section["status"] == "collected"
    assert served.emulator.requests == run.counted == section["requests"] <= BUDGET
    assert section["api_version"] == "2.11"
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
    assert section["companies"] == {"total": 1530}
    events = section["app_events"]
    assert events["window_days"] == 90
    assert [(e["type"], e["performed_by"]) for e in events["events"]] == [
        ("app_package_token_regeneration", "teammate0@acme.example"),
        ("app_package_installation", "teammate0@acme.example"),
        ("app_package_uninstallation", "teammate0@acme.example"),
    ]
    assert "Salesforce" in events["events"][0]["description"]
    assert section["salesforce_attributes"] == [
        {"name": "salesforce_lead_id", "label": "Salesforce Lead ID", "data_type": "string",
         "custom": False},
        {"name": "sfdc_owner", "label": "SalesForce owner", "data_type": "string",
         "custom": True},
    ]
    assert_no_token(section)


def test_requests_carry_the_token_version_and_small_pages(
) -> None:
    with intercom(make_scenario()) as served:
        collect({**served.env, "INTERCOM_API_VERSION": "2.14"})

    for exchange in served.emulator.exchanges:
        assert exchange.headers["authorization"] == f"Bearer {TOKEN}"
        assert exchange.headers["intercom-version"] == "2.14"
        assert exchange.headers["accept"] == "application/json"
    searches = served.emulator.requests_to("POST /contacts/search")
    assert sorted(s.body["pagination"]["per_page"] for s in searches) == [1, 1, 150]
    assert served.emulator.requests_to("GET /companies")[0].query["per_page"] == ["1"]
    (logs,) = served.emulator.requests_to("GET /admins/activity_logs")
    assert logs.query["per_page"] == ["250"]
    assert served.emulator.requests_to("GET /data_attributes")[0].query["model"] == ["contact"]


def test_activity_logs_are_followed_page_by_page() -> None:
    with intercom(make_scenario(events=600)) as served:
        run = collect(served.env)

    pages = served.emulator.requests_to("GET /admins/activity_logs")
    assert len(pages) == 3
    assert "starting_after" not in pages[0].query
    assert all(p.query["starting_after"] and p.query["per_page"] == ["250"] for p in pages[1:])
    assert len(run.section["app_events"]["events"]) == 3
    assert served.emulator.requests == run.section["requests"] == BUDGET + 2


def test_too_many_activity_pages_leave_only_app_events_unavailable(
) -> None:
    with intercom(make_scenario(events=20 * 250 + 2)) as served:
        section = collect(served.env).section

    assert section["app_events"]["status"] == "unavailable"
    assert "more than 20 pages" in section["app_events"]["reason"]
    assert section["contacts"]["users"]["total"] == 900


def test_contacts_without_email_beyond_one_page_cost_one_more_search(
) -> None:
    with intercom(make_scenario(users=(400, 90), leads=(700, 310))) as served:
        run = collect(served.env)

    assert run.section["contacts"] == {"users": {"total": 400, "without_email": 90},
                                       "leads": {"total": 700, "without_email": 310}}
    assert served.emulator.requests == run.section["requests"] == BUDGET + 1


def test_an_empty_workspace() -> None:
    with intercom(make_scenario(teammates=1, events=0, users=(0, 0), leads=(0, 0),
                                    companies=0)) as served:
        section = collect(served.env).section

    assert_valid_section(section)
    assert section["contacts"] == {"users": {"total": 0, "without_email": 0},
                                   "leads": {"total": 0, "without_email": 0}}
    assert section["companies"] == {"total": 0}
    assert section["app_events"]["events"] == []


def test_without_ssl_cert_file_the_emulators_certificate_is_not_trusted() -> None:
    with intercom(make_scenario()) as served, pytest.raises(SourceUnavailable) as raised:
        collect({k: v for k, v in served.env.items() if k != "SSL_CERT_FILE"})

    assert "could not be reached" in raised.value.message
    assert "CERTIFICATE_VERIFY_FAILED" in raised.value.message
    assert served.emulator.requests == 0  # no request got past the TLS handshake
    assert_no_token(raised.value.message)


def test_plain_http_on_this_machine_works() -> None:
    with intercom(make_scenario(), https=False) as served:
        assert collect(served.env).section["companies"] == {"total": 1530}


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
         "not an Intercom API version"),
        ({"INTERCOM_ACCESS_TOKEN": "t", "SSL_CERT_FILE": "/nonexistent/ca.pem"},
         "SSL_CERT_FILE='/nonexistent/ca.pem' could not be loaded"),
    ],
)
def test_bad_configuration_is_an_input_error(env: dict[str, str], expected: str) -> None:
    with pytest.raises(InputError, match=expected.replace(".", r"\.").replace("+", r"\+")):
        collect_intercom(IntercomOptions(env=env))


def test_the_region_chooses_the_host() -> None:
    from auditor.collectors.intercom_config import resolve_connection

    def host(env: dict[str, str]) -> str:
        return resolve_connection({"INTERCOM_ACCESS_TOKEN": "t", **env}).base_url

    assert host({}) == "https://api.intercom.io"
    assert host({"INTERCOM_REGION": "EU"}) == "https://api.eu.intercom.io"
    assert host({"INTERCOM_REGION": "au"}) == "https://api.au.intercom.io"
    assert host({"INTERCOM_REGION": "eu",
                 "INTERCOM_BASE_URL": "https://proxy.example/"}) == "https://proxy.example"
