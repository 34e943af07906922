"""What a Python check receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CheckInput:
    values: dict[str, Any]  # the rule's reads, all resolved
    params: dict[str, Any]
    as_of: datetime  # the snapshot's created_at
    show_emails: bool = False


@dataclass(frozen=True)
class Outcome:
    status: str
    message: str
    evidence: dict[str, Any] | None = field(default=None)


Check = Callable[[CheckInput], Outcome]


def plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
