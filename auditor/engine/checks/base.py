"""What a Python check receives and returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, TypeVar


class CheckInput(NamedTuple):
    values: dict[str, Any]  # the rule's reads, all resolved
    params: dict[str, Any]
    as_of: datetime  # the snapshot's created_at
    show_emails: bool = False


class Outcome(NamedTuple):
    status: str
    message: str
    evidence: dict[str, Any] | None = None


Check = Callable[[CheckInput], Outcome]
T = TypeVar("T")

# Every named check, by function name: rules name them with `check:`. Filled by
# @named_check as auditor.engine.checks imports each module of this package.
CHECKS: dict[str, Check] = {}


def named_check(function: Check) -> Check:
    """Register a check under its function name, where it is defined."""
    name = getattr(function, "__name__", "")
    if name in CHECKS:
        raise ValueError(f"two checks are named {name!r}")
    CHECKS[name] = function
    return function


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


# Said by every check about integration users when there is none to check.
NO_INTEGRATION_USER = ("Cannot be verified. No integration user was observed (no Intercom "
                       "OAuth token in Salesforce), so there is nobody to check. To supply it, "
                       "connect the app or collect with a user who can read OAuth tokens.")

# The most items a message names: a message is read in a table cell or a CI log, and
# the evidence table (capped in its turn) lists them all.
NAMED_IN_MESSAGE = 5


def listing(items: Sequence[T], describe: Callable[[T], str] = str,
            separator: str = ", ") -> str:
    """The first NAMED_IN_MESSAGE items described and joined, then "and N more"."""
    named = separator.join(describe(item) for item in items[:NAMED_IN_MESSAGE])
    rest = len(items) - NAMED_IN_MESSAGE
    return f"{named}{separator}and {rest:,} more" if rest > 0 else named
