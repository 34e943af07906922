"""An Intercom REST API emulator for the collector tests, served over real HTTP(S).

It answers the endpoints the collector uses from a Scenario (plain Python data), the way
Intercom's references say (docs/intercom.md lists the pages):

- `POST /contacts/search`: AND/OR queries, `total_count`, cursor pagination;
- `GET /admins/activity_logs`: page-numbered, 20 entries a page whatever `per_page` says
  (2.16 declares no such parameter), `pages.next` a URL string (later references);
- `POST /admins/activity_logs/search` (2.16): `created_at_after`, `event_types`, `page`
  and `per_page` (1..250) in the body; its next link sets `page` and `per_page` in the
  query, which wins over the body (the 2.17 reference);
- rate-limit headers on every answer and `error.list` bodies for every error.

How activity-log pages say "there is more" is a Scenario choice, because the references
disagree: a URL string, a cursor object (the 2.16 description), or only page numbers.

Faults are injected per endpoint: an HTTP error status (with, if asked, the token quoted
back in some form), a 429 with its reset time, a dropped connection, a slow answer, an
answer of any JSON shape, a non-JSON body (a proxy's HTML page), a body cut short.

Every exchange is recorded (request and answer), so tests count the requests the
collector really sent and check both sides against the OpenAPI description; answers a
fault deliberately broke are marked `injected` and only their requests are checked.
"""

from __future__ import annotations

import base64
import json
import math
import socket
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

Record = dict[str, Any]

SEARCH_PER_PAGE = (50, 150)  # (default, maximum) for POST /contacts/search
ACTIVITY_LIST_PER_PAGE = 20  # GET /admins/activity_logs, fixed
ACTIVITY_SEARCH_PER_PAGE = (20, 250)  # (default, maximum) for POST /admins/activity_logs/search
ACTIVITY_PAGING = ("url", "cursor", "numbers")  # how activity-log pages point onwards
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
    body: bytes | None = None  # answer these bytes instead (with `status`, else 200)
    content_type: str = "application/json"
    truncate: bool = False  # send the first half of the real answer only
    close: bool = False  # with truncate: promise the whole length, then hang up
    times: int = 1
    # With status: the error message is `message` followed by what this makes of the
    # bearer token the request carried (a server quoting the credential back).
    echo: Callable[[str], str] | None = None

    @classmethod
    def error(cls, status: int, code: str, message: str, *, times: int = 1) -> Fault:
        return cls(status=status, code=code, message=message, times=times)

    @classmethod
    def echoing(cls, status: int, code: str, message: str, echo: Callable[[str], str],
                *, times: int = 1) -> Fault:
        return cls(status=status, code=code, message=message, echo=echo, times=times)

    @classmethod
    def rate_limited(
        cls, reset_in: float, *, retry_after: int | None = None, times: int = 1
    ) -> Fault:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return cls(status=429, code="rate_limit_exceeded",
                   message="Exceeded rate limit of 10000 in 60_seconds",
                   headers=headers, reset_in=reset_in, times=times)

    @classmethod
    def answer(cls, value: Any, *, times: int = 1) -> Fault:
        """A 200 answer holding `value` as JSON, whatever its shape."""
        return cls(body=json.dumps(value).encode(), times=times)

    @classmethod
    def raw(cls, body: bytes, content_type: str, *, status: int = 200, times: int = 1) -> Fault:
        """Any bytes at all: a proxy's HTML page, a login form, binary noise."""
        return cls(status=status, body=body, content_type=content_type, times=times)

    @classmethod
    def truncated(cls, *, close: bool, times: int = 1) -> Fault:
        """The real answer cut in half: with `close`, the connection drops before the
        promised length; without, the half is all the Content-Length says there is."""
        return cls(truncate=True, close=close, times=times)


