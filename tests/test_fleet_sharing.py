"""`auditor fleet` at scale (issue 13): what is the same for every target is done once
per fleet, and the targets are spread over worker processes, with every guarantee of a
fleet in one process kept. Counted, never timed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from auditor.cli.commands import cli
from auditor.cli.fleet_processes import run_processes
from auditor.cli.fleet_run import (
    FleetProgress,
    SharedCatalogue,
    Target,
    TargetOutcome,
    audit_target,
    rollup,
    rollup_part,
    run_fleet,
)
from auditor.cli.fleet_shares import process_count, share_out
from auditor.cli.options import load_catalogue
from auditor.safety.interrupts import (
    EXIT_SIGINT,
    EXIT_SIGTERM,
    PAUSE_VARIABLE,
    holding_signals,
)
from auditor.safety.secrets import REDACTED, redact, registered, start_over
from tests.fleet_workers import LEARNED_SECRET, PARENT_SECRET, audit_stand_in

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SNAPSHOT = str(EXAMPLES / "compliant.snapshot.json")
MISCONFIGURED = str(EXAMPLES / "misconfigured.snapshot.json")  # fails high findings: exit 1
EXTRA_RULE = "cases.no_case_record_type"
BOUND = 120  # seconds; only a bound on a hung process, never asserted


def offline(name: str, **options: Any) -> Target:
    """A target audited from a saved snapshot: no request, no credential."""
    return Target(name, {"snapshot_file": SNAPSHOT, "formats": ("json",), **options}, {})


def write_extra_rule(folder: Path) -> Path:
    """A folder holding one rule more than the shipped ones."""
    folder.mkdir()
    rule = {"id": EXTRA_RULE, "title": "No active Case record type", "section": "cases",
            "severity": "info", "basis": "observed",
            "rationale": "Intercom's own case form takes the place of record types.",
            "remediation": "Look over the active Case record types.",
            "reads": {"types": "salesforce.case_record_types"},
            "expect": {"properties": {"types": {"maxItems": 0}}},
            "messages": {"pass": "none", "fail": "{{ types | length }} active"}}
    (folder / f"{EXTRA_RULE}.yaml").write_text(yaml.safe_dump(rule))
    return folder


class CountingCatalogue:
    """load_catalogue (or a stand-in for it), counting its readings by rule options."""

    def __init__(self, load: Any = load_catalogue) -> None:
        self.load = load
        self.readings: list[tuple[Any, ...]] = []

    def __call__(self, rules_dirs: tuple[Path, ...], params: tuple[tuple[str, Any], ...],
                 severities: tuple[tuple[str, str], ...] = ()) -> Any:
        self.readings.append((rules_dirs, params, severities))
        return self.load(rules_dirs, params, severities)


def severities(out: Path, name: str) -> dict[str, str]:
    """Each rule's severity in the target's report.json."""
    report = json.loads((out / name / "report.json").read_text())
    return {finding["rule_id"]: finding["severity"] for finding in report["findings"]}


# --- the catalogue, once per fleet for each set of rule options ---------------------------

def test_the_catalogue_is_read_once_for_targets_with_the_same_rule_options(
        tmp_path: Path) -> None:
    loader = CountingCatalogue()
    targets = [offline(f"t{n}") for n in range(6)]
    outcomes = run_fleet(targets, partial(audit_target, catalogue=SharedCatalogue(loader)),
                         tmp_path, concurrency=3, progress=FleetProgress(len(targets)))
    assert [o.exit_code for o in outcomes] == [0] * 6
    assert loader.readings == [((), (), ())]
    assert len({frozenset(severities(tmp_path, o.name).items()) for o in outcomes}) == 1


def test_a_target_with_its_own_rule_options_gets_its_own_catalogue(tmp_path: Path) -> None:
    loader = CountingCatalogue()
    rules = write_extra_rule(tmp_path / "rules")
    targets = [offline("plain"), offline("extra", rules_dirs=(str(rules),)),
               offline("plain2"), offline("stricter", severities=(f"{EXTRA_RULE}=high",),
                                           rules_dirs=(str(rules),))]
    outcomes = run_fleet(targets, partial(audit_target, catalogue=SharedCatalogue(loader)),
                         tmp_path, concurrency=1, progress=FleetProgress(len(targets)))
    assert [o.exit_code for o in outcomes] == [0] * 4
    assert len(loader.readings) == 3  # none, the folder, the folder with a severity
    assert {name: severities(tmp_path, name).get(EXTRA_RULE) for name in (
        "plain", "extra", "plain2", "stricter")} == {
        "plain": None, "extra": "info", "plain2": None, "stricter": "high"}


def test_each_target_gets_parameters_of_its_own(tmp_path: Path) -> None:
    catalogue = SharedCatalogue()
    (rules, first), (again, second) = catalogue((), ()), catalogue((), ())
    assert rules == again and first == second
    assert first is not second  # one plan's parameters never become another's


def test_a_parameter_that_differs_only_in_type_is_another_reading() -> None:
    loader = CountingCatalogue(lambda *_: ([], {}))
    catalogue = SharedCatalogue(loader)
    catalogue((), (("r.p", 1),))
    catalogue((), (("r.p", True),))  # True == 1, yet another value for a parameter
    catalogue((), (("r.p", 1),))
    assert len(loader.readings) == 2


@pytest.fixture(autouse=True)
def no_secret_lingers() -> Iterator[None]:
    yield
    start_over()


# --- worker processes --------------------------------------------------------------------

@pytest.mark.parametrize(("targets", "concurrency", "asked", "cpus", "expected"), [
    (200, 32, None, 2, 2), (200, 32, None, 8, 8), (12, 32, None, 2, 1), (16, 32, None, 2, 2),
    (200, 1, None, 2, 1), (3, 8, 4, 2, 3), (200, 32, 1, 2, 1), (200, 32, 4, 2, 4)])
def test_how_many_processes(monkeypatch: pytest.MonkeyPatch, targets: int, concurrency: int,
                            asked: int | None, cpus: int, expected: int) -> None:
    monkeypatch.setattr("auditor.cli.fleet_shares.available_cpus", lambda: cpus)
    assert process_count(targets, concurrency, asked) == expected


def test_concurrency_is_shared_out_whole() -> None:
    assert share_out(32, 2) == [16, 16]
    assert share_out(7, 3) == [3, 2, 2]
    assert sum(share_out(5, 5)) == 5


def spread(names: list[str], tmp_path: Path, *, processes: int = 2, concurrency: int = 2
           ) -> tuple[list[TargetOutcome], list[str]]:
    lines: list[str] = []
    progress = FleetProgress(len(names), on_change=lambda p: lines.append(p.describe()))
    outcomes = run_processes([offline(name) for name in names], audit_stand_in, tmp_path,
                             concurrency=concurrency, processes=processes, progress=progress)
    return outcomes, lines


def test_targets_are_spread_over_the_processes_asked_for(tmp_path: Path) -> None:
    start_over(PARENT_SECRET)
    names = [f"t{n}" for n in range(6)]
    outcomes, lines = spread(names, tmp_path)
    assert [o.name for o in outcomes] == names  # the fleet file's order
    assert [o.exit_code for o in outcomes] == [0] * 6
    pids = {o.reason.split(";")[0] for o in outcomes}  # type: ignore[union-attr]
    assert len(pids) == 2 and f"pid {os.getpid()}" not in pids
    # every worker holds the secrets the parent held when it started
    assert {o.reason.split("; ")[1] for o in outcomes} == {  # type: ignore[union-attr]
        "holds the parent's secret: True"}
    assert len(lines) == 12 and lines[-1] == "fleet: 6 of 6 targets done; running: none"


def test_a_bug_in_one_target_stops_no_other_and_the_worst_code_wins(tmp_path: Path) -> None:
    outcomes, _ = spread(["a", "b", "bug", "c", "unpicklable"], tmp_path)
    assert {o.name: o.exit_code for o in outcomes} == {
        "a": 0, "b": 0, "bug": 4, "c": 0, "unpicklable": 4}
    assert outcomes[2].reason == ("the auditor hit a bug (RuntimeError); run this target "
                                  "alone with `auditor audit` to get the crash file")
    assert (outcomes[4].reason or "").startswith("the auditor hit a bug (")


def test_a_worker_that_dies_loses_only_the_targets_it_had_not_finished(tmp_path: Path) -> None:
    # Round robin, one thread each: the first worker gets a, b, c; the second dies, x, y.
    outcomes, lines = spread(["a", "dies", "b", "x", "c", "y"], tmp_path)
    codes = {o.name: o.exit_code for o in outcomes}
    assert codes == {"a": 0, "b": 0, "c": 0, "dies": 4, "x": 4, "y": 4}
    assert {o.reason for o in outcomes if o.exit_code == 4} == {
        "the process auditing it stopped unexpectedly (exit code 9); run this target alone "
        "with `auditor audit` to get the crash file"}
    assert lines[-1] == "fleet: 6 of 6 targets done; running: none"


def test_a_secret_a_worker_learns_is_redacted_by_the_parent_too(tmp_path: Path) -> None:
    start_over()
    outcomes, _ = spread(["a", "learns", "b"], tmp_path)
    assert LEARNED_SECRET in registered()
    reason = outcomes[1].reason or ""
    assert redact(reason) == f"signed in with {REDACTED}"


# --- the command ---------------------------------------------------------------------------

def write_offline_fleet(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump({"fleet_version": 1, "out": "out", "targets": [
        {"name": f"t{n:02d}", "snapshot": MISCONFIGURED if n == 3 else SNAPSHOT}
        for n in range(count)]}))
    return path


def test_the_command_spreads_targets_and_keeps_the_roll_up(tmp_path: Path) -> None:
    path = write_offline_fleet(tmp_path, 5)
    result = CliRunner().invoke(cli, ["fleet", str(path), "--processes", "2",
                                      "--concurrency", "4"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert {row["name"]: row["exit_code"] for row in index["targets"]} == {
        "t00": 0, "t01": 0, "t02": 0, "t03": 1, "t04": 0}
    assert result.exit_code == 1 == index["exit_code"]
    assert all((tmp_path / "out" / f"t{n:02d}" / "report.html").is_file() for n in range(5))
    assert "fleet: 5 of 5 targets done; running: none" in result.output


def workers_of(pid: int) -> set[int]:
    """The worker processes `pid` started (not multiprocessing's resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in command:
                found.add(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc for the workers")
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, EXIT_SIGTERM),
                                              (signal.SIGINT, EXIT_SIGINT)])
