"""The collector and the emulator against Intercom's own OpenAPI description (2.16).

The emulator fixture already checks every exchange of every test when it stops; these
tests pin the facts the collector relies on, and show the checker is not a rubber stamp.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.collect.intercom.config import DEFAULT_API_VERSION, REGIONS
from tests.emulators.intercom import Exchange
from tests.intercom_fixtures import (
    TOKEN,
    collect,
    intercom,
    make_scenario,
)
from tests.intercom_openapi import SPEC_MISSING, OpenApi, exchange_problems, load_openapi

pytestmark = pytest.mark.skipif(load_openapi() is None, reason=SPEC_MISSING)

HEADERS = {"authorization": f"Bearer {TOKEN}", "intercom-version": DEFAULT_API_VERSION}


@pytest.fixture
def openapi() -> OpenApi:
    described = load_openapi()
    assert described is not None
    return described


def exchange(
    endpoint: str, *, query: dict[str, list[str]] | None = None, body: Any = None,
    headers: dict[str, str] | None = None, status: int = 200, response: Any = None,
) -> Exchange:
    method, path = endpoint.split(" ")
    return Exchange(method=method, path=path, query=query or {},
                    headers=HEADERS if headers is None else headers, body=body,
                    status=status, response=response if response is not None else {})


def test_the_description_is_2_16_and_accepts_the_pinned_version(openapi: OpenApi) -> None:
    assert openapi.spec["openapi"].startswith("3.0.")
    assert openapi.version == "2.16"
    assert DEFAULT_API_VERSION in openapi.api_versions
    assert {server["url"] for server in openapi.spec["servers"]} == set(REGIONS.values())


def test_a_full_collection_conforms_on_both_sides(
    openapi: OpenApi,
) -> None:
    with intercom(make_scenario(users=(400, 90), leads=(700, 310))) as served:
        collect(served.env)

    endpoints = {e.endpoint for e in served.emulator.exchanges}
    assert endpoints == {"GET /me", "GET /admins", "POST /contacts/search",
                         "POST /admins/activity_logs/search"}
    # /me, /admins, all four contact searches (the split needed a fourth), the activity-log
    # search.
    assert len(served.emulator.exchanges) == 7
    assert not any(e.injected for e in served.emulator.exchanges)
    assert exchange_problems(openapi, served.emulator.exchanges) == []


@pytest.mark.parametrize("paging", ["url", "cursor", "numbers"])
def test_the_activity_log_list_conforms_however_its_pages_point_on(
    openapi: OpenApi, paging: str
) -> None:
    with intercom(make_scenario(events=45, activity_search=False,
                                activity_paging=paging)) as served:
        collect(served.env)

    listed = served.emulator.requests_to("GET /admins/activity_logs")
    assert len(listed) == 3
    assert exchange_problems(openapi, served.emulator.exchanges) == []


def test_a_url_next_conforms_only_as_a_later_reference_describes_it(openapi: OpenApi) -> None:
    def page(next_link: object) -> Exchange:
        return exchange("GET /admins/activity_logs", query={"created_at_after": ["1"]},
                        response={"type": "activity_log.list", "activity_logs": [],
                                  "pages": {"type": "pages", "page": 1, "next": next_link}})

    assert openapi.response_problems(page("https://api.intercom.io/admins/activity_logs?page=2")
                                     ) == []
    assert openapi.response_problems(page({"starting_after": "WzE2NzJd"})) == []
    assert openapi.response_problems(page(None)) == []
    assert openapi.response_problems(page(17)) != []


def test_error_answers_conform_to_the_error_object(openapi: OpenApi) -> None:
    body = {"type": "error.list", "request_id": None,
            "errors": [{"code": "forbidden", "message": "no scope"}]}
    for status in (401, 403, 429, 503):
        answer = exchange("GET /admins/activity_logs", query={"created_at_after": ["1"]},
                          status=status, response=body)
        assert openapi.response_problems(answer) == []
    no_errors = exchange("GET /me", status=401, response={"type": "error.list"})
    assert openapi.response_problems(no_errors) == [
        "GET /me 401 answer: (root): 'errors' is a required property"]


def test_a_search_filter_may_match_a_missing_value(openapi: OpenApi) -> None:
    def search(operator: str | None) -> Exchange:
        query = {"field": "email", "operator": operator, "value": None}
        return exchange("POST /contacts/search", body={"query": query})

    assert openapi.request_problems(search("=")) == []
    assert openapi.request_problems(search(None)) != []  # nullable only where described


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (exchange("GET /admins/activity_logs", query={"per_page": ["250"]}),
         "required query parameter created_at_after is missing"),
        (exchange("GET /admins/activity_logs",
                  query={"created_at_after": ["1"], "per_page": ["20"]}),
         "query parameter per_page is not declared"),
        (exchange("POST /admins/activity_logs/search", query={"per_page": ["300"]},
                  body={"created_at_after": 1}),
         "per_page: 300 is greater than the maximum of 250"),
        (exchange("POST /admins/activity_logs/search", body={"created_at_after": "1"}),
         "body: created_at_after: '1' is not of type 'integer'"),
        (exchange("POST /admins/activity_logs/search", body={"event_types": []}),
         "body: (root): 'created_at_after' is a required property"),
        (exchange("GET /admins", query={"display_avatar": ["maybe"]}),
         "display_avatar='maybe' is not a boolean"),
        (exchange("GET /admins", query={"limit": ["1"]}),
         "query parameter limit is not declared"),
        (exchange("GET /me", headers={**HEADERS, "intercom-version": "9.9"}),
         "Intercom-Version: (root): '9.9' is not one of"),
        (exchange("GET /me", headers={"intercom-version": DEFAULT_API_VERSION}),
         "no bearer token"),
        (exchange("POST /contacts/search", body={"pagination": {"per_page": 1}}),
         "body: (root): 'query' is a required property"),
        (exchange("GET /contacts/count"), "GET /contacts/count is not an operation"),
    ],
)
def test_requests_off_the_description_are_caught(
    openapi: OpenApi, request_: Exchange, expected: str
) -> None:
    problems = openapi.request_problems(request_)
    assert any(expected in problem for problem in problems), problems


def test_answers_off_the_description_are_caught(openapi: OpenApi) -> None:
    answer = exchange("POST /contacts/search", body={"query": {}},
                      response={"type": "list", "total_count": "many", "data": []})
    assert openapi.response_problems(answer) == [
        "POST /contacts/search 200 answer: total_count: 'many' is not of type 'integer'"]