@dataclass
class Scenario:
    """One workspace as Intercom would show it."""

    token: str
    app: Record
    me_id: str
    admins: list[Record]
    contacts: list[Record]  # id, role, and email (None when the contact has none)
    activity_logs: list[Record]
    # Keyed "METHOD /path"; each fault is used up by the requests it affects.
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    activity_paging: str = "url"  # one of ACTIVITY_PAGING
    activity_search: bool = True  # False: the search endpoint answers 404 (older versions)
    # Where next links point; None: the host the request was sent to.
    next_origin: str | None = None


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
    injected: bool = False  # the answer was deliberately broken by a fault
    # time.monotonic() when the request came in and when its answer was sent, as the
    # Salesforce emulator records them: bench/run.py reads the critical path from them.
    started: float = 0.0
    ended: float = 0.0

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"

    def query_values(self) -> dict[str, Any]:
        """The query, the last value of each parameter."""
        return {name: values[-1] for name, values in self.query.items()}


class IntercomEmulator:
    def __init__(self, scenario: Scenario, origin: str = "") -> None:
        if scenario.activity_paging not in ACTIVITY_PAGING:
            raise ValueError(f"activity_paging must be one of {ACTIVITY_PAGING}")
        self.scenario = scenario
        self.origin = origin  # scheme://host:port the emulator is served on
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
            "GET /admins/activity_logs": self._activity_logs,
            "POST /admins/activity_logs/search": self._search_activity_logs,
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

    def _activity_logs(self, exchange: Exchange) -> Record:
        after = _one(exchange, "created_at_after")
        if after is None:
            raise ApiError(400, "parameter_not_found", "created_at_after is required")
        before = _one(exchange, "created_at_before")
        entries = self._logged_between(
            _integer(after), None if before is None else _integer(before))
        page = _page_number(exchange.query_values())
        return self._activity_page(exchange, entries, page, ACTIVITY_LIST_PER_PAGE)

    def _search_activity_logs(self, exchange: Exchange) -> Record:
        if not self.scenario.activity_search:
            raise ApiError(404, "not_found", "Resource Not Found")
        body = exchange.body if isinstance(exchange.body, dict) else {}
        after, before = body.get("created_at_after"), body.get("created_at_before")
        if not isinstance(after, int) or not isinstance(before, int | None):
            raise ApiError(400, "parameter_invalid", "created_at_after must be a UNIX timestamp")
        types = body.get("event_types")
        if types is not None and not isinstance(types, list):
            raise ApiError(400, "parameter_invalid", "event_types must be a list")
        entries = [e for e in self._logged_between(after, before)
                   if types is None or e["activity_type"] in types]
        # Paging in the query (from a next link) wins over paging in the body.
        paging = {**body, **exchange.query_values()}
        default, maximum = ACTIVITY_SEARCH_PER_PAGE
        size = _integer(paging.get("per_page", default))
        if not 1 <= size <= maximum:
            raise ApiError(400, "parameter_invalid", f"per_page must be between 1 and {maximum}")
        page = _page_number(paging)
        return self._activity_page(exchange, entries, page, size, with_size=True)

    def _logged_between(self, after: int, before: int | None) -> list[Record]:
        return sorted(
            (e for e in self.scenario.activity_logs
             if e["created_at"] >= after and (before is None or e["created_at"] <= before)),
            key=lambda e: -e["created_at"],
        )

    def _activity_page(
        self, exchange: Exchange, entries: list[Record], page: int, size: int,
        *, with_size: bool = False,
    ) -> Record:
        total = math.ceil(len(entries) / size)
        pages: Record = {"type": "pages", "page": page, "per_page": size, "total_pages": total,
                         "next": None}
        if page < total:
            pages["next"] = self._next(exchange, page + 1, size if with_size else None)
        return {"type": "activity_log.list", "pages": pages,
                "activity_logs": entries[(page - 1) * size:page * size]}

    def _next(self, exchange: Exchange, page: int, size: int | None) -> Any:
        mode = self.scenario.activity_paging
        if mode == "cursor":
            token = json.dumps({"page": page}).encode()
            return {"per_page": size or ACTIVITY_LIST_PER_PAGE,
                    "starting_after": base64.urlsafe_b64encode(token).decode()}
        if mode == "numbers":
            return None
        # The request's own query, with the page (and the page size) of the next one.
        query = {**exchange.query_values(), "page": page}
        if size is not None:
            query["per_page"] = size
        origin = self.scenario.next_origin or self.origin
        return f"{origin}{exchange.path}?{urlencode(query)}"


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


