"""What an emulated Salesforce org answers, without any network: the REST resources the
collector uses, UserInfo, the SOAP login and the OAuth JWT bearer token endpoint.

tests/emulators/salesforce.py serves these answers over HTTPS (with faults, latency and
counters); tests/salesforce_stub.py hands them to requests directly for fast tests.
Each behaviour follows the Salesforce documentation listed in docs/salesforce.md:

- query with nextRecordsUrl paging (2,000 records a batch), /limits, composite (at most
  25 subrequests, 5 of them queries, @{ref.path} references; sObject describes too),
  composite/batch (at most 25 subrequests, answered in order, each one counted against
  the daily allowance), the Tooling API's query (ValidationRule, EntityDefinition);
- SOQL semi-joins (`ParentId IN (SELECT PermissionSetId FROM ...)`);
- special access rules: UserLogin only with Manage Users, FieldPermissions and
  DuplicateRule (and, assumed, the Tooling API's ValidationRule) only with View Setup and
  Configuration; without them the object is not there (INVALID_TYPE);
- the OauthToken special access rules: without Customize Application a user sees only
  their own tokens, and the query still succeeds;
- UserPermissionAccess: the signed-in user's own permissions, one record;
- every answer under /services/data carries Sforce-Limit-Info, and the daily allowance is
  spent as they are counted (REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded.");
- SOAP login() only up to API 64.0; error bodies in Salesforce's shape.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from tests.emulators.soql import Database, Record, Schema, SoqlError, execute, parse

PERMISSIONS = ("ApiEnabled", "ViewSetup", "CustomizeApplication", "ManageUsers", "ViewAllData")
SCHEMA = Schema(
    fields={
        "Organization": {"Id", "Name", "OrganizationType", "IsSandbox", "InstanceName"},
        "User": {"Id", "Username", "Email", "IsActive", "UserType", "ProfileId"},
        "Profile": {"Id", "Name", "PermissionsModifyAllData"},
        "PermissionSet": {"Id", "Name", "Label", "IsOwnedByProfile", "ProfileId",
                          "PermissionsModifyAllData"},
        "PermissionSetAssignment": {"Id", "AssigneeId", "PermissionSetId"},
        "FieldPermissions": {"Id", "ParentId", "SobjectType", "Field", "PermissionsRead",
                             "PermissionsEdit"},
        "UserLogin": {"Id", "UserId", "IsFrozen", "IsPasswordLocked"},
        "DuplicateRule": {"Id", "DeveloperName", "MasterLabel", "SobjectType", "IsActive"},
        "OauthToken": {"Id", "AppName", "UserId", "LastUsedDate", "UseCount"},
        "UserPermissionAccess": {"Id", "LastCacheUpdate", *(f"Permissions{p}" for p in
                                                             PERMISSIONS)},
        "Task": {"Id", "Subject", "CreatedById", "CreatedDate"},
        "Account": {"Id", "Name", "CreatedById", "CreatedDate"},
        "Lead": {"Id", "Email", "IsConverted"},
        "Contact": {"Id", "Email"},
        "RecordType": {"Id", "Name", "DeveloperName", "SobjectType", "IsActive"},
        "PackageLicense": {"Id", "NamespacePrefix", "Status", "AllowedLicenses",
                           "UsedLicenses", "ExpirationDate"},
    },
    references={("User", "CreatedBy"): "User", ("PermissionSetAssignment", "Assignee"): "User"},
    children={("User", "PermissionSetAssignments"): ("PermissionSetAssignment", "AssigneeId")},
)
TOOLING_SCHEMA = Schema(fields={
    "ValidationRule": {"Id", "ValidationName", "Active", "EntityDefinitionId", "ErrorMessage"},
    "EntityDefinition": {"Id", "QualifiedApiName"},
})
# The permission each object's special access rules ask for (docs/salesforce.md).
NEEDS_PERMISSION = {"UserLogin": "ManageUsers", "FieldPermissions": "ViewSetup",
                    "DuplicateRule": "ViewSetup", "ValidationRule": "ViewSetup"}
COMPOSITE_MAX_SUBREQUESTS = 25
BATCH_MAX_SUBREQUESTS = 25
COMPOSITE_MAX_QUERIES = 5
URI_MAX = 16_384  # bytes of URI (and headers) Salesforce takes in one request
SOAP_LOGIN_LAST_VERSION = 64.0
ORG_ID = "00D000000000001AAA"
ADMIN_ID = "005000000000001AAA"
TOTAL_REQUESTS = "TotalRequests Limit exceeded."
CONCURRENT_REQUESTS = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."
_UNSET: Any = object()
SOAP_LOGIN_PATH = "/services/Soap/u/"
TOKEN_PATH = "/services/oauth2/token"


@dataclass
class Fault:
    """What to do to requests whose path contains `path` (and whose body contains
    `body_has`), for the next `times` of them."""

    path: str
    body_has: str = ""  # e.g. "PackageLicense": the Composite request that carries it
    status: int | None = None
    error_code: str = ""
    message: str = ""
    reset: bool = False
    delay: float = 0.0
    body: Any = _UNSET  # JSON sent instead of the answer, with `status` (200 by default)
    raw: str | None = None  # a text sent instead of the answer, as `content_type`
    content_type: str = "text/html; charset=utf-8"
    cut: bool = False  # the answer's first half only, though its full length is announced
    times: int | None = None  # None: every matching request
    # A server that quotes the credential a request carried (credential_of) back in its
    # error: the message is `message` followed by what `echo` makes of it, in the error
    # shape of the endpoint (a REST error list, a SOAP fault, an OAuth error).
    echo: Callable[[str], str] | None = None
    as_html: bool = False  # with echo: in a gateway's HTML error page instead

    def reply(self, path: str = "", credential: str = "") -> Reply | None:
        """The answer this fault sends instead of the org's, if it replaces it."""
        if self.echo is not None:
            return self._echoed(path, self.message + self.echo(credential))
        if self.raw is not None:
            return Reply(self.status or 200, self.raw, content_type=self.content_type)
        if self.body is not _UNSET:
            return Reply(self.status or 200, self.body)
        if self.status:
            return errors(self.status, self.error_code, self.message)
        return None

    def _echoed(self, path: str, message: str) -> Reply:
        # In XML and HTML, what the server quotes is escaped, as they require.
        if self.as_html:
            return Reply(self.status or 500, f"<html><body><p>{html.escape(message)}</p>"
                         "</body></html>", content_type="text/html")
        if path.startswith(SOAP_LOGIN_PATH):
            return _soap_fault(self.error_code or "INVALID_LOGIN", html.escape(message))
        if path.startswith(TOKEN_PATH):
            return Reply(self.status or 400, {"error": self.error_code or "invalid_grant",
                                              "error_description": message})
        return errors(self.status or 401, self.error_code or "INVALID_SESSION_ID", message)


