"""The emulator and its SOQL evaluator behave like Salesforce where the collector relies on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)
from simple_salesforce.login import SalesforceLogin

from auditor.collect.salesforce.queries import Query
from tests.emulators.salesforce import CONCURRENT_REQUESTS, Fault
from tests.emulators.salesforce_org import URI_MAX
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


def test_semi_joins_select_by_the_values_of_one_field() -> None:
    assert [r["Name"] for r in run("SELECT Name FROM Person WHERE Id IN "
                                   "(SELECT PersonId FROM Badge WHERE Label = 'gold')")] == ["Ann"]
    with pytest.raises(SoqlError) as caught:
        run("SELECT Name FROM Person WHERE Id IN (SELECT PersonId, Label FROM Badge)")
    assert caught.value.error_code == "MALFORMED_QUERY"


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


def proxied() -> requests.Session:
    """A session whose logins reach the emulator through its proxy (the lab sets it)."""
    session = requests.Session()
    session.proxies = {"https": os.environ["HTTPS_PROXY"]}
    return session


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


def test_oauth_tokens_follow_the_special_access_rules(lab: SalesforceLab) -> None:
    soql = "SELECT AppName, UserId FROM OauthToken"
    assert len(client(lab).query(soql)["records"]) == 3
    # Without Customize Application: only one's own tokens, and no error (Manage Users or not).
    lab.scenario.permissions["CustomizeApplication"] = False
    own = client(lab).query(soql)["records"]
    assert [(t["AppName"], t["UserId"]) for t in own] == [("Salesforce for Outlook",
                                                           "005000000000001AAA")]


def test_user_permission_access_is_the_signed_in_users(lab: SalesforceLab) -> None:
    lab.scenario.permissions["ManageUsers"] = False
    rows = client(lab).query("SELECT PermissionsManageUsers, PermissionsViewAllData FROM "
                             "UserPermissionAccess")["records"]
    assert [(r["PermissionsManageUsers"], r["PermissionsViewAllData"]) for r in rows] == [
        (False, True)]


def test_userinfo_names_the_token_user(lab: SalesforceLab) -> None:
    info = client(lab).oauth2("userinfo")
    assert (info["user_id"], info["preferred_username"]) == ("005000000000001AAA",
                                                             "admin@acme.example")


def test_the_concurrency_limit_is_a_refusal_of_its_own(lab: SalesforceLab) -> None:
    lab.scenario.faults.append(Fault("/query", status=403, error_code="REQUEST_LIMIT_EXCEEDED",
                                     message=CONCURRENT_REQUESTS, times=1))
    with pytest.raises(SalesforceRefusedRequest) as caught:
        client(lab).query("SELECT Id FROM Lead")
    refusal: Any = caught.value.content
    assert refusal == [{"message": "ConcurrentRequests (Concurrent API Requests) Limit "
                                   "exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert len(client(lab).query("SELECT Id FROM Lead")["records"]) == 9  # a moment later


def test_answers_of_the_wrong_shape(lab: SalesforceLab) -> None:
    lab.scenario.faults += [Fault("/limits", body={"DailyApiRequests": "maintenance"}, times=1),
                            Fault("/limits", raw="<html>proxy</html>", times=1),
                            Fault("/limits", cut=True, times=1)]
    sf = client(lab)
    assert sf.restful("limits/") == {"DailyApiRequests": "maintenance"}
    with pytest.raises(requests.JSONDecodeError):
        sf.restful("limits/")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        sf.restful("limits/")
    lab.scenario.shapes["Lead"] = {"records": "maintenance"}
    assert sf.query("SELECT Id FROM Lead") == {"records": "maintenance"}


def test_a_subrequest_url_past_the_limit_is_refused(lab: SalesforceLab) -> None:
    emails = ", ".join(f"'user{n}@acme.example'" for n in range(800))
    url = Query("u", "User", f"SELECT Id FROM User WHERE Email IN ({emails})").url("62.0")
    assert len(url) > URI_MAX
    answer = composite(lab, [url])["compositeResponse"][0]
    assert (answer["httpStatusCode"], answer["body"][0]["errorCode"]) == (414, "URI_TOO_LONG")


def test_soql_escapes_and_a_limit_that_reads_no_further() -> None:
    odd = {**TABLES, "Person": [{"Id": "p9", "Name": "O'Brien\\x"}]}
    found = execute(Database(SCHEMA, odd), r"SELECT Id FROM Person WHERE Name IN "
                    r"('Ann', 'O\'Brien\\x')", record_url=lambda t, i: "")
    assert [r["Id"] for r in found] == ["p9"]
    with pytest.raises(SoqlError):
        run(r"SELECT Name FROM Person WHERE Name = 'A\qnn'")  # no such escape
    read: list[int] = []

    class Counted(list[dict[str, Any]]):
        def __iter__(self) -> Iterator[dict[str, Any]]:
            for n, row in enumerate(super().__iter__()):
                read.append(n)
                yield row

    tables = {**TABLES, "Person": Counted(TABLES["Person"])}
    rows = execute(Database(SCHEMA, tables), "SELECT Name FROM Person LIMIT 1",
                   record_url=lambda t, i: "")
    assert [r["Name"] for r in rows] == ["Ann"] and read == [0]


def test_soap_login_ends_at_api_64(lab: SalesforceLab) -> None:
    scenario = lab.scenario
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        SalesforceLogin(username=scenario.username, password=scenario.password,
                        security_token=scenario.security_token, sf_version="65.0",
                        session=proxied())
    assert caught.value.code == "UNSUPPORTED_API_VERSION"


def test_each_request_is_timed(lab: SalesforceLab) -> None:
    lab.scenario.latency = 0.05
    client(lab).query("SELECT Id FROM Lead")
    (exchange,) = lab.emulator.exchanges
    assert exchange.request == "GET /services/data/v62.0/query/"
    assert exchange.ended - exchange.started >= 0.05


def test_paging_headers_and_counting(lab: SalesforceLab) -> None:
    lab.scenario.batch_size = 2
    sf = client(lab)
    first = sf.query("SELECT Id FROM Lead")
    assert (len(first["records"]), first["done"], first["totalSize"]) == (2, False, 9)
    assert len(sf.query_all("SELECT Id FROM Lead")["records"]) == 9
    assert sf.api_usage["api-usage"].total == lab.scenario.api_max
    assert lab.emulator.request_count == 1 + 5  # one query, then query_all's five pages


def batch(lab: SalesforceLab, urls: list[str]) -> Any:
    body = {"batchRequests": [{"method": "GET", "url": url} for url in urls],
            "haltOnError": False}
    return client(lab).restful("composite/batch", method="POST", json=body)


def test_a_batch_answers_in_order_and_charges_each_subrequest(lab: SalesforceLab) -> None:
    org = Query("org", "Organization", "SELECT Id FROM Organization").url("62.0")
    relative = org.removeprefix("/services/data/")
    used = lab.scenario.api_used
    answer = batch(lab, [relative] * 6 + ["v62.0/limits", "v62.0/sobjects/Lead/describe",
                                          "v62.0/tooling/query/?q=SELECT+Id+FROM+ValidationRule"])
    statuses = [r["statusCode"] for r in answer["results"]]
    assert statuses == [200] * 8 + [400]  # six queries and more; no Tooling API in a batch
    assert answer["hasErrors"] is True
    assert answer["results"][7]["result"]["fields"][0]["name"] == "Id"
    assert lab.scenario.api_used == used + 1 + 9  # the batch itself and each subrequest
    with pytest.raises(SalesforceMalformedRequest):
        batch(lab, [relative] * 26)


def test_composite_takes_a_describe_beside_five_queries(lab: SalesforceLab) -> None:
    url = Query("org", "Organization", "SELECT Id FROM Organization").url("62.0")
    describe = Query("lead", "Lead", api="describe").url("62.0")
    answers = composite(lab, [url] * 5 + [describe])["compositeResponse"]
    assert [a["httpStatusCode"] for a in answers] == [200] * 6
    assert {f["name"] for f in answers[5]["body"]["fields"]} >= {"LastName", "Company"}


@pytest.mark.parametrize(("sobject", "permission"), [
    ("UserLogin", "ManageUsers"), ("FieldPermissions", "ViewSetup"),
    ("DuplicateRule", "ViewSetup")])
def test_setup_objects_follow_their_special_access_rules(
        lab: SalesforceLab, sobject: str, permission: str) -> None:
    soql = f"SELECT Id FROM {sobject}"
    assert client(lab).query(soql)["records"]
    lab.scenario.permissions[permission] = False
    with pytest.raises(SalesforceMalformedRequest) as caught:
        client(lab).query(soql)
    refusal: Any = caught.value.content
    assert refusal[0]["errorCode"] == "INVALID_TYPE"


def test_the_tooling_api_answers_only_for_tooling_objects(lab: SalesforceLab) -> None:
    sf = client(lab)
    rules = sf.restful("tooling/query/", params={
        "q": "SELECT ValidationName, EntityDefinition.QualifiedApiName FROM ValidationRule"})
    assert [r["EntityDefinition"]["QualifiedApiName"] for r in rules["records"]] == [
        "Lead", "Contact", "Account"]
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful("tooling/query/", params={"q": "SELECT Id FROM Lead"})
