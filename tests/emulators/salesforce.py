"""A Salesforce emulator for the collector's tests: real HTTPS on 127.0.0.1.

It serves what tests/emulators/salesforce_org.py answers (the org's REST resources,
UserInfo, the SOAP login and the OAuth JWT bearer token endpoint), and adds what only
a network shows: faults injected per path (a status, an error quoting the request's
credential back in some form, a connection reset, a delay, an answer of the wrong shape,
a body that is not JSON, a body cut short), latency on every answer, and a record of
each request with the moments it started and ended, so that tests can assert request
budgets and the critical path.

Logins go to https://login.salesforce.com (simple-salesforce builds that address from
the domain), so the emulator also runs an HTTP CONNECT proxy that tunnels any host to
it; tests point HTTPS_PROXY at the proxy and NO_PROXY at 127.0.0.1.
"""

from __future__ import annotations

import select
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import trustme

from tests.emulators.salesforce_org import (
    CONCURRENT_REQUESTS,
    URI_MAX,
    Fault,
    Org,
    Reply,
    Scenario,
    credential_of,
)

__all__ = ["CONCURRENT_REQUESTS", "Emulator", "Exchange", "Fault", "Scenario"]


@dataclass(frozen=True)
class Exchange:
    """One request the emulator answered: when it came in and when its answer was sent."""

    request: str  # "METHOD /path"
    started: float
    ended: float


class Emulator:
    """Start with `with Emulator(scenario, ca) as emulator:`; `base_url` is the instance."""

    def __init__(self, scenario: Scenario, ca: trustme.CA) -> None:
        self.rest_requests: list[str] = []  # "METHOD /path" of every request but logins
        self.exchanges: list[Exchange] = []  # the same, once answered, with their moments
        self.logins: list[str] = []  # the authentication requests, kept apart
        self.tunnels: list[str] = []  # CONNECT targets seen by the proxy
        self.lock = threading.Lock()
        cert = ca.issue_cert("127.0.0.1", "localhost", "login.salesforce.com",
                             "test.salesforce.com")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.emulator = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.org = Org(scenario, self.base_url)
        self.proxy = _Proxy(("127.0.0.1", 0), _Tunnel)
        self.proxy.upstream_port = self.port
        self.proxy.tunnels = self.tunnels
        self.proxy_url = f"http://127.0.0.1:{self.proxy.server_address[1]}"

    @property
    def scenario(self) -> Scenario:
        return self.org.scenario

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

    def fault_for(self, path: str, body: bytes) -> Fault | None:
        with self.lock:
            for fault in self.scenario.faults:
                if fault.path in path and fault.body_has.encode() in body and fault.times != 0:
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None


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
        started = time.monotonic()
        emulator: Emulator = self.server.emulator  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        request = f"{self.command} {path}"
        is_login = path.startswith(("/services/Soap/u/", "/services/oauth2/token"))
        with emulator.lock:
            (emulator.logins if is_login else emulator.rest_requests).append(request)
        fault = emulator.fault_for(path, body)
        if not is_login:
            time.sleep(emulator.scenario.latency + (fault.delay if fault else 0.0))
        if fault and fault.reset:
            self.reset()
            return
        if len(self.requestline) > URI_MAX:
            reply = Reply(414, "URI Too Long", content_type="text/plain")
        else:
            credential = credential_of(path, body, dict(self.headers.items()))
            replaced = fault.reply(path, credential) if fault else None
            reply = replaced or emulator.org.answer(self.command, self.path, body,
                                                    dict(self.headers.items()))
        self.send(reply, cut=bool(fault and fault.cut))
        if not is_login:
            with emulator.lock:
                emulator.exchanges.append(Exchange(request, started, time.monotonic()))

    def send(self, reply: Reply, *, cut: bool) -> None:
        payload = reply.payload()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        # Cut: the connection closes before the announced length has come.
        self.wfile.write(payload[: len(payload) // 2] if cut else payload)
        self.close_connection = self.close_connection or cut

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
