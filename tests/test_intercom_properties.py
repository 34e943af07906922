"""Whatever one endpoint answers, the intercom section is valid and honest.

For every endpoint the collector reads, the answer is replaced by arbitrary JSON, by a
well-formed answer with parts swapped for arbitrary JSON or removed, by bytes that are not
JSON, or by a body cut short, under any status but 401 (which ends the source by design).
Then: nothing is raised; the section validates against the snapshot schema; the items
the endpoint feeds are either exactly what the answer says or unavailable with a reason
naming the endpoint; no reason admits an unforeseen failure; every other item is as a
well-behaved workspace gives it; the teammates are published once, as stored.

The network is httpx.MockTransport, so each example costs milliseconds; the behaviours
over real HTTPS are tested against the emulator in the other test_intercom_* files.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from auditor.collect.intercom.collector import IntercomOptions, collect_intercom
from auditor.collect.intercom.readers import APP_EVENT_TYPES
from auditor.documents.snapshot import timestamp
from tests.intercom_fixtures import assert_valid_section

BASE_URL = "https://api.intercom.io"
ENV = {"INTERCOM_ACCESS_TOKEN": "property-token", "INTERCOM_BASE_URL": BASE_URL}
ME, ADMINS, CONTACTS = "GET /me", "GET /admins", "POST /contacts/search"
SEARCH, LIST = "POST /admins/activity_logs/search", "GET /admins/activity_logs"
ITEM = {ME: "workspace", ADMINS: "teammates", CONTACTS: "contacts", SEARCH: "app_events",
        LIST: "app_events"}

GOOD: dict[str, Any] = {
    ME: {"type": "admin", "id": "91", "name": "Ann", "email": "ann@acme.example",
         "app": {"type": "app", "id_code": "ab12", "name": "Acme", "region": "US",
                 "timezone": "UTC"}},
    ADMINS: {"type": "admin.list", "admins": [
        {"type": "admin", "id": "91", "name": "Ann", "email": "ann@acme.example",
         "has_inbox_seat": True, "away_mode_enabled": False},
        {"type": "admin", "id": "92", "name": "Bo", "email": "bo@acme.example",
         "has_inbox_seat": False, "away_mode_enabled": True},
    ]},
    CONTACTS: {"type": "list", "total_count": 2, "data": [
        {"type": "contact", "id": "c1", "role": "user", "email": ""},
        {"type": "contact", "id": "c2", "role": "lead", "email": ""},
    ], "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 1}},
    SEARCH: {"type": "activity_log.list",
             "pages": {"type": "pages", "page": 1, "per_page": 20, "total_pages": 1,
                       "next": None},
             "activity_logs": [
                 {"id": "1", "performed_by": {"type": "admin", "id": "91",
                                              "email": "ann@acme.example"},
                  "created_at": 1_767_225_600, "activity_type": "app_package_installation",
                  "activity_description": "Ann installed Salesforce."},
                 {"id": "2", "performed_by": {"type": "admin", "id": "91"},
                  "created_at": 1_767_225_000, "activity_type": "admin_login_success",
                  "activity_description": "Ann logged in."},
             ]},
}
GOOD[LIST] = GOOD[SEARCH]
NOT_FOUND = {"type": "error.list", "errors": [{"code": "not_found", "message": "Not Found"}]}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=16,
)
statuses = st.sampled_from([200] * 6 + [400, 403, 404, 405, 429, 500, 503])


def _slots(value: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) in a JSON value, so any part of it can be replaced."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in list(items):
        yield value, key
        if isinstance(child, dict | list) and child:
            yield from _slots(child)


@st.composite
def near_misses(draw: st.DrawFn, good: Any) -> Any:
    """A well-formed answer with one to three parts replaced by arbitrary JSON, removed, or
    joined by keys Intercom never sent."""
    answer = copy.deepcopy(good)
    for _ in range(draw(st.integers(1, 3))):
        container, key = draw(st.sampled_from(list(_slots(answer))))
        change = draw(st.sampled_from(["replace", "remove", "add"]))
        if change == "add" and isinstance(container, dict):
            container[draw(st.text(max_size=12))] = draw(json_values)
        elif change == "remove" and isinstance(container, dict):
            del container[key]
        else:
            container[key] = draw(json_values)
        if not answer:
            break
    return answer


def bodies(endpoint: str) -> st.SearchStrategy[tuple[int, bytes]]:
    """(status, body) pairs for the endpoint under test."""
    good = json.dumps(GOOD[endpoint]).encode()
    as_json = json_values.map(lambda value: json.dumps(value).encode())
    not_json = st.binary(max_size=64).filter(_not_json) | st.sampled_from(
        [b"<html><body>Bad gateway</body></html>", b"", b"null\x00", b"{'single': 'quotes'}"])
    cut = st.integers(0, len(good) - 1).map(lambda n: good[:n])
    near = near_misses(GOOD[endpoint]).map(lambda value: json.dumps(value).encode())
    return st.tuples(statuses, st.one_of(near, near, as_json, not_json, cut))


def _not_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return True
    return False


def run(endpoint: str, status: int, body: bytes) -> tuple[dict[str, Any], list[Any]]:
    """Collect with `endpoint` answering (status, body) and every other endpoint well."""

    def answer(request: httpx.Request) -> httpx.Response:
        asked = f"{request.method} {request.url.path}"
        if asked == endpoint:
            return httpx.Response(status, content=body,
                                  headers={"Content-Type": "application/json"})
        if asked == SEARCH and endpoint == LIST:
            return httpx.Response(404, json=NOT_FOUND)
        return httpx.Response(200, json=GOOD[asked])

    async def no_wait(_: float) -> None:
        await asyncio.sleep(0)

    published: list[Any] = []
    section = collect_intercom(IntercomOptions(env=ENV), sleep=no_wait,
                               on_teammates=published.append,
                               transport=httpx.MockTransport(answer))
    return section, published


BASELINE, _ = run(ME, 200, json.dumps(GOOD[ME]).encode())


def expected_item(endpoint: str, answer: Any) -> Any:
    """What the endpoint's item must hold when it is read, by an oracle of its own."""
    if endpoint == ME:
        app = answer["app"]
        name = app.get("name")
        return {"id_code": str(app["id_code"]), "admin_id": str(answer["id"]),
                "name": name if isinstance(name, str) and name else str(app["id_code"])}
    if endpoint == ADMINS:
        return [(str(a["id"]), a.get("email") or None, a.get("has_inbox_seat") is True)
                for a in answer["admins"] if a.get("type") != "team"]
    if endpoint == CONTACTS:
        return answer["total_count"]
    return [(e["activity_type"], timestamp(datetime.fromtimestamp(e["created_at"], UTC)))
            for e in answer["activity_logs"]
            if isinstance(e, dict) and e.get("activity_type") in APP_EVENT_TYPES]


