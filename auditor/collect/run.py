"""Running the collectors side by side and assembling their sections into a snapshot.

One source failing never loses the other's evidence: a source that raises
SourceUnavailable, or fails in a way nobody foresaw, is recorded as unavailable with
its reason. A collected section is then settled by what it holds: `collected` when
every evidence item was read, `partial` when some are unavailable markers, and
`unavailable` when none could be read, whatever the cause.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from auditor.collect import RequestCounter, SourceUnavailable, UserKeys
from auditor.documents.errors import InputError
from auditor.documents.snapshot import (
    SOURCE_LABELS,
    SOURCES,
    evidence_items,
    is_unavailable,
    skipped,
    unavailable,
    unfit_item,
)

Collector = Callable[[RequestCounter], dict[str, Any]]

# How many unavailable items a source-level reason spells out before counting the rest.
_REASONS_SHOWN = 2


@dataclass
class SourceProgress:
    """What the progress display shows for one source; updated from collector threads."""

    source: str
    state: str = "waiting"  # waiting, collecting, collected, partial, unavailable, skipped
    requests: int = 0
    detail: str = ""


@dataclass
class CollectionProgress:
    sources: dict[str, SourceProgress] = field(default_factory=dict)
    on_change: Callable[[SourceProgress], None] = lambda _: None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, source: str, **changes: Any) -> None:
        with self.lock:
            progress = self.sources.setdefault(source, SourceProgress(source))
            for key, value in changes.items():
                setattr(progress, key, value)
            self.on_change(progress)

    def count_request(self, source: str) -> None:
        with self.lock:
            progress = self.sources[source]
            progress.requests += 1
            self.on_change(progress)


class TeammateHandoff:
    """Hands Intercom's teammates to the Salesforce collector, across their threads.

    Salesforce keeps only the users a teammate could map to, so it waits here for the
    teammates' emails; the usernames named in the settings' user_mappings come along.
    Publishing twice keeps the first answer, so a collector's clean-up can always
    publish None without overriding real teammates.
    """

    def __init__(self, mapped_usernames: Iterable[str] = ()) -> None:
        self._usernames = frozenset(name.lower() for name in mapped_usernames)
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._keys: UserKeys | None = None

    def publish(self, teammates: list[dict[str, Any]] | None) -> None:
        with self._lock:
            if self._ready.is_set():
                return
            if teammates is not None:
                emails = frozenset(
                    t["email"].lower() for t in teammates if isinstance(t.get("email"), str)
                )
                self._keys = UserKeys(emails=emails, usernames=self._usernames)
            self._ready.set()

    def keys(self) -> UserKeys | None:
        self._ready.wait()
        return self._keys


def settle(source: str, section: dict[str, Any]) -> dict[str, Any]:
    """The section with its status decided by the evidence items it holds, and any item
    that could not be stored and loaded again replaced by the reason."""
    section = dict(section)
    for name, value in evidence_items(section).items():
        problem = None if is_unavailable(value) else unfit_item(source, name, value)
        if problem:
            section[name] = unavailable(
                f"what {SOURCE_LABELS[source]} sent for it cannot be kept in a snapshot "
                f"({problem})")
    items = evidence_items(section)
    missing = [name for name, value in items.items() if is_unavailable(value)]
    if not missing:
        return section
    if len(missing) < len(items):
        return {**section, "status": "partial"}
    named = "; ".join(f"{name}: {items[name]['reason']}" for name in missing[:_REASONS_SHOWN])
    more = len(missing) - _REASONS_SHOWN
    rest = f" (and {more} more item{'s' if more != 1 else ''})" if more > 0 else ""
    reason = f"no evidence item could be read. {named}{rest}"
    return {**unavailable(reason), "requests": section.get("requests", 0)}


def _unexpected(source: str, error: Exception) -> str:
    return (
        f"the {SOURCE_LABELS[source]} collector stopped on an unexpected error "
        f"({type(error).__name__}). This is a bug in the auditor, not in your org or "
        "workspace; the other source's evidence was kept. Please report it."
    )


def _run_one(source: str, collector: Collector, progress: CollectionProgress) -> dict[str, Any]:
    progress.update(source, state="collecting")
    try:
        section = settle(source, collector(lambda: progress.count_request(source)))
    except SourceUnavailable as exc:
        section = {**unavailable(exc.message), "requests": exc.requests}
    except InputError:
        raise
    except Exception as exc:  # one source's bug must not lose the other's evidence
        section = {**unavailable(_unexpected(source, exc)),
                   "requests": progress.sources[source].requests}
    progress.update(source, state=section["status"], requests=section.get("requests", 0),
                    detail=_detail(section))
    return section


def _detail(section: dict[str, Any]) -> str:
    if section["status"] == "partial":
        missing = [name for name, value in evidence_items(section).items()
                   if is_unavailable(value)]
        return "unavailable: " + ", ".join(missing)
    return str(section.get("reason", ""))


def collect_sources(
    collectors: dict[str, Collector | None],
    progress: CollectionProgress,
) -> dict[str, dict[str, Any]]:
    """Run every collector at once; None stands for a source the user turned off."""
    sections: dict[str, dict[str, Any]] = {}
    for source in SOURCES:
        if collectors.get(source) is None:
            sections[source] = skipped(f"turned off with --no-{source}")
            progress.update(source, state="skipped")
    wanted = {s: c for s, c in collectors.items() if c is not None}
    problems: list[InputError] = []
    if wanted:
        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            futures = {s: pool.submit(_run_one, s, c, progress) for s, c in wanted.items()}
            for source, future in futures.items():
                try:
                    sections[source] = future.result()
                except InputError as exc:
                    problems.append(exc)
    if problems:
        # Say everything that needs fixing at once, not one source per run.
        raise problems[0] if len(problems) == 1 else InputError(
            " Also: ".join(str(problem) for problem in problems))
    return sections
