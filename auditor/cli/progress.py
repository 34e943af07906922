"""Collection progress on stderr: one line per source with its state and requests spent."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from auditor.collect.run import SourceProgress
from auditor.documents.snapshot import SOURCES
from auditor.safety.display import one_line

FINAL_STATES = ("collected", "partial", "unavailable", "skipped")
_SPINNER = "|/-\\"


def describe(progress: SourceProgress) -> str:
    line = f"{progress.source:<10} {progress.state}"
    if progress.state != "skipped":
        line += f", {progress.requests} request{'' if progress.requests == 1 else 's'}"
    if progress.detail:
        line += f": {progress.detail}"
    # Details come from APIs: no control character may drive the terminal, and no
    # invisible one may hide.
    return one_line(line)


class PlainProgress:
    """For logs and CI: a line when a source is done, nothing redrawn."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, progress: SourceProgress) -> None:
        if progress.state in FINAL_STATES:
            print(describe(progress), file=self.stream, flush=True)


class TerminalProgress:
    """For a person at a terminal: the block of source lines redrawn in place."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lines: dict[str, SourceProgress] = {}
        self.drawn = 0
        self.ticks = 0
        self.lock = threading.Lock()

    def __call__(self, progress: SourceProgress) -> None:
        with self.lock:
            self.lines[progress.source] = progress
            self.ticks += 1
            if self.drawn:
                self.stream.write(f"\x1b[{self.drawn}F")  # back to the block's first line
            shown = [self.lines[s] for s in SOURCES if s in self.lines]
            for line in shown:
                mark = "" if line.state in FINAL_STATES else f" {_SPINNER[self.ticks % 4]}"
                self.stream.write(f"\x1b[2K{describe(line)}{mark}\n")
            self.drawn = len(shown)
            self.stream.flush()


def progress_display(quiet: bool, stream: TextIO | None = None
                     ) -> PlainProgress | TerminalProgress:
    # sys.stderr is looked up on each call, not bound at import: tests and embedding
    # programs replace it.
    stream = stream or sys.stderr
    if quiet or not stream.isatty():
        return PlainProgress(stream)
    return TerminalProgress(stream)
