"""Collection: what Salesforce and Intercom show, read into snapshot sections.

Takes credentials and options (as plain data); gives each source's section of the
snapshot (auditor/documents/schemas/snapshot.schema.json), judging nothing. Each source
has one entry point, collect_salesforce (salesforce/collector.py) and collect_intercom
(intercom/collector.py), and run.py runs them side by side. `on_request` is called once
per HTTP request sent. An item that cannot be read becomes `{"status": "unavailable",
"reason": ...}`; a source that cannot be collected at all raises SourceUnavailable; bad
configuration raises InputError (auditor/documents/errors.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

RequestCounter = Callable[[], None]


@dataclass(frozen=True)
class UserKeys:
    """What picks the Salesforce users worth keeping for teammate mapping.

    `emails` are the Intercom teammates' emails, `usernames` the Salesforce usernames
    that the settings file's user_mappings name; both lower-cased.
    """

    emails: frozenset[str]
    usernames: frozenset[str]


# Blocks until the keys are known; None when they cannot be (Intercom not collected,
# or its teammates unreadable). The Salesforce collector calls it at most once.
UserKeysSource = Callable[[], UserKeys | None]
# The Intercom collector calls this exactly once: with the teammates as soon as they
# are read, or with None when they cannot be.
TeammatesSink = Callable[[list[dict[str, Any]] | None], None]


def no_user_keys() -> UserKeys | None:
    return None


def ignore_teammates(_: list[dict[str, Any]] | None) -> None:
    """The default sink: nobody is waiting for the teammates."""


def ignore_request() -> None:
    """The default on_request: nobody is watching progress."""


class SourceUnavailable(Exception):
    """A whole source could not be collected.

    The message is safe to show and store (never a token), and says what to do next;
    `requests` is how many requests were spent before giving up.
    """

    def __init__(self, message: str, *, requests: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.requests = requests


@dataclass(frozen=True)
class Access:
    """One permission or scope the audit needs from a source, and whether it is held."""

    name: str  # as the vendor names it, e.g. "Customize Application"
    granted: bool | None  # None: it could not be checked
    items: tuple[str, ...]  # the snapshot items that are unavailable without it


@dataclass(frozen=True)
class Preflight:
    """What `auditor doctor` learns about one source in at most two requests."""

    source: str
    reachable: bool
    signed_in_as: str | None
    api_version: str | None
    access: tuple[Access, ...]
    problem: str | None  # why the source cannot be collected at all, when it cannot
    requests: int
