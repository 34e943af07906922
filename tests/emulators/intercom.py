"""An Intercom REST API emulator for the collector tests, served over real HTTP(S).

It answers the endpoints the collector uses from a Scenario (plain Python data), the way
Intercom's API description says: cursor pagination (`pages.next.starting_after`,
`per_page`), contact search with AND/OR queries and `total_count`, rate-limit headers on
every answer, and `error.list` bodies for every error. Faults are injected per endpoint:
an HTTP error status, a 429 with its reset time, a dropped connection, a slow answer.

Every exchange is recorded (request and answer), so tests count the requests the
collector really sent and check both sides against the OpenAPI description.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Record = dict[str, Any]

SEARCH_PER_PAGE = (50, 150)  # (default, maximum) for POST /contacts/search
LIST_PER_PAGE = (20, 250)  # for GET /admins/activity_logs
RATE_LIMIT = 10_000  # requests per minute, Intercom's default for a private app


class ApiError(Exception):
    """An Intercom error answer: status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Fault:
    """What goes wrong with the next `times` requests to one endpoint."""

    status: int | None = None  # answer with this status and an error.list body
    code: str = ""
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    reset_in: float | None = None  # 429: X-RateLimit-Reset this many seconds from now
    drop: bool = False  # close the connection (TCP reset) without answering
    delay: float = 0.0  # seconds to wait before answering normally
    times: int = 1

    @classmethod
    def error(cls, status: int, code: str, message: str, *, times: int = 1) -> Fault:
        return cls(status=status, code=code, message=message, times=times)

    @classmethod
    def rate_limited(
        cls, reset_in: float, *, retry_after: int | None = None, times: int = 1
    ) -> Fault:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(status=429, code="rate_limit_exceeded",
                   message="Exceeded rate limit of 10000 in 60_seconds",
                   headers=headers, reset_in=reset_in, times=times)


@dataclass
class Scenario:
    """One workspace as Intercom would show it."""

    token: str
    app: Record
    me_id: str
    admins: list[Record]
    contacts: list[Record]  # id, role, and email (None when the contact has none)
    companies: int
    activity_logs: list[Record]
    data_attributes: list[Record]
    # Keyed "METHOD /path"; each fault is used up by the requests it affects.
    faults: dict[str, list[Fault]] = field(default_factory=dict)


@dataclass
class Exchange:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int | None = None  # None: the connection was dropped
    response_headers: dict[str, str] = field(default_factory=dict)
    response: Any = None

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"


