"""One Intercom REST client: counting, retries, rate limits and Intercom's error bodies.

Every answer becomes either a JSON object or one of two exceptions whose messages are safe
to store and show: TokenRejected (401, nothing else will work either) and ItemUnavailable
(this one piece of evidence could not be read, with Intercom's code and message, or with
what came instead of a JSON object: an HTML page from a proxy, a cut-off body, a list).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from auditor.collect import RequestCounter
from auditor.collect.answers import ItemUnavailable, describe, quote
from auditor.safety.secrets import Redactor, register

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class TokenRejected(Exception):
    """Intercom answered 401: the token is wrong, revoked, or for another region."""


@dataclass(frozen=True)
class RetryPolicy:
    max_wait: float  # longest total wait on 429s for one request (--max-wait)
    timeout: float  # seconds per request (--timeout); here only to word messages
    attempts: int = 3  # tries per request on 5xx and connection failures
    rate_limited_attempts: int = 5  # tries per request on 429, within max_wait
    backoff: float = 0.5  # first wait after a 5xx or connection failure; doubles


class IntercomClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        token: str,
        policy: RetryPolicy,
        on_request: RequestCounter,
        sleep: Sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        # Messages quote text from the network: the token must never ride along.
        self.redact = Redactor([token])
        register(token)
        self._policy = policy
        self._on_request = on_request
        self._sleep = sleep
        self._clock = clock
        self.requests = 0

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    async def get(self, path: str, params: dict[str, str | int]) -> dict[str, Any]:
        return await self.send("GET", path, params=params)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.send("POST", path, body=body)

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str | int] | None = None,
        body: dict[str, Any] | None = None,
        what: str = "",
    ) -> dict[str, Any]:
        """The JSON object Intercom answered. `url` is a path on the base URL, or a full URL
        the caller has already checked is on the configured host; `what` names the request
        in reasons (the method and path by default)."""
        what = what or f"{method} {url}"
        failures = rate_limited = 0
        waited = 0.0
        while True:
            self.requests += 1
            self._on_request()
            try:
                response = await self._http.request(method, url, params=params, json=body)
            except httpx.TransportError as error:
                failures += 1
                problem = self._describe(error)
                if failures >= self._policy.attempts:
                    raise ItemUnavailable(
                        f"{what}: {problem}, {failures} times", unreachable=True
                    ) from None
                await self._retry_after(what, problem, self._backoff(failures))
                continue
            status = response.status_code
            if status == 429:
                rate_limited += 1
                delay = self._rate_limit_delay(response)
                if waited + delay > self._policy.max_wait:
                    raise ItemUnavailable(
                        f"{what}: {self._error_text(response)}; Intercom asked to wait "
                        f"{delay:.0f} s more, past the {self._policy.max_wait:g} s allowed "
                        "by --max-wait", status=status
                    )
                if rate_limited >= self._policy.rate_limited_attempts:
                    raise ItemUnavailable(
                        f"{what}: {self._error_text(response)}, {rate_limited} times",
                        status=status,
                    )
                waited += delay
                await self._retry_after(what, "429 rate limited", delay)
                continue
            if status >= 500:
                failures += 1
                if failures >= self._policy.attempts:
                    raise ItemUnavailable(
                        f"{what}: {self._error_text(response)}, {failures} times", status=status
                    )
                await self._retry_after(what, str(status), self._backoff(failures))
                continue
            if status == 401:
                raise TokenRejected(self._error_text(response))
            if response.is_error:
                raise ItemUnavailable(f"{what}: {self._error_text(response)}", status=status)
            return self._json(what, response)

    async def _retry_after(self, what: str, problem: str, delay: float) -> None:
        log.info("Intercom %s: %s; retrying in %.1f s", what, problem, delay)
        await self._sleep(delay)

    def _backoff(self, failures: int) -> float:
        return float(self._policy.backoff * 2 ** (failures - 1))

    def _rate_limit_delay(self, response: httpx.Response) -> float:
        """Seconds to wait, from Retry-After or else X-RateLimit-Reset (epoch seconds)."""
        for header, to_delay in (
            ("Retry-After", float),
            ("X-RateLimit-Reset", lambda value: float(value) - self._clock()),
        ):
            value = response.headers.get(header)
            if value is None:
                continue
            try:
                delay = to_delay(value)
            except ValueError:
                continue
            if math.isfinite(delay):
                # At least a moment: a reset already past means the window just rolled.
                return max(delay, 0.5)
        return self._policy.backoff

    def _describe(self, error: httpx.TransportError) -> str:
        if isinstance(error, httpx.TimeoutException):
            return f"no answer within {self._policy.timeout:g} s"
        kind = "could not connect" if isinstance(error, httpx.ConnectError) else "connection lost"
        return self.redact(f"{kind} ({error or type(error).__name__})")

    def _error_text(self, response: httpx.Response) -> str:
        """`403 forbidden: message` from Intercom's error.list body; for any other body the
        status and what the body was (a proxy's page, say)."""
        detail = _intercom_error(response)
        if detail is None:
            phrase = response.reason_phrase or "error"
            detail = f"{phrase} ({self._body(response)}, not an Intercom error body)"
        return self.redact(f"{response.status_code} {_shorten(detail)}")

    def _json(self, what: str, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        # Not JSON, not text at all (UnicodeDecodeError), or nested past Python's limit.
        except (ValueError, RecursionError):
            raise ItemUnavailable(self.redact(
                f"{what}: expected a JSON object, got {self._body(response)} that is not JSON"
                f" (status {response.status_code})"
            )) from None
        if not isinstance(data, dict):
            raise ItemUnavailable(self.redact(
                f"{what}: expected a JSON object, got {describe(data)} (status "
                f"{response.status_code})"
            ))
        return data

    @staticmethod
    def _body(response: httpx.Response) -> str:
        """What a body was: its type, size and first words; e.g. a proxy's HTML page."""
        text = " ".join(response.text.split())
        if not text:
            return "an empty body"
        kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "a body"
        return f"{kind} of {len(response.content):,} bytes starting {quote(text)}"

def _intercom_error(response: httpx.Response) -> str | None:
    """`code: message` from Intercom's error.list body; None when the body is not one."""
    try:
        first = response.json()["errors"][0]
        code, message = first["code"], first.get("message")
    except (ValueError, RecursionError, LookupError, TypeError, AttributeError):
        return None
    if not isinstance(code, str) or not isinstance(message, str | None):
        return None
    return f"{code}: {message or 'no message'}"


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


async def gather_all(*steps: Awaitable[Any]) -> list[Any]:
    """Run steps concurrently; when any fails, raise the most telling failure.

    Unlike plain gather, every step finishes first (no request is left dangling), and a
    rejected token wins over an item's own failure because it ends the whole source.
    """
    results = await asyncio.gather(*steps, return_exceptions=True)
    failures = [result for result in results if isinstance(result, BaseException)]
    for kind in (TokenRejected, ItemUnavailable, BaseException):
        for failure in failures:
            if isinstance(failure, kind):
                raise failure
    return results