def test_a_signal_stops_every_worker_and_leaves_no_temporary_file(
        tmp_path: Path, signum: int, code: int) -> None:
    path = write_offline_fleet(tmp_path, 4)
    env = {**os.environ, PAUSE_VARIABLE: "staged"}
    with subprocess.Popen([sys.executable, "-m", "auditor", "fleet", str(path),
                           "--processes", "2", "--concurrency", "2"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        while (line := process.stderr.readline()) != "auditor: paused at staged\n":
            assert line, "the fleet ended before any worker paused"
        workers = workers_of(process.pid)
        process.send_signal(signum)  # to the fleet alone, not to its process group
        _, stderr = process.communicate(timeout=BOUND)
    assert process.returncode == code
    name = signal.Signals(signum).name
    assert stderr.splitlines()[-1].startswith(f"auditor: stopped by {name}.")
    assert "Traceback" not in stderr
    assert len(workers) == 2 and not any(Path(f"/proc/{pid}").exists() for pid in workers)
    left = [p.name for p in (tmp_path / "out").rglob("*") if p.name.endswith(".tmp")]
    assert left == []
    assert not list((tmp_path / "out").rglob("report.*"))  # none was put in place


def test_a_fleet_keeps_of_each_target_what_its_roll_up_reads() -> None:
    results = {"summary": {"score": 80, "fail": 2}, "findings": [{"rule_id": "x"}] * 50,
               "since_baseline": {"score": {"before": 77, "change": 3}, "new": ["a", "b"],
                                  "fixed": ["c"]},
               "collection": {"salesforce": {"status": "collected", "requests": 4},
                              "intercom": {"requests": 0}}}
    when = datetime(2026, 11, 26, tzinfo=UTC)
    whole, kept = (rollup([TargetOutcome("t", 1, part)], when)
                   for part in (results, rollup_part(results)))
    assert kept == whole
    assert "findings" not in rollup_part(results)


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_a_worker_begins_with_the_signals_held_until_its_handlers_are_in_place() -> None:
    # A Ctrl-C reaches every process of the terminal's group: a worker still starting
    # must not die with a traceback; the signal waits for handling_signals() instead.
    held = ("import signal; from auditor.safety.interrupts import handling_signals\n"
            "print(sorted(s.name for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))\n"
            "with handling_signals():\n"
            "    print(sorted(s.name for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))")
    with holding_signals():
        lines = subprocess.run([sys.executable, "-c", held], capture_output=True, text=True,
                               timeout=BOUND, check=True).stdout.splitlines()
    assert lines == ["['SIGINT', 'SIGTERM']", "[]"]