def credential_of(path: str, body: bytes, headers: dict[str, str]) -> str:
    """What a request authenticates with: the SOAP login's password element (the password
    and security token together), the consumer key that issued a JWT bearer assertion, or
    else the bearer token."""
    if path.startswith(SOAP_LOGIN_PATH):
        return html.unescape(_element(body.decode(), "password"))
    if path.startswith(TOKEN_PATH):
        assertion = parse_qs(body.decode()).get("assertion", [""])[0]
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return ""
        return str(claims.get("iss", ""))
    return headers.get("Authorization", "").removeprefix("Bearer ")


@dataclass
class Scenario:
    tables: dict[str, Sequence[Record]]
    access_token: str = "00D000000000001!AQ4AQFakeSessionTokenForTests"
    username: str = "admin@acme.example"  # the auditing user, who signs in
    user_id: str = ADMIN_ID
    permissions: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(PERMISSIONS,
                                                                                True))
    password: str = "pa55word-secret"
    security_token: str = "SECTOKEN123secret"
    consumer_key: str = "3MVG9consumer-key"
    jwt_public_key: bytes | None = None
    api_max: int = 100_000
    api_used: int = 1_234
    batch_size: int = 2000
    versions: tuple[str, ...] = ("60.0", "61.0", "62.0", "64.0", "66.0")
    limit_header: bool = True  # Sforce-Limit-Info on answers under /services/data
    latency: float = 0.0  # seconds added to every answer but the logins
    # object name -> (status, errorCode, message) for every query that reads it
    denied: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    # object name -> the JSON answered for a query or describe of it, whatever the query
    # ("limits": for the limits), for answers of the wrong shape
    shapes: dict[str, Any] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)  # applied by the HTTPS emulator
    # sObject name -> the fields its describe lists (name, createable, nillable, ...)
    describes: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: standard_describes())