def held(endpoint: str, item: Any) -> Any:
    """The same facts, read from the item the collector stored."""
    if endpoint == ME:
        return {"id_code": item["id_code"], "admin_id": item["admin"]["id"],
                "name": item["name"]}
    if endpoint == ADMINS:
        return [(t["id"], t["email"], t["has_inbox_seat"]) for t in item]
    if endpoint == CONTACTS:
        users, leads = item["users"], item["leads"]
        # Both totals are the answer's, and the split of those without email adds up to it.
        assert users["total"] == leads["total"]
        assert users["without_email"] + leads["without_email"] == users["total"]
        return users["total"]
    assert item["window_days"] == 365
    return [(e["type"], e["created_at"]) for e in item["events"]]


def check(endpoint: str, status: int, body: bytes) -> str:
    """Run and check one answer; what became of the item ("unavailable" or "read")."""
    section, published = run(endpoint, status, body)

    assert_valid_section(section)
    name = ITEM[endpoint]
    for other in ("workspace", "teammates", "contacts", "app_events"):
        if other != name:
            assert section[other] == BASELINE[other], other
    item = section[name]
    teammates = section["teammates"]
    assert published == [teammates if isinstance(teammates, list) else None]
    if isinstance(item, dict) and item.get("status") == "unavailable":
        # The reason names the endpoint first (and the page, past the first).
        assert re.match(rf"{re.escape(endpoint)}( \(page \d+\))?: ", item["reason"]), item
        assert "unexpectedly" not in item["reason"]
        return "unavailable"
    if endpoint == SEARCH and status in (404, 405):
        assert item == BASELINE[name]  # read from the list instead
        return "read from the list"
    assert status == 200
    assert held(endpoint, item) == expected_item(endpoint, json.loads(body))
    return "read"


fast = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.mark.parametrize("endpoint", [ME, ADMINS, CONTACTS, SEARCH, LIST])
@fast
@given(data=st.data())
def test_any_answer_gives_a_valid_honest_section(endpoint: str, data: st.DataObject) -> None:
    status, body = data.draw(bodies(endpoint))
    event(check(endpoint, status, body))


def test_the_baseline_is_the_well_formed_workspace() -> None:
    assert BASELINE["workspace"]["name"] == "Acme"
    assert [t["id"] for t in BASELINE["teammates"]] == ["91", "92"]
    assert BASELINE["contacts"] == {"users": {"total": 2, "without_email": 1},
                                    "leads": {"total": 2, "without_email": 1}}
    assert BASELINE["app_events"]["events"] == [{
        "type": "app_package_installation", "created_at": "2026-01-01T00:00:00Z",
        "performed_by": "ann@acme.example", "description": "Ann installed Salesforce."}]


@pytest.mark.parametrize(
    ("endpoint", "answer"),
    [
        (ADMINS, {"type": "admin.list", "admins": "maintenance"}),
        (ADMINS, {"admins": [{"id": "1"}], "pages": {"next": "/admins?page=2"}}),  # loops
        (ME, {"type": "admin", "id": True, "app": {"id_code": "ab12"}}),
        (CONTACTS, {"total_count": 3.0}),
        (SEARCH, {"activity_logs": [{"activity_type": "app_package_installation",
                                     "created_at": 10**20}]}),
        (LIST, {"activity_logs": [], "pages": {"next": {"starting_after": ["x"]}}}),
    ],
)
def test_known_bad_answers_are_unavailable(endpoint: str, answer: Any) -> None:
    """Examples the generator may take long to find, pinned."""
    assert check(endpoint, 200, json.dumps(answer).encode()) == "unavailable"
