"""Answers of the wrong shape, bodies that are not JSON, bodies cut short, and readers that
fail unexpectedly: each costs exactly its own item, with a reason naming the endpoint,
what was expected and what came, and the other items are kept."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.collect import SourceUnavailable
from auditor.collect.intercom import collector as collector
from auditor.collect.intercom.collector import IntercomOptions, collect_intercom
from tests.emulators.intercom import Fault
from tests.intercom_fixtures import (
    Run,
    collect_checked,
    intercom,
    make_scenario,
    unavailable_reasons,
)

SEARCH = "POST /admins/activity_logs/search"
ENDPOINT_ITEM = {"GET /me": "workspace", "GET /admins": "teammates",
                 "POST /contacts/search": "contacts", SEARCH: "app_events"}
PROXY_PAGE = (b"<html><head><title>Sign in to Acme SSO</title></head>"
              b"<body><form action=/login></form></body></html>")


def collect_with(faults: dict[str, list[Fault]]) -> Run:
    return collect_checked(make_scenario(faults=faults))[0]


def reasons(run: Run) -> dict[str, str]:
    return unavailable_reasons(run.section)


def test_admins_in_maintenance_leave_teammates_unavailable_not_empty() -> None:
    maintenance = Fault.answer({"type": "admin.list", "admins": "maintenance"})
    run = collect_with({"GET /admins": [maintenance]})

    assert reasons(run) == {"teammates": "GET /admins: expected admins to be a list, got the "
                                         "text 'maintenance'"}
    assert run.published == [(None, run.published[0][1])]  # told: no teammates to map
    assert run.section["workspace"]["id_code"] == "ab12cd34"


@pytest.mark.parametrize(
    ("endpoint", "answer", "expected"),
    [
        ("GET /me", [], "GET /me: expected a JSON object, got a list of 0 items (status 200)"),
        ("GET /me", {"type": "admin", "id": "1", "app": "Acme"},
         "GET /me: expected app to be an object, got the text 'Acme'"),
        ("GET /me", {"type": "admin", "id": "1"},
         "GET /me: expected app to be the workspace object, got nothing (the key is absent)"),
        ("GET /me", {"type": "admin", "app": {"id_code": "ab12"}},
         "GET /me: expected id to be an id, got nothing (the key is absent)"),
        ("GET /admins", {"type": "error.list", "errors": []},
         "GET /admins: expected type to be 'admin.list', got the text 'error.list'"),
        ("GET /admins", {"admins": [{"id": "1"}, {"name": "No id"}]},
         "GET /admins: expected admins[1].id to be an id, got nothing (the key is absent)"),
        ("GET /admins", {"admins": [{"id": "1", "email": 5}]},
         "GET /admins: expected admins[0].email to be a text or null, got the number 5"),
        ("GET /admins", {"admins": [{"id": "1", "has_inbox_seat": "yes"}]},
         "GET /admins: expected admins[0].has_inbox_seat to be true, false or null, got the "
         "text 'yes'"),
        ("GET /admins", {"admins": [None]},
         "GET /admins: expected admins[0] to be an object, got null"),
        ("POST /contacts/search", {"type": "list", "total_count": "many", "data": []},
         "POST /contacts/search: expected total_count to be a whole number of 0 or more, got "
         "the text 'many'"),
        ("POST /contacts/search", {"type": "list", "total_count": True, "data": []},
         "POST /contacts/search: expected total_count to be a whole number of 0 or more, got "
         "true"),
        ("POST /contacts/search", {"type": "list", "total_count": -1},
         "POST /contacts/search: expected total_count to be a whole number of 0 or more, got "
         "the number -1"),
        (SEARCH, {"type": "activity_log.list", "activity_logs": {}},
         f"{SEARCH}: expected activity_logs to be a list, got an empty object"),
        (SEARCH, {"type": "activity_log.list"},
         f"{SEARCH}: expected activity_logs to be a list, got nothing (the key is absent)"),
        (SEARCH, {"activity_logs": [{"activity_type": "app_package_installation",
                                     "created_at": "yesterday"}]},
         f"{SEARCH}: expected activity_logs[0].created_at to be a UNIX timestamp, got the "
         "text 'yesterday'"),
        (SEARCH, {"activity_logs": [{"created_at": 1}]},
         f"{SEARCH}: expected activity_logs[0].activity_type to be an activity type, got "
         "nothing (the key is absent)"),
        (SEARCH, {"activity_logs": [], "pages": "more"},
         f"{SEARCH}: expected pages to be an object, got the text 'more'"),
    ],
)
def test_an_answer_of_the_wrong_shape_costs_only_its_item(
    endpoint: str, answer: Any, expected: str
) -> None:
    run = collect_with({endpoint: [Fault.answer(answer, times=9)]})

    assert reasons(run) == {ENDPOINT_ITEM[endpoint]: expected}


def test_teams_among_the_admins_are_not_teammates_and_admin_pages_are_followed() -> None:
    first = Fault.answer({"type": "admin.list", "admins": [
        {"type": "admin", "id": "7", "name": "Old hand", "email": "old@acme.example"},
        {"type": "team", "id": "814865", "name": "Support", "email": None},
    ], "pages": {"type": "pages", "page": 1, "total_pages": 2, "next": "/admins?page=2"}})
    run, served = collect_checked(make_scenario(teammates=3, faults={"GET /admins": [first]}))

    assert [t["id"] for t in run.section["teammates"]] == ["7", "4417000", "4417001", "4417002"]
    assert [e.query for e in served.emulator.requests_to("GET /admins")] == [{}, {"page": ["2"]}]
    assert run.published == [(run.section["teammates"], run.published[0][1])]


def test_an_admin_of_another_type_fails_the_list() -> None:
    odd = Fault.answer({"type": "admin.list", "admins": [{"type": "bot", "id": "1"}]})
    run = collect_with({"GET /admins": [odd]})

    assert reasons(run) == {"teammates": "GET /admins: expected admins[0].type to be 'admin', "
                                         "got the text 'bot'"}


def test_contact_counts_that_cannot_both_be_right_are_not_used() -> None:
    page = {"type": "list", "total_count": 2,
            "data": [{"type": "contact", "id": str(n), "role": "user"} for n in range(5)]}
    run = collect_with({"POST /contacts/search": [Fault.answer(page, times=9)]})

    assert reasons(run) == {"contacts": "POST /contacts/search: total_count is 2 but the page "
                                        "holds 5 contacts; the counts cannot both be right"}


def test_a_contact_of_no_known_role_is_not_counted_as_either() -> None:
    page = {"type": "list", "total_count": 1, "data": [{"id": "1", "role": "visitor"}]}
    run = collect_with({"POST /contacts/search": [Fault.answer(page, times=9)]})

    assert reasons(run) == {"contacts": "POST /contacts/search: expected data[0].role to be "
                                        "'user' or 'lead', got the text 'visitor'"}


@pytest.mark.parametrize("endpoint", list(ENDPOINT_ITEM))
def test_a_proxy_sign_in_page_is_named_not_parsed(endpoint: str) -> None:
    page = Fault.raw(PROXY_PAGE, "text/html; charset=utf-8", times=9)
    run = collect_with({endpoint: [page]})

    assert reasons(run) == {ENDPOINT_ITEM[endpoint]: (
        f"{endpoint}: expected a JSON object, got text/html of 100 bytes starting '<html><head>"
        "<title>Sign in to Acme SSO</...' that is not JSON (status 200)")}


def test_a_proxy_error_page_reads_as_the_status_and_what_came() -> None:
    bad_gateway = Fault.raw(b"<html><body><h1>502 Bad Gateway</h1></body></html>",
                            "text/html", status=502, times=9)
    run = collect_with({"GET /me": [bad_gateway]})

    assert reasons(run) == {"workspace": (
        "GET /me: 502 Bad Gateway (text/html of 50 bytes starting '<html><body><h1>502 Bad "
        "Gateway</h1></bo...', not an Intercom error body), 3 times")}
    assert run.sleeps == [0.5, 1.0]  # a 5xx is retried whatever its body


def test_an_empty_body_is_named_as_such() -> None:
    run = collect_with({"GET /admins": [Fault.raw(b"", "application/json", times=9)]})

    assert reasons(run) == {"teammates": "GET /admins: expected a JSON object, got an empty "
                                         "body that is not JSON (status 200)"}


def test_bytes_that_are_not_text_are_named_not_decoded() -> None:
    noise = Fault.raw(b"\xff\xfe\x00\x81binary", "application/json", times=9)
    run = collect_with({"GET /me": [noise]})

    assert reasons(run)["workspace"].startswith("GET /me: expected a JSON object, got "
                                                "application/json of 10 bytes starting ")


def test_a_body_cut_short_by_its_connection_is_retried() -> None:
    run = collect_with({"GET /admins": [Fault.truncated(close=True)]})

    assert reasons(run) == {}
    assert len(run.section["teammates"]) == 150


def test_a_body_always_cut_short_leaves_its_item_unavailable() -> None:
    run = collect_with({"GET /admins": [Fault.truncated(close=True, times=9)]})

    reason = reasons(run)["teammates"]
    assert reason.startswith("GET /admins: connection lost (peer closed connection without "
                             "sending complete message body")
    assert reason.endswith(", 3 times")
    assert run.published[0][0] is None


def test_a_body_cut_short_but_complete_by_its_length_is_not_json() -> None:
    run = collect_with({"GET /admins": [Fault.truncated(close=False, times=9)]})

    assert reasons(run)["teammates"].startswith(
        "GET /admins: expected a JSON object, got application/json of ")
    assert reasons(run)["teammates"].endswith(" that is not JSON (status 200)")


@pytest.mark.parametrize(
    ("reader", "failure", "item", "shown"),
    [
        ("read_workspace", ZeroDivisionError("division by zero"), "workspace",
         "ZeroDivisionError: division by zero"),
        ("read_teammates", KeyError("id"), "teammates", "KeyError: 'id'"),
    ],
)
def test_an_unexpected_failure_in_one_reader_costs_only_that_item(
    monkeypatch: pytest.MonkeyPatch, reader: str, failure: Exception, item: str, shown: str,
) -> None:
    async def broken(_: Any) -> Any:
        raise failure

    monkeypatch.setattr(collector, reader, broken)
    run = collect_with({})

    assert reasons(run) == {item: f"{item}: the collector failed unexpectedly while reading "
                                  f"it ({shown}); please report this"}
    assert len(run.section["contacts"]) == 2  # the others are read
    # Whoever waits for the teammates hears of them either way, once.
    teammates = run.section["teammates"]
    assert [t for t, _ in run.published] == [teammates if isinstance(teammates, list) else None]


def test_a_rejected_token_tells_the_waiting_side_once() -> None:
    scenario = make_scenario()
    scenario.token = "the-token-intercom-knows"
    published: list[Any] = []
    with intercom(scenario) as served, pytest.raises(SourceUnavailable):
        collect_intercom(IntercomOptions(env=served.env), on_teammates=published.append)

    assert published == [None]


def test_teammates_read_before_a_rejection_elsewhere_are_published_once() -> None:
    late = Fault(delay=0.3, status=401, code="unauthorized", message="Access Token Invalid")
    published: list[Any] = []
    with intercom(make_scenario(faults={SEARCH: [late]})) as served, pytest.raises(
            SourceUnavailable):
        collect_intercom(IntercomOptions(env=served.env), on_teammates=published.append)

    (teammates,) = published
    assert len(teammates) == 150