def _described(name: str, createable: bool = True, nillable: bool = True,
               defaulted: bool = False, permissionable: bool = True) -> dict[str, Any]:
    return {"name": name, "label": name, "type": "string", "createable": createable,
            "updateable": createable, "nillable": nillable, "defaultedOnCreate": defaulted,
            "permissionable": permissionable}


def standard_describes() -> dict[str, list[dict[str, Any]]]:
    """Lead and Contact as a new org describes them: Id and the audit fields are not
    createable; LastName (and Company on Lead) are required and not governed by
    FieldPermissions; Status and OwnerId are filled on create."""
    common = [_described("Id", createable=False, nillable=False, defaulted=True,
                         permissionable=False),
              _described("LastName", nillable=False, permissionable=False),
              _described("FirstName"), _described("Email"), _described("Title"),
              _described("Phone"),
              _described("OwnerId", nillable=False, defaulted=True, permissionable=False),
              _described("CreatedDate", createable=False, nillable=False, defaulted=True,
                         permissionable=False)]
    return {
        "Lead": [*common, _described("Company", nillable=False, permissionable=False),
                 _described("Status", nillable=False, defaulted=True),
                 _described("IsConverted", createable=False, nillable=False, defaulted=True,
                            permissionable=False)],
        "Contact": [*common, _described("AccountId")],
    }


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json;charset=UTF-8"

    def payload(self) -> bytes:
        return (self.body if isinstance(self.body, str) else json.dumps(self.body)).encode()


def errors(status: int, code: str, message: str) -> Reply:
    return Reply(status, [{"message": message, "errorCode": code}])


