"""Sending the collector's requests through simple-salesforce, side by side and safely.

Requests that do not depend on each other run at once on a small thread pool; each
thread has its own simple-salesforce client, because requests.Session is not safe to
share between threads. Each HTTP request is counted. 5xx answers, dropped connections
and a transient REQUEST_LIMIT_EXCEEDED (too many long-running requests at once) are
retried a bounded number of times with a doubling backoff. A rejected token or a spent
daily allowance stops the whole collection (Stopped): no request is sent after it.
Anything else becomes the reason why the items a request carried are unavailable,
answers of the wrong shape included.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError

from auditor.collect import RequestCounter
from auditor.collect.answers import Fields, ItemUnavailable, describe, quote
from auditor.collect.salesforce.auth import Session
from auditor.collect.salesforce.evidence import Identity, Page
from auditor.collect.salesforce.queries import SALESFORCE_ID, Query

PAGES_MAX = 25  # pages read for one query; Salesforce stops OauthToken at 2,500 rows anyway
_WORKERS = 5  # round 1's four requests, and round 2's beside the slowest of them
_NEXT_RECORDS = re.compile(r"/services/data/v\d+\.\d/(?:tooling/)?query/[A-Za-z0-9-]+")
_API_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")
T = TypeVar("T")


@dataclass(frozen=True)
class Unreadable:
    """An item Salesforce would not give, with the reason."""

    reason: str


QueryResults = dict[str, Page | Unreadable]


class RequestFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Stopped(Exception):
    """Nothing more may be sent: the token was rejected or the daily allowance is spent."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # the first try included
    backoff: float = 1.0  # seconds before the first retry; doubled for each next one
    sleep: Callable[[float], None] = time.sleep


