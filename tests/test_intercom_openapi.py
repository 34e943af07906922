"""The collector and the emulator against Intercom's own OpenAPI description (2.16).

The emulator fixture already checks every exchange of every test when it stops; these
tests pin the facts the collector relies on, and show the checker is not a rubber stamp.
"""

from __future__ import annotations

from typing import Any

import pytest

from auditor.collectors.intercom_config import DEFAULT_API_VERSION, REGIONS
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
    with intercom(make_scenario(users=(400, 90), leads=(700, 310), events=600)) as served:
        collect(served.env)

    endpoints = {e.endpoint for e in served.emulator.exchanges}
    assert endpoints == {"GET /me", "GET /admins", "POST /contacts/search", "GET /companies",
                         "GET /admins/activity_logs", "GET /data_attributes"}
    # All four searches (the split needed a fourth) and all three activity pages.
    assert len(served.emulator.exchanges) == 11
    assert exchange_problems(openapi, served.emulator.exchanges) == []


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
                  query={"created_at_after": ["1"], "per_page": ["300"]}),
         "per_page: 300 is greater than the maximum of 250"),
        (exchange("GET /companies", query={"per_page": ["one"]}),
         "per_page='one' is not a integer"),
        (exchange("GET /companies", query={"limit": ["1"]}),
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