class Org:
    """The answers of one org; `base_url` is the instance logins send clients to."""

    def __init__(self, scenario: Scenario, base_url: str) -> None:
        self.scenario = scenario
        self.base_url = base_url
        self.lock = threading.Lock()
        self._cursors: dict[str, list[Record]] = {}
        self.query_urls: list[str] = []  # the URL of every query subrequest, as sent

    def answer(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> Reply:
        """The reply to one request, logins included."""
        parts = urlsplit(url)
        path, query = parts.path, parse_qs(parts.query)
        if path.startswith(SOAP_LOGIN_PATH):
            return self.soap_login(path.removeprefix(SOAP_LOGIN_PATH), body)
        if path.startswith(TOKEN_PATH):
            return self.jwt_login(body, headers.get("Host", "").split(":")[0])
        authorized = headers.get("Authorization") == f"Bearer {self.scenario.access_token}"
        if path.rstrip("/") == "/services/oauth2/userinfo":
            return self.userinfo() if authorized else Reply(403, "Bad_OAuth_Token",
                                                            content_type="text/plain")
        reply = self.rest(method, path, query, body, authorized)
        if self.scenario.limit_header and path.startswith("/services/data/v"):
            scenario = self.scenario
            reply.headers["Sforce-Limit-Info"] = f"api-usage={scenario.api_used}/{scenario.api_max}"
        return reply

    # --- REST ------------------------------------------------------------------------

    def rest(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
             authorized: bool) -> Reply:
        scenario = self.scenario
        if path.rstrip("/") == "/services/data":
            return Reply(200, [{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v}
                               for v in scenario.versions])
        if not authorized:
            return errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        with self.lock:
            if scenario.api_used >= scenario.api_max:
                return errors(403, "REQUEST_LIMIT_EXCEEDED", TOTAL_REQUESTS)
            scenario.api_used += 1
        match = re.fullmatch(r"/services/data/v(\d+\.\d)/(.*?)/?", path)
        if not match or match.group(1) not in scenario.versions:
            return errors(404, "NOT_FOUND", "The requested resource does not exist")
        version, resource = match.groups()
        if method == "GET" and resource == "limits":
            return self.limits()
        if method == "GET" and resource == "query":
            return self.query(query.get("q", [""])[0], version)
        if method == "GET" and resource.startswith("query/"):
            return self.next_batch(resource.removeprefix("query/"), version)
        if method == "GET" and resource == "tooling/query":
            return self.query(query.get("q", [""])[0], version, tooling=True)
        if method == "GET" and resource.startswith("tooling/query/"):
            return self.next_batch(resource.removeprefix("tooling/query/"), version,
                                   "tooling/query")
        if method == "POST" and resource == "composite":
            return self.composite(json.loads(body or b"{}"), version)
        if method == "POST" and resource == "composite/batch":
            return self.composite_batch(json.loads(body or b"{}"), version)
        return errors(404, "NOT_FOUND", "The requested resource does not exist")

    def tables(self) -> dict[str, Sequence[Record]]:
        """What the signed-in user can see."""
        scenario = self.scenario
        visible = dict(scenario.tables)
        visible["UserPermissionAccess"] = [{
            "Id": None, "LastCacheUpdate": "2026-01-01T00:00:00.000+0000",
            **{f"Permissions{p}": scenario.permissions.get(p, False) for p in PERMISSIONS}}]
        if not scenario.permissions.get("CustomizeApplication"):
            # OauthToken special access rules: only one's own tokens, and no error.
            visible["OauthToken"] = [t for t in scenario.tables.get("OauthToken", [])
                                     if t.get("UserId") == scenario.user_id]
        return visible

    def query(self, soql: str, version: str, *, tooling: bool = False) -> Reply:
        scenario = self.scenario
        try:
            sobject = parse(soql).sobject
            if sobject in scenario.denied:
                return errors(*scenario.denied[sobject])
            needed = NEEDS_PERMISSION.get(sobject)
            if needed and not scenario.permissions.get(needed):
                raise SoqlError("INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
            if sobject in scenario.shapes:
                return Reply(200, scenario.shapes[sobject])
            api = f"/services/data/v{version}/{'tooling/' if tooling else ''}sobjects"
            records = execute(Database(TOOLING_SCHEMA if tooling else SCHEMA, self.tables()),
                              soql, record_url=lambda t, i: f"{api}/{t}/{i}")
        except SoqlError as exc:
            return errors(400, exc.error_code, exc.message)
        return self.batch(records, 0, len(records), version, cursor=None,
                          resource="tooling/query" if tooling else "query")

    def limits(self) -> Reply:
        scenario = self.scenario
        if "limits" in scenario.shapes:
            return Reply(200, scenario.shapes["limits"])
        return Reply(200, {"DailyApiRequests": {"Max": scenario.api_max,
                                                "Remaining": scenario.api_max
                                                - scenario.api_used}})

    def describe(self, sobject: str) -> Reply:
        if sobject in self.scenario.denied:
            return errors(*self.scenario.denied[sobject])
        if sobject in self.scenario.shapes:
            return Reply(200, self.scenario.shapes[sobject])
        fields = self.scenario.describes.get(sobject)
        if fields is None:
            return errors(404, "NOT_FOUND", "The requested resource does not exist")
        return Reply(200, {"name": sobject, "label": sobject, "createable": True,
                           "fields": fields})

    def batch(self, records: list[Record], start: int, total: int, version: str,
              cursor: str | None, resource: str = "query") -> Reply:
        size = self.scenario.batch_size
        page: dict[str, Any] = {"totalSize": total, "done": True, "records": records[:size]}
        if len(records) > size:
            with self.lock:
                cursor = cursor or f"01g{len(self._cursors):015d}"
                self._cursors[cursor] = records[size:]
            page["done"] = False
            page["nextRecordsUrl"] = (f"/services/data/v{version}/{resource}/"
                                      f"{cursor}-{start + size}")
        return Reply(200, page)

    def next_batch(self, locator: str, version: str, resource: str = "query") -> Reply:
        cursor, _, start = locator.partition("-")
        with self.lock:
            records = self._cursors.pop(cursor, None)
        if records is None or not start.isdigit():
            return errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self.batch(records, int(start), int(start) + len(records), version, cursor,
                          resource)

    def composite(self, request: dict[str, Any], version: str) -> Reply:
        subrequests = request.get("compositeRequest", [])
        query_path = f"/services/data/v{version}/query"
        queries = [s for s in subrequests if urlsplit(s.get("url", "")).path.rstrip("/")
                   .startswith(query_path)]
        if len(subrequests) > COMPOSITE_MAX_SUBREQUESTS:
            return errors(400, "LIMIT_EXCEEDED",
                          f"A composite request can have at most {COMPOSITE_MAX_SUBREQUESTS} "
                          "subrequests.")
        if len(queries) > COMPOSITE_MAX_QUERIES:
            return errors(400, "LIMIT_EXCEEDED",
                          f"A composite request can have at most {COMPOSITE_MAX_QUERIES} query "
                          "operations.")
        answered: dict[str, Any] = {}
        responses = []
        for sub in subrequests:
            reply = self.subrequest(sub, answered, query_path, version)
            answered[sub["referenceId"]] = reply.body if reply.status < 300 else None
            responses.append({"body": reply.body, "httpHeaders": {},
                              "httpStatusCode": reply.status, "referenceId": sub["referenceId"]})
        return Reply(200, {"compositeResponse": responses})

    def subrequest(self, sub: dict[str, Any], answered: dict[str, Any], query_path: str,
                   version: str) -> Reply:
        with self.lock:
            self.query_urls.append(sub.get("url", ""))
        if len(sub.get("url", "").encode()) > URI_MAX:  # assumed to hold inside a Composite
            return errors(414, "URI_TOO_LONG", "URI Too Long")
        try:
            url = re.sub(r"@\{(\w+)\.([^}]+)\}", lambda m: _reference(answered, *m.groups()),
                         sub["url"])
        except LookupError as exc:
            return errors(400, "PROCESSING_HALTED", f"Invalid reference specified: {exc}")
        parts = urlsplit(url)
        describe = re.fullmatch(rf"/services/data/v{re.escape(version)}/sobjects/(\w+)/describe/?",
                                parts.path)
        if sub.get("method") == "GET" and describe:
            return self.describe(describe.group(1))
        if sub.get("method") != "GET" or not parts.path.startswith(query_path):
            return errors(400, "INVALID_API_INPUT",
                          f"{parts.path} is not supported in a composite request")
        if parts.path.rstrip("/") == query_path:
            return self.query(parse_qs(parts.query).get("q", [""])[0], version)
        return self.next_batch(parts.path.removeprefix(query_path + "/"), version)

    def composite_batch(self, request: dict[str, Any], version: str) -> Reply:
        """Up to 25 independent subrequests, answered in order; each is charged as a call."""
        subrequests = request.get("batchRequests", [])
        if len(subrequests) > BATCH_MAX_SUBREQUESTS:
            return errors(400, "LIMIT_EXCEEDED", f"A batch can have at most "
                          f"{BATCH_MAX_SUBREQUESTS} subrequests.")
        results = []
        for sub in subrequests:
            with self.lock:
                self.query_urls.append(sub.get("url", ""))
                self.scenario.api_used += 1
            reply = self.batch_subrequest(sub, version)
            results.append({"statusCode": reply.status, "result": reply.body})
        return Reply(200, {"hasErrors": any(r["statusCode"] >= 400 for r in results),
                           "results": results})

    def batch_subrequest(self, sub: dict[str, Any], version: str) -> Reply:
        parts = urlsplit("/services/data/" + sub.get("url", "").lstrip("/"))
        match = re.fullmatch(r"/services/data/v(\d+\.\d)/(.*?)/?", parts.path)
        if sub.get("method") != "GET" or not match or float(match.group(1)) > float(version):
            return errors(400, "INVALID_API_INPUT", f"{parts.path} is not supported in a batch")
        resource = match.group(2)
        if resource == "query":
            return self.query(parse_qs(parts.query).get("q", [""])[0], match.group(1))
        if resource == "limits":
            return self.limits()
        describe = re.fullmatch(r"sobjects/(\w+)/describe", resource)
        if describe:
            return self.describe(describe.group(1))
        return errors(400, "INVALID_API_INPUT", f"{parts.path} is not supported in a batch")

    # --- who is signed in ------------------------------------------------------------

    def userinfo(self) -> Reply:
        scenario = self.scenario
        return Reply(200, {"sub": f"https://login.salesforce.com/id/{ORG_ID}/{scenario.user_id}",
                           "user_id": scenario.user_id, "organization_id": ORG_ID,
                           "preferred_username": scenario.username, "email": scenario.username})

    def soap_login(self, version: str, body: bytes) -> Reply:
        text = body.decode()
        username = html.unescape(_element(text, "username"))
        password = html.unescape(_element(text, "password"))
        scenario = self.scenario
        if not version.replace(".", "", 1).isdigit() or float(version) > SOAP_LOGIN_LAST_VERSION:
            return _soap_fault("UNSUPPORTED_API_VERSION",
                               "login() is not available in this API version")
        if (username, password) != (scenario.username,
                                    scenario.password + scenario.security_token):
            return _soap_fault("INVALID_LOGIN", "Invalid username, password, security token; "
                                                "or user locked out.")
        ok = ("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
              "xmlns=\"urn:partner.soap.sforce.com\"><soapenv:Body><loginResponse><result>"
              f"<serverUrl>{self.base_url}/services/Soap/u/{version}/{ORG_ID}</serverUrl>"
              f"<sessionId>{scenario.access_token}</sessionId><userId>{scenario.user_id}</userId>"
              f"<userInfo><userName>{html.escape(scenario.username)}</userName></userInfo>"
              "</result></loginResponse></soapenv:Body></soapenv:Envelope>")
        return Reply(200, ok, content_type="text/xml")

    def jwt_login(self, body: bytes, host: str) -> Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        scenario = self.scenario
        try:
            claims = jwt.decode(form.get("assertion", ""), scenario.jwt_public_key or b"",
                                algorithms=["RS256"], audience=f"https://{host}")
        except jwt.PyJWTError as exc:
            return Reply(400, {"error": "invalid_grant", "error_description": str(exc)})
        if claims.get("iss") != scenario.consumer_key or claims.get("sub") != scenario.username:
            return Reply(400, {"error": "invalid_grant",
                               "error_description": "user hasn't approved this consumer"})
        return Reply(200, {"access_token": scenario.access_token, "instance_url": self.base_url,
                           "id": f"https://login.salesforce.com/id/{ORG_ID}/{scenario.user_id}",
                           "token_type": "Bearer", "scope": "api"})


def _soap_fault(code: str, message: str) -> Reply:
    fault = ("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/"
             "envelope/\" xmlns:sf=\"urn:fault.partner.soap.sforce.com\"><soapenv:Body>"
             f"<soapenv:Fault><faultcode>{code}</faultcode><detail>"
             f"<sf:LoginFault><sf:exceptionCode>{code}</sf:exceptionCode>"
             f"<sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail>"
             "</soapenv:Fault></soapenv:Body></soapenv:Envelope>")
    return Reply(500, fault, content_type="text/xml")


def _element(text: str, name: str) -> str:
    match = re.search(rf"<(?:\w+:)?{name}>(.*?)</(?:\w+:)?{name}>", text, re.DOTALL)
    return match.group(1) if match else ""


def _reference(answered: dict[str, Any], ref: str, path: str) -> str:
    value: Any = answered.get(ref)
    if value is None:
        raise LookupError(f"no answer for {ref}")
    for key in re.findall(r"[^.\[\]]+", path):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return str(value)
