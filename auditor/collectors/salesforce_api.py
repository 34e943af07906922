"""Sending the collector's requests through simple-salesforce, frugally and safely.

Queries travel in Composite requests (up to 5 queries each, one API call for the
lot). Each HTTP request is counted. 5xx answers and dropped connections are retried
a bounded number of times with a doubling backoff; a rejected token or a spent daily
allowance stops the whole collection at once; anything else becomes the reason why
the items it carried are unavailable. Every text that leaves here is scrubbed of the
session's secrets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceError

from auditor.collectors import RequestCounter, SourceUnavailable
from auditor.collectors.salesforce_auth import Session
from auditor.collectors.salesforce_queries import Query, Records


@dataclass(frozen=True)
class Unreadable:
    """An item Salesforce would not give, with the reason it gave."""

    reason: str


QueryResults = dict[str, Records | Unreadable]


class RequestFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # the first try included
    backoff: float = 1.0  # seconds before the first retry; doubled for each next one
    sleep: Callable[[float], None] = time.sleep


class Api:
    def __init__(self, session: Session, *, timeout: float, retry: RetryPolicy,
                 on_request: RequestCounter) -> None:
        self.session = session
        self.timeout = timeout
        self.retry = retry
        self.on_request = on_request
        self.requests = 0

    @property
    def limit_info(self) -> dict[str, int] | None:
        """api-usage from the last Sforce-Limit-Info header Salesforce sent."""
        usage = self.session.client.api_usage.get("api-usage")
        return {"used": usage.used, "max": usage.total} if usage else None

    def limits(self) -> dict[str, Any] | Unreadable:
        try:
            answer = self._send(lambda: self.session.client.restful("limits/"))
        except RequestFailed as exc:
            return Unreadable(f"{exc.reason} (reading /limits)")
        return dict(answer or {})

    def run(self, queries: Sequence[Query]) -> QueryResults:
        """The records of each query, in one Composite request (REST or Tooling)."""
        tooling = queries[0].tooling
        version = self.session.api_version
        body = {"allOrNone": False, "compositeRequest": [
            {"method": "GET", "url": q.url(version), "referenceId": q.ref} for q in queries]}
        path = "tooling/composite" if tooling else "composite"
        answer = self._send(lambda: self.session.client.restful(path, method="POST", json=body))
        answers = {r.get("referenceId"): r for r in (answer or {}).get("compositeResponse", [])}
        return {q.ref: self._records(q, answers.get(q.ref)) for q in queries}

    def attempt(self, queries: Sequence[Query]) -> QueryResults:
        """Like run, but a failed request makes each of its queries unreadable."""
        try:
            return self.run(queries)
        except RequestFailed as exc:
            return {q.ref: Unreadable(exc.reason) for q in queries}

    def _records(self, query: Query, answer: dict[str, Any] | None) -> Records | Unreadable:
        if answer is None:
            return Unreadable(f"Salesforce sent no answer for the {query.sobject} query")
        status, body = answer.get("httpStatusCode", 0), answer.get("body")
        if status >= 300 or not isinstance(body, dict):
            code, message = _error_of(body)
            return Unreadable(self.session.redact(
                _describe(status, code, message, on=query.sobject)))
        records: Records = list(body.get("records", []))
        next_url = body.get("nextRecordsUrl")
        while next_url:
            try:
                page = self._next_page(next_url)
            except RequestFailed as exc:
                return Unreadable(f"{exc.reason} (reading more {query.sobject} records)")
            records += page.get("records", [])
            next_url = page.get("nextRecordsUrl")
        return records

    def _next_page(self, url: str) -> dict[str, Any]:
        return dict(self._send(
            lambda: self.session.client.query_more(url, identifier_is_url=True)))

    def _send(self, call: Callable[[], Any]) -> Any:
        attempts = self.retry.attempts
        for attempt in range(1, attempts + 1):
            self.requests += 1
            self.on_request()
            try:
                return call()
            except SalesforceError as exc:
                failure = self._refused(exc)
                retry = exc.status >= 500
            except requests.exceptions.SSLError:
                raise RequestFailed(
                    f"the TLS certificate of {self.session.instance_url} could not be verified; "
                    "behind a TLS-inspecting proxy, set REQUESTS_CA_BUNDLE to its CA bundle"
                ) from None
            except requests.Timeout:
                raise RequestFailed(f"Salesforce did not answer within {self.timeout:g} s "
                                    "(raise it with --timeout)") from None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                failure = f"the connection to Salesforce failed ({_root_cause(exc)})"
                retry = True
            except requests.RequestException as exc:
                raise RequestFailed(f"the request failed ({_root_cause(exc)})") from None
            except ValueError:  # a 2xx answer that is not JSON, e.g. from a captive proxy
                raise RequestFailed("Salesforce's answer was not JSON") from None
            if not retry or attempt == attempts:
                tries = f" after {attempts} attempts" if retry and attempts > 1 else ""
                raise RequestFailed(failure + tries)
            self.retry.sleep(self.retry.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable: the loop returns or raises")

    def _refused(self, exc: SalesforceError) -> str:
        """The reason for an error answer; raises when the collection must stop."""
        code, message = _error_of(exc.content)
        reason = self.session.redact(_describe(exc.status, code, message))
        if exc.status == 401:
            raise SourceUnavailable(
                f"Salesforce rejected the access token ({reason}): it has expired or been "
                f"revoked. To renew it, {self.session.renew_hint}.", requests=self.requests)
        if code == "REQUEST_LIMIT_EXCEEDED":
            raise SourceUnavailable(
                f"Salesforce refused the request because the org's daily API allowance is spent "
                f"({reason}). Nothing more was sent; collect again once the rolling 24-hour "
                "allowance has recovered.", requests=self.requests)
        return reason


def _describe(status: int, code: str, message: str, *, on: str = "") -> str:
    """403 INSUFFICIENT_ACCESS on OauthToken: insufficient access rights on object id"""
    head = " ".join(part for part in (str(status), code, on and f"on {on}") if part)
    return head + (f": {message}" if message else "")


def _error_of(content: Any) -> tuple[str, str]:
    """(errorCode, message) from a Salesforce error body, whatever its shape."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", "")), str(content[0].get("message", ""))
    if isinstance(content, bytes):
        content = content.decode(errors="replace")
    return "", " ".join(str(content).split())[:200]


def _root_cause(exc: BaseException) -> str:
    """The innermost exception's type, e.g. ConnectionResetError: no URLs, no headers."""
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return type(exc).__name__