class Api:
    """Use as `with Api(...) as api:`; leaving waits for every request under way."""

    def __init__(self, session: Session, *, timeout: float, retry: RetryPolicy,
                 on_request: RequestCounter) -> None:
        self.session = session
        self.timeout = timeout
        self.retry = retry
        self.on_request = on_request
        self.requests = 0
        self._lock = threading.Lock()
        self._stop: str | None = None
        self._usage: tuple[int, int] | None = None  # (used, max), the most used seen
        self._local = threading.local()
        self._clients: list[Salesforce] = []
        self._pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="salesforce")

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_: object) -> None:
        self._pool.shutdown(wait=True)
        for client in self._clients:
            client.session.close()

    def submit(self, work: Callable[..., T], *args: Any) -> Future[T]:
        return self._pool.submit(work, *args)

    @property
    def limit_info(self) -> dict[str, int] | None:
        """api-usage as of the latest Sforce-Limit-Info header Salesforce sent."""
        with self._lock:
            return None if self._usage is None else {"used": self._usage[0],
                                                     "max": self._usage[1]}

    # --- what can be asked ---------------------------------------------------------

    def composite(self, queries: Sequence[Query]) -> QueryResults:
        """The records of each query, from one Composite request; RequestFailed when the
        request as a whole fails."""
        version = self.session.api_version
        body = {"allOrNone": False, "compositeRequest": [
            {"method": "GET", "url": q.url(version), "referenceId": q.ref} for q in queries]}
        what = "Salesforce's answer to POST composite"
        answer = self._send(lambda c: c.restful("composite", method="POST", json=body),
                            "POST composite")
        try:
            answers = {sub.text("referenceId"): sub for sub in
                       Fields(what, answer).items("compositeResponse")}
        except ItemUnavailable as exc:
            return {q.ref: Unreadable(exc.reason) for q in queries}
        return {q.ref: self._subrequest(q, answers.get(q.ref), "httpStatusCode", "body")
                for q in queries}

    def batch(self, queries: Sequence[Query]) -> QueryResults:
        """The records of each query, from one Composite Batch request, whose results come
        in the order of the subrequests; a failed request makes each query unreadable."""
        version = self.session.api_version
        # A batch subrequest's url starts at the version: "v62.0/query/?q=...".
        body = {"haltOnError": False, "batchRequests": [
            {"method": "GET", "url": q.url(version).removeprefix("/services/data/")}
            for q in queries]}
        try:
            answer = self._send(lambda c: c.restful("composite/batch", method="POST", json=body),
                                "POST composite/batch")
            results = Fields("Salesforce's answer to POST composite/batch",
                             answer).items("results")
        except (RequestFailed, ItemUnavailable) as exc:
            return {q.ref: Unreadable(exc.reason) for q in queries}
        if len(results) != len(queries):
            reason = (f"Salesforce's answer to POST composite/batch held {len(results)} "
                      f"results for {len(queries)} subrequests")
            return {q.ref: Unreadable(reason) for q in queries}
        return {q.ref: self._subrequest(q, result, "statusCode", "result")
                for q, result in zip(queries, results, strict=True)}

    def tooling(self, query: Query) -> QueryResults:
        """The records of one Tooling API query, sent on its own."""
        try:
            answer = self._send(lambda c: c.restful("tooling/query/", params={"q": query.soql}),
                                f"GET tooling/query ({query.sobject})")
        except RequestFailed as exc:
            return {query.ref: Unreadable(f"{exc.reason} (querying {query.sobject} through the "
                                          "Tooling API)")}
        return {query.ref: self._records(query, 200, answer)}

    def identity(self) -> Identity:
        """Who the token belongs to, from the OpenID Connect UserInfo endpoint; nothing
        when it cannot tell (a token without the scope for it, say)."""
        try:
            answer = self._send(lambda c: c.oauth2("userinfo"), "GET userinfo", soft=True)
            info = Fields("Salesforce's answer to GET /services/oauth2/userinfo", answer)
            user_id, username = info.text("user_id"), info.text("preferred_username")
        except (RequestFailed, Stopped, ItemUnavailable):
            return Identity()
        return Identity(user_id if user_id and SALESFORCE_ID.fullmatch(user_id) else None,
                        username)

    # --- answers ---------------------------------------------------------------------

    def _subrequest(self, query: Query, sub: Fields | None, status_key: str,
                    body_key: str) -> Page | Unreadable:
        if sub is None:
            return Unreadable(f"{_what(query)} was missing from the Composite answer")
        try:
            status = sub.raw(status_key)
            if not isinstance(status, int) or isinstance(status, bool):
                raise sub.wrong(status_key, "an HTTP status")
        except ItemUnavailable as exc:
            return Unreadable(exc.reason)
        return self._records(query, status, sub.raw(body_key))

    def _records(self, query: Query, status: int, body: Any) -> Page | Unreadable:
        what = _what(query)
        try:
            if status >= 300:
                code, message = _error_of(body)
                return Unreadable(_describe(status, code, message, on=query.sobject))
            if query.api in ("describe", "limits"):
                return _one_answer(what, query, body)
            page, next_url = _page(what, body)
            records = list(page.records)
            for _ in range(PAGES_MAX - 1):
                if next_url is None or not query.follow_pages:
                    return Page(what, records, page.done)
                page, next_url = _page(what, self._next_page(next_url))
                records += page.records
        except ItemUnavailable as exc:
            return Unreadable(exc.reason)
        except RequestFailed as exc:
            return Unreadable(f"{exc.reason} (reading more {query.sobject} records)")
        if next_url is None:
            return Page(what, records, True)
        return Unreadable(f"{what} ran past {PAGES_MAX} pages; it was not read in full")

    def _next_page(self, url: str) -> Any:
        return self._send(lambda c: c.query_more(url, identifier_is_url=True), f"GET {url}")

    # --- sending -----------------------------------------------------------------------

    def _client(self) -> Salesforce:
        client: Salesforce | None = getattr(self._local, "client", None)
        if client is None:
            client = self.session.new_client()
            client.session.hooks["response"].append(self._remember)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _remember(self, response: requests.Response, *_: Any, **__: Any) -> None:
        self._local.response = response
        usage = _API_USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if usage:
            used, most = int(usage[1]), int(usage[2])
            with self._lock:
                if self._usage is None or used >= self._usage[0]:
                    self._usage = (used, most)

    def _send(self, call: Callable[[Salesforce], Any], what: str, *, soft: bool = False) -> Any:
        """The JSON of one request's answer, retried when the failure is transient.

        `soft`: a refusal of this request (401 and the like) fails only this request.
        """
        attempts = self.retry.attempts
        for attempt in range(1, attempts + 1):
            with self._lock:
                if self._stop is not None:
                    raise Stopped(self._stop)
                self.requests += 1
                self.on_request()
            self._local.response = None
            try:
                return call(self._client())
            except SalesforceError as exc:
                failure, retry = self._refused(exc, soft)
            except (ValueError, TypeError):
                # Not JSON (a proxy's HTML page, a cut-off body), or JSON simple-salesforce
                # cannot take (it measures the answer's length). requests' JSONDecodeError is
                # a RequestException too, so this comes first.
                raise RequestFailed(self._not_json(what)) from None
            except requests.exceptions.SSLError:
                raise RequestFailed(
                    f"the TLS certificate of {self.session.instance_url} could not be verified; "
                    "behind a TLS-inspecting proxy, set REQUESTS_CA_BUNDLE to its CA bundle"
                ) from None
            except requests.Timeout:
                raise RequestFailed(f"Salesforce did not answer {what} within "
                                    f"{self.timeout:g} s (raise it with --timeout)") from None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                failure = f"the connection to Salesforce failed ({_root_cause(exc)})"
                retry = True
            except requests.RequestException as exc:
                raise RequestFailed(f"the request failed ({_root_cause(exc)})") from None
            if not retry or attempt == attempts:
                tries = f" after {attempts} attempts" if retry and attempts > 1 else ""
                raise RequestFailed(failure + tries)
            self.retry.sleep(self.retry.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the loop returns or raises")

    def _refused(self, exc: SalesforceError, soft: bool) -> tuple[str, bool]:
        """(reason, whether to retry) for an error answer; Stopped when nothing more may
        be sent."""
        code, message = _error_of(exc.content)
        reason = _describe(exc.status, code, message)
        limited = code == "REQUEST_LIMIT_EXCEEDED"
        spent = limited and "TotalRequests" in message  # the daily allowance, not a moment's
        stop = None
        if exc.status == 401:
            stop = (f"Salesforce rejected the access token ({reason}): it has expired or been "
                    f"revoked. To renew it, {self.session.renew_hint}.")
        elif spent:
            stop = (f"Salesforce refused the request because the org's daily API allowance is "
                    f"spent ({reason}). Nothing more was sent; collect again once the rolling "
                    "24-hour allowance has recovered.")
        if stop is not None and not soft:
            stop = self.session.redact(stop)
            with self._lock:
                self._stop = self._stop or stop
            raise Stopped(stop)
        # Any other limit (too many long-running requests at once) passes: retried.
        return reason, exc.status >= 500 or (limited and not spent)

    def _not_json(self, what: str) -> str:
        response: requests.Response | None = self._local.response
        if response is None:
            return f"Salesforce's answer to {what} was not JSON"
        kind = response.headers.get("Content-Type") or "no Content-Type"
        return (f"Salesforce's answer to {what} was not the JSON it should be ({kind}; "
                f"it began {quote(response.text[:200])})")


def _what(query: Query) -> str:
    if query.api == "limits":
        return f"Salesforce's answer to {query.sobject}"
    kind = "describe" if query.api == "describe" else "query"
    return f"Salesforce's answer to the {query.sobject} {kind}"


def _one_answer(what: str, query: Query, body: Any) -> Page:
    """A describe as a page of its fields; the limits as a page of one record."""
    answer = Fields(what, body)
    return Page(what, answer.items("fields") if query.api == "describe" else [answer], True)


def _page(what: str, body: Any) -> tuple[Page, str | None]:
    """One query answer, and the path of its next page when there is one."""
    answer = Fields(what, body)
    records = answer.items("records")
    done = answer.flag("done")
    if done is None:
        raise answer.wrong("done", "true or false")
    if done:
        return Page(what, records, True), None
    next_url = answer.raw("nextRecordsUrl")
    # Followed on the instance only: a path of Salesforce's query locator shape.
    if not (isinstance(next_url, str) and _NEXT_RECORDS.fullmatch(next_url)):
        raise answer.wrong("nextRecordsUrl", "a /services/data/vNN.0/query/ path")
    return Page(what, records, False), next_url


def _describe(status: int, code: str, message: str, *, on: str = "") -> str:
    """403 INSUFFICIENT_ACCESS on OauthToken: insufficient access rights on object id"""
    head = " ".join(part for part in (str(status), code, on and f"on {on}") if part)
    return head + (f": {message}" if message else "")


def _error_of(content: Any) -> tuple[str, str]:
    """(errorCode, message) from a Salesforce error body, whatever its shape."""
    first = content[0] if isinstance(content, list) and content else None
    if isinstance(first, dict):
        code, message = first.get("errorCode"), first.get("message")
        return (code if isinstance(code, str) else "",
                " ".join(message.split())[:300] if isinstance(message, str) else "")
    if isinstance(content, bytes):
        content = content.decode(errors="replace")
    if isinstance(content, str):
        return "", " ".join(content.split())[:200]
    return "", describe(content)


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's type, e.g. ConnectionResetError: no URLs, no headers."""
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return type(exc).__name__
