"""A fleet's targets spread over worker processes, one per CPU.

Most of what auditing a target costs is CPU (TLS, parsing answers, rendering reports),
which the threads of one process take in turns. Each worker process audits its share
of the targets with its share of --concurrency as threads, exactly as a fleet in one
process does (fleet_run.run_fleet); the parent only gathers. Each worker tells the
parent as a target starts and ends, with its outcome and any secret it learned (a
token it signed in with), so the progress lines, the roll-up and the parent's own
output are as they would be in one process, redacted alike. A worker that dies loses
only the targets it had not finished: each is recorded with the reason (exit 4).

Workers are fresh interpreters (spawn), never forked: the parent may hold threads (a
test's emulators, say), and a fork copies any lock one of them holds, never released.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from auditor.cli.fleet_run import (
    AuditOne,
    Target,
    TargetOutcome,
    Tracker,
    bug,
    run_fleet,
)
from auditor.cli.fleet_shares import share_out
from auditor.safety.interrupts import child_process, handling_signals, holding_signals
from auditor.safety.secrets import redacting_streams, register, registered, start_over


def run_processes(targets: list[Target], audit_one: AuditOne, out_dir: Path, *,
                  concurrency: int, processes: int, progress: Tracker
                  ) -> list[TargetOutcome]:
    """Audit every target as run_fleet does, over `processes` worker processes.
    `audit_one` must be picklable (a module's function, or a partial of one)."""
    if processes <= 1:
        return run_fleet(targets, audit_one, out_dir, concurrency=concurrency,
                         progress=progress)
    spawn = multiprocessing.get_context("spawn")
    threads = share_out(concurrency, processes)
    workers = []
    with ExitStack() as stack:
        for part in range(processes):
            share = targets[part::processes]  # round robin: alike targets spread evenly
            receiving, sending = spawn.Pipe(duplex=False)
            process = spawn.Process(target=audit_share, name=f"auditor fleet worker {part + 1}",
                                    args=(share, audit_one, out_dir, threads[part],
                                          tuple(registered()), sending), daemon=True)
            with holding_signals():  # until a signal would stop the worker too
                process.start()
                assert process.pid is not None  # started
                stack.enter_context(child_process(process.pid))
            sending.close()  # the worker's end alone: its end of file says it has ended
            workers.append(_Worker(process, receiving, share))
        outcomes = _gather(workers, progress)
    return [outcomes[target.name] for target in targets]


@dataclass(frozen=True)
class _Worker:
    process: BaseProcess
    receiving: Connection
    share: list[Target]


def _gather(workers: list[_Worker], progress: Tracker) -> dict[str, TargetOutcome]:
    outcomes: dict[str, TargetOutcome] = {}
    listening = {worker.receiving: worker for worker in workers}
    while listening:
        for ready in wait(list(listening)):
            worker = listening[ready]  # type: ignore[index]
            for message in _messages(worker):
                kind, name, *rest = message
                if kind == "started":
                    progress.started(name)
                else:
                    outcome, secrets = rest
                    register(*secrets)  # before anything of its outcome is shown
                    outcomes[name] = outcome
                    progress.finished(name, outcome)
            if worker.receiving.closed:
                del listening[worker.receiving]
                _lost(worker, outcomes, progress)
    return outcomes


def _messages(worker: _Worker) -> Iterator[tuple[Any, ...]]:
    """What the worker has sent; at its end (EOF), its connection is closed."""
    while not worker.receiving.closed and worker.receiving.poll():
        try:
            yield worker.receiving.recv()
        except Exception:  # its end (EOFError), or half a message from a worker that died
            worker.receiving.close()


def _lost(worker: _Worker, outcomes: dict[str, TargetOutcome], progress: Tracker) -> None:
    """Each target a worker that ended did not finish, recorded as a bug's."""
    worker.process.join()
    for target in worker.share:
        if target.name not in outcomes:
            outcomes[target.name] = bug(target.name, (
                "the process auditing it stopped unexpectedly (exit code "
                f"{worker.process.exitcode})"))
            progress.finished(target.name, outcomes[target.name])


def audit_share(share: list[Target], audit_one: AuditOne, out_dir: Path, threads: int,
                secrets: tuple[str, ...], sending: Connection) -> None:
    """A worker process: its share of the targets, told to the parent one by one."""
    from auditor.cli.crash import reporting_crashes

    start_over(*secrets)
    # A bug outside any one target: the crash file and exit 4, as for `auditor audit`;
    # the parent records each target this worker had not finished.
    with handling_signals(), redacting_streams(), reporting_crashes():
        run_fleet(share, audit_one, out_dir, concurrency=threads,
                  progress=_Teller(sending, set(secrets)))
    sending.close()


class _Teller:
    """Tells the parent of each target as it starts and ends (a Tracker)."""

    def __init__(self, sending: Connection, told: set[str]) -> None:
        self._sending = sending
        self._told = told  # the secrets the parent holds
        self._lock = threading.Lock()  # one message at a time through the pipe

    def started(self, name: str) -> None:
        with self._lock:
            self._sending.send(("started", name))

    def finished(self, name: str, outcome: TargetOutcome | None = None) -> None:
        with self._lock:
            learned = tuple(registered() - self._told)
            self._told.update(learned)
            try:
                self._sending.send(("finished", name, outcome, learned))
            except Exception as error:  # nothing is sent of an outcome that cannot be
                self._sending.send(("finished", name, bug(name, error), learned))  # pickled
