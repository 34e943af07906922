"""App-package events: the activity-log search, the list it falls back on, and every way
Intercom's pages may point onwards, through the real collector over real HTTPS."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from auditor.collect.intercom.readers import (
    ACTIVITY_LIST_PAGES_MAX,
    APP_EVENT_PAGES_MAX,
    APP_EVENT_TYPES,
)
from tests.emulators.intercom import Fault, Record, Scenario, serve
from tests.intercom_fixtures import NOW, TOKEN, Run, collect_checked, make_scenario

SEARCH = "POST /admins/activity_logs/search"
LIST = "GET /admins/activity_logs"
OTHER_ITEMS = 5  # /me, /admins and three contact searches


def with_app_events(count: int, **behaviour: Any) -> Scenario:
    """A workspace whose log holds `count` Salesforce app events among 60 logins."""
    scenario = make_scenario(events=60, **behaviour)
    base = int(NOW.timestamp())
    scenario.activity_logs += [
        {"id": f"app-{n}", "performed_by": {"type": "admin", "id": "4417000",
                                            "email": "teammate0@acme.example"},
         "metadata": {}, "created_at": base - 3600 * (n + 1),
         "activity_type": APP_EVENT_TYPES[n % 3],
         "activity_description": "Teammate 0 changed the Salesforce app."}
        for n in range(count)
    ]
    return scenario


def event_count(run: Run) -> int:
    return len(run.section["app_events"]["events"])


def test_the_search_asks_only_for_app_events_so_any_log_costs_one_request() -> None:
    run, served = collect_checked(make_scenario(events=20_000))

    (search,) = served.emulator.requests_to(SEARCH)
    assert search.body["event_types"] == list(APP_EVENT_TYPES)
    assert served.emulator.requests_to(LIST) == []
    assert event_count(run) == 4  # the four app events of the year among 20,000 entries
    assert served.emulator.requests == OTHER_ITEMS + 1


@pytest.mark.parametrize("paging", ["url", "cursor", "numbers"])
def test_search_pages_are_followed_the_way_the_answer_says(paging: str) -> None:
    run, served = collect_checked(with_app_events(600, activity_paging=paging))

    pages = served.emulator.requests_to(SEARCH)
    assert len(pages) == 3  # 250 + 250 + 104
    assert event_count(run) == 604  # with the scenario's own four of the year
    # Every page keeps the filters of the first; only the paging changes.
    assert all(p.body["event_types"] == list(APP_EVENT_TYPES) for p in pages)
    later = pages[1:]
    if paging == "url":  # the link's query sets the page; the body is sent again unchanged
        assert [p.query for p in later] == [{"page": [str(n)], "per_page": ["250"]}
                                            for n in (2, 3)]
        assert all(p.body == pages[0].body for p in later)
    elif paging == "cursor":
        assert [p.query for p in later] == [{}, {}]
        assert all(p.body["starting_after"] for p in later)
    else:
        assert [(p.query, p.body["page"]) for p in later] == [({}, 2), ({}, 3)]


@pytest.mark.parametrize("status", [404, 405])
def test_without_the_search_endpoint_the_whole_log_is_listed_and_filtered(status: int) -> None:
    missing = Fault.error(status, "not_found", "Resource Not Found", times=99)
    run, served = collect_checked(make_scenario(events=150, faults={SEARCH: [missing]}))

    listed = served.emulator.requests_to(LIST)
    assert len(listed) == 8  # 150 entries, 20 a page
    first, *others = listed
    assert first.query.keys() == {"created_at_after"}  # no per_page: 2.16 has none
    assert [o.query["page"] for o in others] == [[str(n)] for n in range(2, 9)]
    assert all(o.query["created_at_after"] == first.query["created_at_after"] for o in others)
    assert [e["type"] for e in run.section["app_events"]["events"]] == [
        "app_package_token_regeneration", "app_package_installation",
        "app_package_uninstallation", "app_package_installation"]


def test_the_emulated_list_ignores_per_page_as_2_16_declares_none() -> None:
    # Straight to the emulator: the collector never sends per_page to the list, and the
    # conformance check of every collector test would catch it if it did.
    with serve(make_scenario(events=50)) as (_, url):
        answer = httpx.get(f"{url}/admins/activity_logs",
                           params={"created_at_after": 0, "per_page": 250},
                           headers={"Authorization": f"Bearer {TOKEN}"}).json()

    assert len(answer["activity_logs"]) == 20
    assert answer["pages"] == {
        "type": "pages", "page": 1, "per_page": 20, "total_pages": 3,
        "next": f"{url}/admins/activity_logs?created_at_after=0&per_page=250&page=2"}


@pytest.mark.parametrize("paging", ["cursor", "numbers"])
def test_the_list_is_followed_by_cursor_or_page_number_too(paging: str) -> None:
    run, served = collect_checked(make_scenario(events=45, activity_search=False,
                                          activity_paging=paging))

    assert len(served.emulator.requests_to(LIST)) == 3
    key = "starting_after" if paging == "cursor" else "page"
    assert [key in e.query for e in served.emulator.requests_to(LIST)] == [False, True, True]
    assert event_count(run) == 4


def test_a_fallback_that_fails_too_says_both_why() -> None:
    forbidden = Fault.error(403, "forbidden", "The token lacks the read_admins scope", times=9)
    run, _ = collect_checked(make_scenario(activity_search=False, faults={LIST: [forbidden]}))

    assert run.section["app_events"] == {"status": "unavailable", "reason": (
        "GET /admins/activity_logs: 403 forbidden: The token lacks the read_admins scope "
        "(read instead of the activity-log search, which answered 404 not_found: Resource "
        "Not Found)")}


def test_a_next_link_to_another_host_is_not_followed() -> None:
    run, served = collect_checked(with_app_events(300, next_origin="https://collector.evil.example"))

    assert len(served.emulator.requests_to(SEARCH)) == 1
    reason = run.section["app_events"]["reason"]
    assert reason.startswith("POST /admins/activity_logs/search: the next page is at "
                             "'https://collector.evil.example/admins/ac...', not on the "
                             "configured host 127.0.0.1:")
    assert reason.endswith("not followed, so the token is sent nowhere else, and the list "
                           "is incomplete")
    assert len(run.section["teammates"]) == 150  # the other items are kept


def test_a_next_link_on_another_port_is_another_host() -> None:
    run, _ = collect_checked(with_app_events(300, next_origin="https://127.0.0.1:1"))

    assert "not on the configured host" in run.section["app_events"]["reason"]


def page_of(next_link: Any, *, entries: list[Record] | None = None) -> Fault:
    return Fault.answer({"type": "activity_log.list", "activity_logs": entries or [],
                         "pages": {"type": "pages", "page": 1, "per_page": 250,
                                   "total_pages": 2, "next": next_link}})


def test_a_next_link_to_another_endpoint_is_not_followed() -> None:
    run, served = collect_checked(make_scenario(faults={SEARCH: [page_of("/contacts?page=2")]}))

    assert run.section["app_events"]["reason"] == (
        "POST /admins/activity_logs/search: the next-page link '/contacts?page=2' points at "
        "another endpoint than /admins/activity_logs/search; not followed, and the list is "
        "incomplete")
    assert len(served.emulator.requests_to(SEARCH)) == 1


def test_a_next_link_back_to_the_same_page_stops_rather_than_loop() -> None:
    run, served = collect_checked(make_scenario(faults={
        SEARCH: [page_of("/admins/activity_logs/search?page=2"),
                 page_of("/admins/activity_logs/search?page=2")]}))

    assert run.section["app_events"]["reason"] == (
        "POST /admins/activity_logs/search (page 2): the answer's pages point back to a page "
        "already read; stopped there rather than loop, so the list is incomplete")
    assert len(served.emulator.requests_to(SEARCH)) == 2


@pytest.mark.parametrize(
    ("next_link", "expected"),
    [
        (17, "expected pages.next to be a URL, a cursor object or null, got the number 17"),
        ({"starting_after": 5}, "expected pages.next.starting_after to be a cursor text or "
                                "null, got the number 5"),
        ("http://[::1", "the next page is at 'http://[::1', not on the configured host"),
    ],
)
def test_a_next_of_no_known_shape_leaves_app_events_unavailable(
    next_link: Any, expected: str
) -> None:
    run, _ = collect_checked(make_scenario(faults={SEARCH: [page_of(next_link)]}))

    assert expected in run.section["app_events"]["reason"]


def test_past_the_search_bound_app_events_are_unavailable() -> None:
    run, served = collect_checked(with_app_events(APP_EVENT_PAGES_MAX * 250 + 1))

    assert len(served.emulator.requests_to(SEARCH)) == APP_EVENT_PAGES_MAX == 20
    assert run.section["app_events"]["reason"] == (
        "POST /admins/activity_logs/search: more pages follow the 20 read (5000 entries), the "
        "most the collector reads from this endpoint; the list is incomplete, so it is not "
        "used")


def test_past_the_list_bound_app_events_are_unavailable() -> None:
    # One entry more than the bound's pages hold (the oldest entry is outside the window).
    scenario = make_scenario(events=ACTIVITY_LIST_PAGES_MAX * 20 + 2, activity_search=False)
    run, served = collect_checked(scenario)

    assert len(served.emulator.requests_to(LIST)) == ACTIVITY_LIST_PAGES_MAX == 100
    assert run.section["app_events"]["reason"].startswith(
        "GET /admins/activity_logs: more pages follow the 100 read (2000 entries)")


def test_null_entries_are_skipped_and_an_odd_performer_is_left_blank() -> None:
    entries: list[Any] = [None, {"id": "1", "created_at": 1_767_225_600,
                                 "activity_type": "app_package_installation",
                                 "performed_by": "someone", "activity_description": 7}]
    run, _ = collect_checked(make_scenario(faults={SEARCH: [page_of(None, entries=entries)]}))

    assert run.section["app_events"]["events"] == [{
        "type": "app_package_installation", "created_at": "2026-01-01T00:00:00Z",
        "performed_by": None, "description": None}]