class IntercomEmulator:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._window = (0, 0)  # (minute, requests in it) for the rate-limit headers

    @property
    def requests(self) -> int:
        return len(self.exchanges)

    def requests_to(self, endpoint: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.endpoint == endpoint]

    # --- dispatch ------------------------------------------------------------------

    def record(self, exchange: Exchange) -> Fault | None:
        with self._lock:
            self.exchanges.append(exchange)
            queue = self.scenario.faults.get(exchange.endpoint) or []
            if not queue:
                return None
            fault = queue[0]
            if fault.times <= 1:
                queue.pop(0)
            else:
                queue[0] = Fault(**{**fault.__dict__, "times": fault.times - 1})
            return fault

    def rate_limit_headers(self, *, exhausted: bool = False) -> dict[str, str]:
        now = time.time()
        minute = int(now // 60)
        with self._lock:
            used = self._window[1] + 1 if self._window[0] == minute else 1
            self._window = (minute, used)
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": "0" if exhausted else str(max(RATE_LIMIT - used, 0)),
            "X-RateLimit-Reset": str((minute + 1) * 60),
        }

    def answer(self, exchange: Exchange) -> Record:
        """The JSON body for a well-formed request, or raise ApiError."""
        auth = exchange.headers.get("authorization", "")
        if auth != f"Bearer {self.scenario.token}":
            raise ApiError(401, "unauthorized", "Access Token Invalid")
        routes = {
            "GET /me": self._me,
            "GET /admins": self._admins,
            "POST /contacts/search": self._search_contacts,
            "GET /companies": self._companies,
            "GET /admins/activity_logs": self._activity_logs,
            "GET /data_attributes": self._data_attributes,
        }
        route = routes.get(exchange.endpoint)
        if route is None:
            raise ApiError(404, "not_found", f"No route for {exchange.endpoint}")
        return route(exchange)

    # --- endpoints -----------------------------------------------------------------

    def _me(self, _: Exchange) -> Record:
        me = next(a for a in self.scenario.admins if a["id"] == self.scenario.me_id)
        return {**_admin(me), "email_verified": True, "app": {"type": "app", **self.scenario.app}}

    def _admins(self, _: Exchange) -> Record:
        return {"type": "admin.list", "admins": [_admin(a) for a in self.scenario.admins]}

    def _search_contacts(self, exchange: Exchange) -> Record:
        body = exchange.body if isinstance(exchange.body, dict) else {}
        if "query" not in body:
            raise ApiError(400, "parameter_not_found", "query is required")
        matches = [c for c in self.scenario.contacts if _matches(c, body["query"], depth=0)]
        paging = body.get("pagination") or {}
        page, pages = _page(matches, paging.get("per_page"), paging.get("starting_after"),
                            SEARCH_PER_PAGE)
        workspace = self.scenario.app["id_code"]
        return {"type": "list", "data": [_contact(c, workspace) for c in page],
                "total_count": len(matches), "pages": pages}

    def _companies(self, exchange: Exchange) -> Record:
        per_page = int(_one(exchange, "per_page") or 15)
        shown = min(per_page, self.scenario.companies)
        return {
            "type": "list",
            "data": [{"type": "company", "id": f"c{n}", "name": f"Company {n}"}
                     for n in range(shown)],
            "total_count": self.scenario.companies,
            "pages": {"type": "pages", "page": 1, "per_page": per_page,
                      "total_pages": -(-self.scenario.companies // per_page)},
        }

    def _activity_logs(self, exchange: Exchange) -> Record:
        after = _one(exchange, "created_at_after")
        if after is None:
            raise ApiError(400, "parameter_not_found", "created_at_after is required")
        before = _one(exchange, "created_at_before")
        entries = sorted(
            (e for e in self.scenario.activity_logs
             if e["created_at"] >= int(after)
             and (before is None or e["created_at"] <= int(before))),
            key=lambda e: -e["created_at"],
        )
        per_page = _one(exchange, "per_page")
        page, pages = _page(entries, None if per_page is None else int(per_page),
                            _one(exchange, "starting_after"), LIST_PER_PAGE)
        return {"type": "activity_log.list", "pages": pages, "activity_logs": page}

    def _data_attributes(self, exchange: Exchange) -> Record:
        model = _one(exchange, "model")
        data = [a for a in self.scenario.data_attributes if model in (None, a["model"])]
        return {"type": "list", "data": data}


# --- shapes ----------------------------------------------------------------------------


def _admin(admin: Record) -> Record:
    return {"type": "admin", "away_mode_enabled": False, "away_mode_reassign": False,
            "has_inbox_seat": True, "team_ids": [], **admin}


def _contact(contact: Record, workspace: str) -> Record:
    # Intercom's description types email as a string: no email is an empty one.
    return {"type": "contact", "id": contact["id"], "workspace_id": workspace,
            "role": contact["role"], "email": contact.get("email") or ""}


def _one(exchange: Exchange, name: str) -> str | None:
    values = exchange.query.get(name)
    return values[-1] if values else None


def _page(
    items: list[Record], per_page: Any, cursor: Any, limits: tuple[int, int]
) -> tuple[list[Record], Record]:
    """One page of `items` after the opaque cursor, and Intercom's `pages` object."""
    default, maximum = limits
    size = default if per_page is None else per_page
    if not isinstance(size, int) or not 1 <= size <= maximum:
        raise ApiError(400, "parameter_invalid", f"per_page must be between 1 and {maximum}")
    start = 0
    if cursor:
        try:
            start = json.loads(base64.urlsafe_b64decode(cursor))["offset"]
        except (ValueError, KeyError, TypeError):
            raise ApiError(400, "parameter_invalid", "starting_after is not valid") from None
    page = items[start:start + size]
    pages: Record = {"type": "pages", "page": start // size + 1, "per_page": size,
                     "total_pages": -(-len(items) // size)}
    if start + size < len(items):
        token = json.dumps({"offset": start + size}).encode()
        pages["next"] = {"per_page": size,
                         "starting_after": base64.urlsafe_b64encode(token).decode()}
    return page, pages


def _matches(contact: Record, query: Any, depth: int) -> bool:
    """Intercom's search filters: nested AND/OR (two levels at most) over field filters."""
    if not isinstance(query, dict):
        raise ApiError(400, "invalid_query", "a query must be an object")
    operator = query.get("operator")
    if operator in ("AND", "OR"):
        parts = query.get("value")
        if depth >= 2 or not isinstance(parts, list) or not 0 < len(parts) <= 15:
            raise ApiError(400, "invalid_query", "AND/OR need 1 to 15 filters, 2 levels deep")
        results = [_matches(contact, part, depth + 1) for part in parts]
        return all(results) if operator == "AND" else any(results)
    actual, wanted = contact.get(query.get("field", "")), query.get("value")
    if operator == "=":
        return bool(actual == wanted)
    if operator == "!=":
        return bool(actual != wanted)
    if operator in ("IN", "NIN") and isinstance(wanted, list):
        found = bool(actual in wanted)
        return found if operator == "IN" else not found
    raise ApiError(400, "invalid_query", f"operator {operator!r} is not supported here")


# --- the HTTP side ---------------------------------------------------------------------


def _error_body(code: str, message: str) -> Record:
    return {"type": "error.list", "request_id": str(uuid.uuid4()),
            "errors": [{"code": code, "message": message}]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the exchanges are recorded instead."""

    def _handle(self) -> None:
        emulator = self.server.emulator
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        exchange = Exchange(
            method=self.command, path=url.path, query=parse_qs(url.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=json.loads(raw) if raw else None,
        )
        fault = emulator.record(exchange)
        if fault and fault.drop:
            self._drop()
            return
        if fault and fault.delay:
            time.sleep(fault.delay)
        headers = emulator.rate_limit_headers(exhausted=bool(fault and fault.status == 429))
        try:
            if fault and fault.status:
                raise ApiError(fault.status, fault.code, fault.message)
            status, body = 200, emulator.answer(exchange)
        except ApiError as error:
            status, body = error.status, _error_body(error.code, error.message)
        if fault and fault.reset_in is not None:
            headers["X-RateLimit-Reset"] = str(int(time.time() + fault.reset_in))
        headers.update(fault.headers if fault else {})
        exchange.status, exchange.response_headers, exchange.response = status, headers, body
        self._send(status, headers, json.dumps(body).encode())

    def _send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json",
                            "Content-Length": str(len(payload))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        # SO_LINGER with a zero timeout turns close() into a TCP reset.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The collector opens its connections all at once; the default backlog of 5 makes
    # the kernel drop the rest and the client retry a second later.
    request_queue_size = 64

    def __init__(self, emulator: IntercomEmulator) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.emulator = emulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that timed out and left is part of the tests."""


@contextmanager
def serve(
    scenario: Scenario, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[IntercomEmulator, str]]:
    """Run an emulator on 127.0.0.1 for the duration; yields it and its base URL."""
    emulator = IntercomEmulator(scenario)
    server = _Server(emulator)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield emulator, f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
