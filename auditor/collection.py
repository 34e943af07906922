"""Running the collectors side by side and assembling their sections into a snapshot.

One source failing never loses the other's evidence: a source that raises
SourceUnavailable is recorded as unavailable with its reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from auditor.collectors import RequestCounter, SourceUnavailable
from auditor.errors import InputError
from auditor.snapshot import SOURCES, skipped, unavailable

Collector = Callable[[RequestCounter], dict[str, Any]]


@dataclass
class SourceProgress:
    """What the progress display shows for one source; updated from collector threads."""

    source: str
    state: str = "waiting"  # waiting, collecting, collected, unavailable, skipped
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


def _run_one(source: str, collector: Collector, progress: CollectionProgress) -> dict[str, Any]:
    progress.update(source, state="collecting")
    try:
        section = collector(lambda: progress.count_request(source))
    except SourceUnavailable as exc:
        progress.update(source, state="unavailable", detail=exc.message, requests=exc.requests)
        return {**unavailable(exc.message), "requests": exc.requests}
    progress.update(source, state="collected", requests=section.get("requests", 0))
    return section


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