def _page_number(paging: dict[str, Any]) -> int:
    """The page asked for: by a cursor (GET query or POST body), else by number."""
    cursor = paging.get("starting_after")
    page = _integer(_decoded(cursor).get("page") if cursor is not None else paging.get("page", 1))
    if page < 1:
        raise ApiError(400, "parameter_invalid", "page must be 1 or more")
    return page


def _integer(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, "parameter_invalid", f"{value!r} is not a number") from None


def _decoded(cursor: Any) -> Record:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor))
    except (ValueError, TypeError):
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, "parameter_invalid", "starting_after is not valid")
    return data


def _page(
    items: list[Record], per_page: Any, cursor: Any, limits: tuple[int, int]
) -> tuple[list[Record], Record]:
    """One page of `items` after the opaque cursor, and Intercom's `pages` object."""
    default, maximum = limits
    size = default if per_page is None else per_page
    if not isinstance(size, int) or not 1 <= size <= maximum:
        raise ApiError(400, "parameter_invalid", f"per_page must be between 1 and {maximum}")
    start = _integer(_decoded(cursor).get("offset")) if cursor else 0
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


def _parsed(payload: bytes) -> Any:
    """An injected body as the exchange records it: its JSON, else its text."""
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")


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

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and the
        # client's delayed ACK hold the body back some 40 ms on a kept-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self) -> None:
        started = time.monotonic()
        exchange = self._answer()
        exchange.started, exchange.ended = started, time.monotonic()

    def _answer(self) -> Exchange:
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
            return exchange
        if fault and fault.delay:
            time.sleep(fault.delay)
        headers = emulator.rate_limit_headers(exhausted=bool(fault and fault.status == 429))
        if fault and fault.body is not None:
            status, payload, kind = fault.status or 200, fault.body, fault.content_type
            response: Any = _parsed(payload)
            exchange.injected = True
        else:
            try:
                if fault and fault.status:
                    token = exchange.headers.get("authorization", "").removeprefix("Bearer ")
                    echoed = fault.echo(token) if fault.echo else ""
                    raise ApiError(fault.status, fault.code, fault.message + echoed)
                status, response = 200, emulator.answer(exchange)
            except ApiError as error:
                status, response = error.status, _error_body(error.code, error.message)
            payload, kind = json.dumps(response).encode(), "application/json"
        if fault and fault.reset_in is not None:
            headers["X-RateLimit-Reset"] = str(int(time.time() + fault.reset_in))
        headers.update(fault.headers if fault else {})
        exchange.status, exchange.response_headers, exchange.response = status, headers, response
        if fault and fault.truncate:
            exchange.injected = True
            half = payload[:len(payload) // 2]
            self._send(status, headers, half, kind, length=len(payload) if fault.close else None)
            self.close_connection = fault.close
            return exchange
        self._send(status, headers, payload, kind)
        return exchange

    def _send(
        self, status: int, headers: dict[str, str], payload: bytes, content_type: str,
        *, length: int | None = None,
    ) -> None:
        """The answer; `length` promises more bytes than are sent (a cut-off body)."""
        self.send_response(status)
        for name, value in {**headers, "Content-Type": content_type,
                            "Content-Length": str(len(payload) if length is None else length),
                            }.items():
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
    emulator.origin = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    try:
        yield emulator, emulator.origin
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
