"""SIGINT and SIGTERM: stop at once, yet never leave half a file or a temporary one.

`handling_signals()` (entered by the command line's main) makes either signal end the
process with 128 + its number: 130 for SIGINT (Ctrl-C), 143 for SIGTERM. Before it
ends, the process removes the temporary files and new folders the file writer
registered with `leftover()`, so every file is as it was. While files are being put
in place (`critical()`), a signal waits until they all are, so every file is then
completely new.

The handler ends the process itself rather than raising KeyboardInterrupt: collection
runs in worker threads, and unwinding the main thread would wait for each of them to
finish its request (up to the timeout) before the process could exit. Once the process
is stopping, no thread may begin a critical section (and so create a file): its
temporary files would be made after the clean-up had looked.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # paths are only passed through: pathlib costs start-up time
    from pathlib import Path

HANDLED = (signal.SIGINT, signal.SIGTERM)
EXIT_SIGINT, EXIT_SIGTERM = (128 + signum for signum in HANDLED)

# Test hook: when this variable names a pause point, the process writes
# "auditor: paused at NAME" to stderr there and waits (at most _PAUSE_LIMIT seconds) for
# a signal, so tests can interrupt it at a known moment.
PAUSE_VARIABLE = "AUDITOR_TEST_PAUSE_AT"
_PAUSE_LIMIT = 60.0
_CHILDREN_LIMIT = 10.0  # seconds a child process is given to clean up and end
_MASKS = hasattr(signal, "pthread_sigmask")  # POSIX


class _State:
    # A plain class: one instance, made at every start-up (a dataclass costs more).
    def __init__(self) -> None:
        self.depth = 0  # how many critical sections are open
        self.pending: int | None = None  # a signal that arrived inside one
        # What to remove when stopping, in the order it was made.
        self.leftovers: dict[Path, None] = {}
        self.children: set[int] = set()  # processes to stop first (fleet)
        self.stopping = False  # set once, just before the clean-up
        # Guards the three above across threads; re-entrant, as the signal handler runs
        # in the main thread, which may hold it at that moment.
        self.lock = threading.RLock()


_state = _State()


def _stop(signum: int) -> None:
    _stop_children()
    for path in reversed(list(_state.leftovers)):
        with suppress(OSError):
            if path.is_dir():
                path.rmdir()  # only ever a folder this run made, and only when empty
            else:
                path.unlink(missing_ok=True)
    for stream in (sys.stdout, sys.stderr):
        # The main thread may have been writing to the stream when the signal came.
        with suppress(Exception):
            stream.flush()
    name = signal.Signals(signum).name
    error = 2
    with suppress(OSError):  # other threads may still print: what they do is not shown,
        error = os.dup(2)    # so the reason the run stopped is the last line
        quiet = os.open(os.devnull, os.O_WRONLY)
        for stream in (1, 2):
            os.dup2(quiet, stream)
    with suppress(OSError):
        os.write(error, f"auditor: stopped by {name}. Every file is either as it was or "
                    "completely written; no temporary file is left.\n".encode())
    os._exit(128 + signum)


def _stop_children() -> None:
    """Stop each child process and wait (a while) for it to end: each cleans up after
    itself, so when this one ends, so has every file's writing."""
    for pid in _state.children:
        with suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    waiting, deadline = set(_state.children), time.monotonic() + _CHILDREN_LIMIT
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            try:
                ended = os.waitpid(pid, os.WNOHANG)[0] == pid
            except ChildProcessError:
                ended = True  # already waited for
            if ended:
                waiting.discard(pid)
        time.sleep(0.01)


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    with _state.lock:
        if _state.stopping:  # a second signal while stopping: the first one is handled
            return
        if _state.depth:
            _state.pending = _state.pending or signum
            return
        _state.stopping = True
    _stop(signum)


@contextmanager
def handling_signals() -> Iterator[None]:
    """SIGINT and SIGTERM end the process cleanly while inside; the previous handlers
    come back after. Only the main thread can install handlers: elsewhere, no change."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _on_signal) for signum in HANDLED}
    if _MASKS:  # a child started inside holding_signals() begins with them held
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def critical() -> Iterator[None]:
    """A stretch a signal must not cut: one that arrives waits for its end. Once the
    process is stopping, a thread that would begin one waits for the end instead."""
    while True:
        with _state.lock:
            if not _state.stopping:
                _state.depth += 1
                break
        time.sleep(1)  # not holding the lock: the stopping thread may still need it
    try:
        yield
    finally:
        with _state.lock:
            _state.depth -= 1
            pending = None if _state.depth else _state.pending
            if pending is not None:
                _state.stopping = True
        if pending is not None:
            _stop(pending)


@contextmanager
def leftover(path: Path) -> Iterator[None]:
    """While inside, `path` (a temporary file or a new folder) is removed if a signal
    stops the process. Register it in the critical section that creates it."""
    _state.leftovers[path] = None
    try:
        yield
    finally:
        _state.leftovers.pop(path, None)


@contextmanager
def holding_signals() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM wait (blocked, not lost) for this thread. A child
    process started inside begins with them held too, until its handling_signals(): a
    signal never finds it half started (Ctrl-C reaches the terminal's whole process
    group), and this process registers it (child_process) before a signal can stop it."""
    if not _MASKS:
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


@contextmanager
def child_process(pid: int) -> Iterator[None]:
    """While inside, a signal that stops this process stops the child `pid` first."""
    _state.children.add(pid)
    try:
        yield
    finally:
        _state.children.discard(pid)


def pause_point(name: str) -> None:
    """Where a test may interrupt the process; does nothing unless PAUSE_VARIABLE names it."""
    if os.environ.get(PAUSE_VARIABLE) != name:
        return
    os.write(2, f"auditor: paused at {name}\n".encode())
    deadline = time.monotonic() + _PAUSE_LIMIT
    # A signal outside a critical section ends the process during this sleep; inside
    # one, it is recorded as pending and the pause ends.
    while _state.pending is None and time.monotonic() < deadline:
        time.sleep(0.01)
