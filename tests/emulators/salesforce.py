"""A Salesforce REST emulator for the collector's tests: real HTTPS on 127.0.0.1.

It serves, from a Scenario of plain records, what the collector and simple-salesforce
use: the versions list, /limits, query (with nextRecordsUrl paging), tooling/query,
composite and tooling/composite (with @{ref.path} references, and Salesforce's limits
of 25 subrequests and 5 queries), the SOAP login and the OAuth JWT bearer token
endpoint. Every REST answer carries Sforce-Limit-Info; errors have Salesforce's shape
([{"message": ..., "errorCode": ...}]). Faults (a status, a connection reset, a delay)
are injected per path, and every request is counted so that tests can assert budgets.

Logins go to https://login.salesforce.com (simple-salesforce builds that address from
the domain), so the emulator also runs an HTTP CONNECT proxy that tunnels any host to
it; tests point HTTPS_PROXY at the proxy and NO_PROXY at 127.0.0.1.
"""

from __future__ import annotations

import html
import json
import re
import select
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import trustme

from tests.emulators.soql import Database, Record, Schema, SoqlError, execute, parse

SCHEMA = Schema(
    fields={
        "Organization": {"Id", "Name", "OrganizationType", "IsSandbox", "InstanceName"},
        "User": {"Id", "Username", "Email", "IsActive", "UserType", "ProfileId"},
        "Profile": {"Id", "Name", "PermissionsModifyAllData"},
        "PermissionSet": {"Id", "Name", "Label", "IsOwnedByProfile", "ProfileId",
                          "PermissionsModifyAllData"},
        "PermissionSetAssignment": {"Id", "AssigneeId", "PermissionSetId"},
        "OauthToken": {"Id", "AppName", "UserId", "LastUsedDate", "UseCount"},
        "Task": {"Id", "Subject", "CreatedById", "CreatedDate"},
        "Account": {"Id", "Name", "CreatedById", "CreatedDate"},
        "Lead": {"Id", "Email", "IsConverted"},
        "Contact": {"Id", "Email"},
        "RecordType": {"Id", "Name", "DeveloperName", "SobjectType", "IsActive"},
        "AssignmentRule": {"Id", "Name", "SobjectType", "Active"},
        "InstalledSubscriberPackage": {"Id", "SubscriberPackageId", "SubscriberPackageVersionId"},
        "SubscriberPackage": {"Id", "Name", "NamespacePrefix"},
        "SubscriberPackageVersion": {"Id", "Name", "MajorVersion", "MinorVersion",
                                     "PatchVersion"},
    },
    references={("User", "CreatedBy"): "User", ("PermissionSetAssignment", "Assignee"): "User"},
    children={("User", "PermissionSetAssignments"): ("PermissionSetAssignment", "AssigneeId")},
)
# The Tooling API sees setup objects only; these three are not in the REST API at all.
TOOLING_ONLY = {"InstalledSubscriberPackage", "SubscriberPackage", "SubscriberPackageVersion"}
TOOLING = TOOLING_ONLY | {"RecordType"}
COMPOSITE_MAX_SUBREQUESTS = 25
COMPOSITE_MAX_QUERIES = 5


@dataclass
class Fault:
    """What to do to requests whose path contains `path`, for the next `times` of them."""

    path: str
    status: int | None = None
    error_code: str = ""
    message: str = ""
    reset: bool = False
    delay: float = 0.0
    times: int | None = None  # None: every matching request


@dataclass
class Scenario:
    tables: dict[str, list[Record]]
    access_token: str = "00D000000000001!AQ4AQFakeSessionTokenForTests"
    username: str = "auditor@acme.example"
    password: str = "pa55word-secret"
    security_token: str = "SECTOKEN123secret"
    consumer_key: str = "3MVG9consumer-key"
    jwt_public_key: bytes | None = None
    api_max: int = 100_000
    api_used: int = 1_234
    batch_size: int = 2000
    versions: tuple[str, ...] = ("60.0", "61.0", "62.0")
    # object name -> (status, errorCode, message) for every query that reads it
    denied: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json;charset=UTF-8"


def errors(status: int, code: str, message: str) -> Reply:
    return Reply(status, [{"message": message, "errorCode": code}])


