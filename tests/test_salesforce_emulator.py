"""The emulator and its SOQL evaluator behave like Salesforce where the collector relies on it."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from auditor.collectors.salesforce_queries import Query
from tests.emulators.soql import Database, Schema, SoqlError, execute
from tests.salesforce_lab import INTEGRATION_USER, SalesforceLab

pytest_plugins = ("tests.salesforce_fixtures",)

SCHEMA = Schema(
    fields={"Person": {"Id", "Name", "Email", "Age", "Seen", "TeamId"},
            "Team": {"Id", "Name"}, "Badge": {"Id", "PersonId", "Label"}},
    children={("Person", "Badges"): ("Badge", "PersonId")},
)
TABLES: dict[str, list[dict[str, Any]]] = {
    "Team": [{"Id": "t1", "Name": "Red"}],
    "Person": [
        {"Id": "p1", "Name": "Ann", "Email": "ann@x.example", "Age": 30, "TeamId": "t1",
         "Seen": "2026-01-10T08:00:00.000+0000"},
        {"Id": "p2", "Name": "Bob", "Email": "ANN@x.example", "Age": 40, "TeamId": None,
         "Seen": "2026-03-01T08:00:00.000+0000"},
        {"Id": "p3", "Name": "Cy", "Email": None, "Age": 50, "TeamId": "t1", "Seen": None},
    ],
    "Badge": [{"Id": "b1", "PersonId": "p1", "Label": "gold"}],
}


def run(soql: str) -> list[dict[str, Any]]:
    rows = execute(Database(SCHEMA, TABLES), soql, record_url=lambda t, i: f"/{t}/{i}")
    for row in rows:
        row.pop("attributes")
    return rows


@pytest.mark.parametrize(("where", "names"), [
    ("Name = 'ann'", ["Ann"]),  # text comparison ignores case
    ("Name != 'Ann' AND Age > 40", ["Cy"]),
    ("Email LIKE '%X.EXAMPLE'", ["Ann", "Bob"]),
    ("Id IN ('p1', 'p3')", ["Ann", "Cy"]),
    ("(Age < 35 OR Age >= 50) AND Email = null", ["Cy"]),
    ("Seen >= 2026-02-01T00:00:00Z", ["Bob"]),
    ("Team.Name = 'Red'", ["Ann", "Cy"]),
])
def test_where(where: str, names: list[str]) -> None:
    assert [r["Name"] for r in run(f"SELECT Name FROM Person WHERE {where}")] == names


def test_relationship_fields_and_child_subqueries() -> None:
    rows = run("SELECT Name, Team.Name, (SELECT Label FROM Badges) FROM Person "
               "ORDER BY Age DESC LIMIT 2")
    assert [r["Name"] for r in rows] == ["Cy", "Bob"]
    assert rows[0]["Team"]["Name"] == "Red" and rows[1]["Team"] is None
    assert rows[0]["Badges"] is None  # Salesforce sends null for no children
    assert run("SELECT (SELECT Label FROM Badges) FROM Person WHERE Id = 'p1'")[0]["Badges"][
        "records"][0]["Label"] == "gold"


def test_aggregates() -> None:
    assert run("SELECT COUNT(Id) total, COUNT(Email) FROM Person") == [{"total": 3, "expr0": 2}]
    assert run("SELECT COUNT(Id) n FROM Person WHERE Age > 99") == [{"n": 0}]
    assert run("SELECT Email, COUNT(Id) n FROM Person WHERE Email != null GROUP BY Email "
               "HAVING COUNT(Id) > 1 ORDER BY COUNT(Id) DESC LIMIT 5") == [
        {"Email": "ann@x.example", "n": 2}]


@pytest.mark.parametrize(("soql", "code"), [
    ("SELECT Name FROM Nobody", "INVALID_TYPE"),
    ("SELECT Nope FROM Person", "INVALID_FIELD"),
    ("SELECT Name FROM Person WHERE", "MALFORMED_QUERY"),
    ("SELECT Name, COUNT(Id) FROM Person", "MALFORMED_QUERY"),
])
def test_refuses_what_salesforce_refuses(soql: str, code: str) -> None:
    with pytest.raises(SoqlError) as caught:
        run(soql)
    assert caught.value.error_code == code


def client(lab: SalesforceLab) -> Salesforce:
    return Salesforce(instance_url=lab.emulator.base_url, session_id=lab.scenario.access_token,
                      version="62.0")


def composite(lab: SalesforceLab, urls: list[str], path: str = "composite") -> Any:
    body = {"compositeRequest": [{"method": "GET", "url": url, "referenceId": f"r{n}"}
                                 for n, url in enumerate(urls)]}
    return client(lab).restful(path, method="POST", json=body)


def test_composite_allows_five_queries_at_most(lab: SalesforceLab) -> None:
    url = Query("org", "Organization", "SELECT Id FROM Organization").url("62.0")
    assert len(composite(lab, [url] * 5)["compositeResponse"]) == 5
    with pytest.raises(SalesforceMalformedRequest) as caught:
        composite(lab, [url] * 6)
    refusal: Any = caught.value.content  # simple-salesforce keeps the parsed JSON body
    assert refusal[0]["errorCode"] == "LIMIT_EXCEEDED"


def test_composite_resolves_references_and_refuses_other_resources(lab: SalesforceLab) -> None:
    tokens = Query("t", "OauthToken", "SELECT UserId FROM OauthToken "
                   "WHERE AppName = 'Intercom'").url("62.0")
    # References go into the URL as they are, not percent-encoded.
    user = ("/services/data/v62.0/query/?q=SELECT+Username+FROM+User+WHERE+"
            "Id='@{r0.records[0].UserId}'")
    answers = composite(lab, [tokens, user, "/services/data/v62.0/limits"])["compositeResponse"]
    assert answers[1]["body"]["records"][0]["Username"] == "intercom@acme.example"
    assert answers[2]["httpStatusCode"] == 400
    assert answers[0]["body"]["records"][0]["UserId"] == INTEGRATION_USER


def test_tooling_objects_need_the_tooling_api(lab: SalesforceLab) -> None:
    package = Query("p", "InstalledSubscriberPackage", "SELECT Id FROM "
                    "InstalledSubscriberPackage").url("62.0")
    answer = composite(lab, [package])["compositeResponse"][0]
    assert answer["body"][0]["errorCode"] == "INVALID_TYPE"


def test_paging_headers_and_counting(lab: SalesforceLab) -> None:
    lab.scenario.batch_size = 2
    sf = client(lab)
    first = sf.query("SELECT Id FROM Lead")
    assert (len(first["records"]), first["done"], first["totalSize"]) == (2, False, 9)
    assert len(sf.query_all("SELECT Id FROM Lead")["records"]) == 9
    assert sf.api_usage["api-usage"].total == lab.scenario.api_max
    assert lab.emulator.request_count == 1 + 5  # one query, then query_all's five pages