class Emulator:
    """Start with `with Emulator(scenario, ca) as emulator:`; `base_url` is the instance."""

    def __init__(self, scenario: Scenario, ca: trustme.CA) -> None:
        self.scenario = scenario
        self.rest_requests: list[str] = []  # "METHOD /path" of every REST request
        self.logins: list[str] = []  # the authentication requests, kept apart
        self.tunnels: list[str] = []  # CONNECT targets seen by the proxy
        self.lock = threading.Lock()
        self._cursors: dict[str, list[Record]] = {}
        cert = ca.issue_cert("127.0.0.1", "localhost", "login.salesforce.com",
                             "test.salesforce.com")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.emulator = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.proxy = _Proxy(("127.0.0.1", 0), _Tunnel)
        self.proxy.upstream_port = self.port
        self.proxy.tunnels = self.tunnels
        self.proxy_url = f"http://127.0.0.1:{self.proxy.server_address[1]}"

    def __enter__(self) -> Emulator:
        for server in (self.server, self.proxy):
            # A short poll keeps shutdown, and so each test's teardown, quick.
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                             daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        for server in (self.server, self.proxy):
            server.shutdown()
            server.server_close()

    @property
    def request_count(self) -> int:
        with self.lock:
            return len(self.rest_requests)

    # --- answering ------------------------------------------------------------------

    def fault_for(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.scenario.faults:
                if fault.path in path and fault.times != 0:
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def rest(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
             authorization: str) -> Reply:
        scenario = self.scenario
        if path.rstrip("/") == "/services/data":
            return Reply(200, [{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v}
                               for v in scenario.versions])
        if authorization != f"Bearer {scenario.access_token}":
            return errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        with self.lock:
            if scenario.api_used >= scenario.api_max:
                return errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            scenario.api_used += 1
        match = re.fullmatch(r"/services/data/v(\d+\.\d)/(.*?)/?", path)
        if not match or match.group(1) not in scenario.versions:
            return errors(404, "NOT_FOUND", "The requested resource does not exist")
        version, resource = match.groups()
        if method == "GET" and resource == "limits":
            return Reply(200, {"DailyApiRequests": {"Max": scenario.api_max,
                                                    "Remaining": scenario.api_max
                                                    - scenario.api_used}})
        if method == "GET" and resource in ("query", "tooling/query"):
            return self.query(query.get("q", [""])[0], version, tooling=resource != "query")
        if method == "GET" and resource.startswith("query/"):
            return self.next_batch(resource.removeprefix("query/"), version)
        if method == "POST" and resource in ("composite", "tooling/composite"):
            return self.composite(json.loads(body or b"{}"), version,
                                  tooling=resource != "composite")
        return errors(404, "NOT_FOUND", "The requested resource does not exist")

    def query(self, soql: str, version: str, *, tooling: bool) -> Reply:
        allowed = TOOLING if tooling else set(SCHEMA.fields) - TOOLING_ONLY
        schema = Schema({k: v for k, v in SCHEMA.fields.items() if k in allowed},
                        SCHEMA.references, SCHEMA.children)
        try:
            sobject = parse(soql).sobject
            if sobject in self.scenario.denied:
                return errors(*self.scenario.denied[sobject])
            records = execute(Database(schema, self.scenario.tables), soql,
                              record_url=lambda t, i: f"/services/data/v{version}/sobjects/{t}/{i}")
        except SoqlError as exc:
            return errors(400, exc.error_code, exc.message)
        return self.batch(records, 0, len(records), version, cursor=None)

    def batch(self, records: list[Record], start: int, total: int, version: str,
              cursor: str | None) -> Reply:
        size = self.scenario.batch_size
        page: dict[str, Any] = {"totalSize": total, "done": True, "records": records[:size]}
        if len(records) > size:
            with self.lock:
                cursor = cursor or f"01g{len(self._cursors):015d}"
                self._cursors[cursor] = records[size:]
            page["done"] = False
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor}-{start + size}"
        return Reply(200, page)

    def next_batch(self, locator: str, version: str) -> Reply:
        cursor, _, start = locator.partition("-")
        with self.lock:
            records = self._cursors.pop(cursor, None)
        if records is None or not start.isdigit():
            return errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self.batch(records, int(start), int(start) + len(records), version, cursor)

    def composite(self, request: dict[str, Any], version: str, *, tooling: bool) -> Reply:
        subrequests = request.get("compositeRequest", [])
        query_path = f"/services/data/v{version}/{'tooling/' if tooling else ''}query"
        queries = [s for s in subrequests if urlsplit(s.get("url", "")).path.rstrip("/")
                   in (query_path, query_path + "All")]
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
            reply = self.subrequest(sub, answered, query_path, version, tooling=tooling)
            answered[sub["referenceId"]] = reply.body if reply.status < 300 else None
            responses.append({"body": reply.body, "httpHeaders": {},
                              "httpStatusCode": reply.status, "referenceId": sub["referenceId"]})
        return Reply(200, {"compositeResponse": responses})

    def subrequest(self, sub: dict[str, Any], answered: dict[str, Any], query_path: str,
                   version: str, *, tooling: bool) -> Reply:
        try:
            url = re.sub(r"@\{(\w+)\.([^}]+)\}", lambda m: _reference(answered, *m.groups()),
                         sub["url"])
        except LookupError as exc:
            return errors(400, "PROCESSING_HALTED", f"Invalid reference specified: {exc}")
        parts = urlsplit(url)
        if sub.get("method") != "GET" or parts.path.rstrip("/") != query_path:
            return errors(400, "INVALID_API_INPUT",
                          f"{parts.path} is not supported in a composite request")
        return self.query(parse_qs(parts.query).get("q", [""])[0], version, tooling=tooling)

    def soap_login(self, body: bytes) -> Reply:
        text = body.decode()
        username = html.unescape(_element(text, "username"))
        password = html.unescape(_element(text, "password"))
        scenario = self.scenario
        if (username, password) != (scenario.username,
                                    scenario.password + scenario.security_token):
            fault = ("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/"
                     "envelope/\" xmlns:sf=\"urn:fault.partner.soap.sforce.com\"><soapenv:Body>"
                     "<soapenv:Fault><faultcode>INVALID_LOGIN</faultcode><detail>"
                     "<sf:LoginFault><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>"
                     "<sf:exceptionMessage>Invalid username, password, security token; or user "
                     "locked out.</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault>"
                     "</soapenv:Body></soapenv:Envelope>")
            return Reply(500, fault, content_type="text/xml")
        ok = ("<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
              "xmlns=\"urn:partner.soap.sforce.com\"><soapenv:Body><loginResponse><result>"
              f"<serverUrl>{self.base_url}/services/Soap/u/62.0/00D000000000001</serverUrl>"
              f"<sessionId>{scenario.access_token}</sessionId></result></loginResponse>"
              "</soapenv:Body></soapenv:Envelope>")
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
                           "token_type": "Bearer", "scope": "api"})


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


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that left (a timed-out request); loud about the rest."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the emulator's counters, not its log."""

    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def answer(self) -> None:
        emulator: Emulator = self.server.emulator  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = urlsplit(self.path)
        is_login = parts.path.startswith(("/services/Soap/u/", "/services/oauth2/token"))
        with emulator.lock:
            (emulator.logins if is_login else emulator.rest_requests).append(
                f"{self.command} {parts.path}")
        fault = emulator.fault_for(parts.path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.reset:
            self.reset()
            return
        if fault and fault.status:
            reply = errors(fault.status, fault.error_code, fault.message)
        elif parts.path.startswith("/services/Soap/u/"):
            reply = emulator.soap_login(body)
        elif parts.path.startswith("/services/oauth2/token"):
            reply = emulator.jwt_login(body, self.headers.get("Host", "").split(":")[0])
        else:
            reply = emulator.rest(self.command, parts.path, parse_qs(parts.query), body,
                                  self.headers.get("Authorization", ""))
        if not is_login:
            scenario = emulator.scenario
            reply.headers["Sforce-Limit-Info"] = f"api-usage={scenario.api_used}/{scenario.api_max}"
        self.send(reply)

    def send(self, reply: Reply) -> None:
        payload = (reply.body if isinstance(reply.body, str) else json.dumps(reply.body)).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send a TCP RST: a reset, not a FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


class _Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    upstream_port: int
    tunnels: list[str]


class _Tunnel(socketserver.BaseRequestHandler):
    """An HTTP CONNECT proxy that sends every tunnel to the emulator, whatever the host."""

    server: _Proxy

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        self.server.tunnels.append(target)
        with socket.create_connection(("127.0.0.1", self.server.upstream_port)) as upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(self.request, upstream)


def _pipe(one: socket.socket, other: socket.socket) -> None:
    peers = {one: other, other: one}
    while True:
        readable, _, _ = select.select(list(peers), [], [], 10)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            peers[sock].sendall(data)

