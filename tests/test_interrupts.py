"""Issue 9: SIGINT and SIGTERM at any moment leave every file whole and old or whole and
new, leave no temporary file, and exit 130 or 143. Real processes, real signals; the
moments are made deterministic by the AUDITOR_TEST_PAUSE_AT hook (auditor/safety/interrupts.py)
or by a server that holds a request, never by timing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from auditor.safety.interrupts import EXIT_SIGINT, EXIT_SIGTERM, PAUSE_VARIABLE
from tests.intercom_fixtures import intercom, make_scenario

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "misconfigured.snapshot.json"
OLD = {"report.html": "old html\n", "report.md": "old md\n", "report.json": "old json\n"}
SIGNALS = {"SIGINT": (signal.SIGINT, EXIT_SIGINT), "SIGTERM": (signal.SIGTERM, EXIT_SIGTERM)}
BOUND = 120  # seconds; only a bound on a hung process, never asserted


@contextmanager
def auditor(*args: str | Path, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    inherited = {k: v for k, v in os.environ.items()
                 if not k.startswith(("INTERCOM_", "SF_")) and k != PAUSE_VARIABLE}
    process = subprocess.Popen([sys.executable, "-m", "auditor", *map(str, args)],
                               env={**inherited, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def wait_for_line(process: subprocess.Popen[str], expected: str) -> None:
    assert process.stderr is not None
    seen: list[str] = []
    while (line := process.stderr.readline()) != expected + "\n":
        assert line, f"the process ended before {expected!r}; it printed {seen}"
        seen.append(line)


def stop(process: subprocess.Popen[str], signum: int) -> str:
    """Send the signal; return the rest of stderr once the process has ended."""
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=BOUND)
    return stderr


def assert_stopped_cleanly(stderr: str, name: str) -> None:
    """The last line says why the run stopped; no traceback, no "Aborted!"."""
    *before, last = stderr.splitlines()
    assert last == (f"auditor: stopped by {name}. Every file is either as it was or "
                    "completely written; no temporary file is left.")
    assert not [line for line in before if line.startswith(("auditor:", "Traceback", "Abort"))]


def contents(folder: Path) -> dict[str, str]:
    """Every entry, hidden ones included: a temporary file would show here."""
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


@pytest.fixture
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The reports an uninterrupted run writes (their timestamps have a fixed width)."""
    out = tmp_path_factory.mktemp("reference")
    done = subprocess.run([sys.executable, "-m", "auditor", "audit", "--snapshot", str(EXAMPLE),
                           "--out", str(out)], capture_output=True, text=True, timeout=BOUND,
                          check=False)
    assert done.returncode == 1, done.stderr
    return contents(out)


def assert_whole_and_new(found: dict[str, str], reference: dict[str, str]) -> None:
    assert sorted(found) == sorted(reference)
    for name, text in found.items():
        assert len(text) == len(reference[name]), name
    assert json.loads(found["report.json"])["findings"]
    assert found["report.html"].endswith("</html>\n")


@pytest.mark.parametrize("name", SIGNALS)
@pytest.mark.parametrize("moment", ["staged", "replacing"])
def test_a_signal_while_reports_are_written(tmp_path: Path, reference: dict[str, str],
                                            name: str, moment: str) -> None:
    signum, code = SIGNALS[name]
    out = tmp_path / "reports"
    out.mkdir()
    for report, text in OLD.items():
        (out / report).write_text(text)

    with auditor("audit", "--snapshot", EXAMPLE, "--out", out,
                 env={PAUSE_VARIABLE: moment}) as process:
        wait_for_line(process, f"auditor: paused at {moment}")
        stderr = stop(process, signum)

    assert process.returncode == code
    assert_stopped_cleanly(stderr, name)
    if moment == "staged":  # every new report written in full, none in place yet
        assert contents(out) == OLD
    else:  # one report in place: the others follow before the process stops
        assert_whole_and_new(contents(out), reference)


@pytest.mark.parametrize("name", SIGNALS)
def test_a_signal_before_new_folders_hold_anything_removes_them(tmp_path: Path,
                                                                name: str) -> None:
    signum, code = SIGNALS[name]
    with auditor("audit", "--snapshot", EXAMPLE, "--out", tmp_path / "new" / "reports",
                 env={PAUSE_VARIABLE: "staged"}) as process:
        wait_for_line(process, "auditor: paused at staged")
        stderr = stop(process, signum)
    assert process.returncode == code
    assert_stopped_cleanly(stderr, name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", SIGNALS)
@pytest.mark.parametrize("moment", ["staged", "replacing"])
def test_a_signal_while_a_snapshot_is_written(tmp_path: Path, name: str, moment: str) -> None:
    signum, code = SIGNALS[name]
    target = tmp_path / "s.json"
    target.write_text("the previous snapshot\n")

    with intercom(make_scenario()) as served, auditor(
            "collect", "--no-salesforce", "--quiet", "-o", target,
            env={**served.env, PAUSE_VARIABLE: moment}) as process:
        wait_for_line(process, f"auditor: paused at {moment}")
        stderr = stop(process, signum)

    assert process.returncode == code
    assert_stopped_cleanly(stderr, name)
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]
    if moment == "staged":
        assert target.read_text() == "the previous snapshot\n"
    else:
        assert json.loads(target.read_text())["intercom"]["status"] == "collected"


@contextmanager
def silent_server() -> Iterator[socket.socket]:
    """A server that accepts connections and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(BOUND)
        yield server


@pytest.mark.parametrize("name", SIGNALS)
def test_a_signal_while_a_request_is_in_flight(tmp_path: Path, name: str) -> None:
    signum, code = SIGNALS[name]
    target = tmp_path / "s.json"
    target.write_text("the previous snapshot\n")

    with silent_server() as server:
        env = {"INTERCOM_ACCESS_TOKEN": "a-token-for-a-silent-server",
               "INTERCOM_BASE_URL": f"http://127.0.0.1:{server.getsockname()[1]}"}
        with auditor("collect", "--no-salesforce", "--quiet", "--timeout", "600", "-o", target,
                     env=env) as process:
            connection, _ = server.accept()
            with connection:
                assert connection.recv(1)  # the request has been sent, and waits
                stderr = stop(process, signum)

    # Without the handler, Ctrl-C printed "Aborted!" and exited 1 once the collector
    # threads gave up.
    assert process.returncode == code
    assert_stopped_cleanly(stderr, name)
    assert contents(tmp_path) == {"s.json": "the previous snapshot\n"}


# --- issue 22: the fleet, signalled as a terminal does, and what a killed run left -------

@contextmanager
def own_group(*args: str | Path, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """The auditor in a process group of its own, as a terminal starts a command: Ctrl-C
    (or `kill -TERM -PGID`) reaches it and every process it started at once."""
    inherited = {k: v for k, v in os.environ.items()
                 if not k.startswith(("INTERCOM_", "SF_")) and k != PAUSE_VARIABLE}
    process = subprocess.Popen([sys.executable, "-m", "auditor", *map(str, args)],
                               env={**inherited, **env}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def temporary_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name.endswith(
        ".tmp"))


@pytest.mark.parametrize("name", SIGNALS)
@pytest.mark.parametrize("processes", ["1", "2"])
@pytest.mark.parametrize("done", [2, 9])
def test_a_signal_to_the_fleets_process_group_leaves_no_temporary_file(
        tmp_path: Path, name: str, processes: str, done: int) -> None:
    # Every thread of every worker is writing reports when the signal comes: none may
    # make a temporary file after its process has cleaned up (threads kept staging
    # while the handler removed what was registered, and after).
    signum, code = SIGNALS[name]
    fleet = tmp_path / "fleet.json"
    fleet.write_text(json.dumps({"fleet_version": 1, "out": "out", "targets": [
        {"name": f"t{n:02d}", "snapshot": str(EXAMPLE)} for n in range(32)]}))
    with own_group("fleet", fleet, "--processes", processes, "--concurrency", "16",
                   env={}) as process:
        assert process.stderr is not None
        while not (line := process.stderr.readline()).startswith(f"fleet: {done} of 32 "):
            assert line, f"the fleet ended before {done} targets were done"
        os.killpg(process.pid, signum)
        _, stderr = process.communicate(timeout=BOUND)
    assert process.returncode == code
    assert stderr.splitlines()[-1].startswith(f"auditor: stopped by {name}.")
    assert "Traceback" not in stderr
    assert temporary_files(tmp_path / "out") == []
    for report in (tmp_path / "out").rglob("report.json"):  # those in place are whole
        assert json.loads(report.read_text())["findings"]


def back_date(path: Path, seconds: float) -> None:
    when = path.stat().st_mtime - seconds
    os.utime(path, (when, when))


def test_a_later_run_removes_what_a_killed_run_left_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    out.mkdir()
    with own_group("audit", "--snapshot", EXAMPLE, "--out", out,
                   env={PAUSE_VARIABLE: "staged"}) as killed:
        wait_for_line(killed, "auditor: paused at staged")
        os.killpg(killed.pid, signal.SIGKILL)  # no handler runs: its files stay
        killed.wait(timeout=BOUND)
    left_by_the_killed = set(temporary_files(out))
    assert len(left_by_the_killed) == 3  # html, md, json
    # Not this tool's, or not of a target this run writes: never touched, however old.
    others = [".report.html.notes.tmp", "report.html.tmp", ".other.json.1.abcdefgh.tmp",
              ".report.html.1.abcdefgh.tmp.keep", ".report.sarif.1.abcdefgh.tmp"]
    # mkstemp's name without a process id (before issue 22): stale after a day.
    unnamed_old, unnamed_recent = ".report.md.abcdefgh.tmp", ".report.json.abcdefgh.tmp"
    for name in (*others, unnamed_old, unnamed_recent):
        (out / name).write_text("kept?\n")
    for name in (*left_by_the_killed, *others, unnamed_old):
        back_date(out / name, 2 * 24 * 3600)
    back_date(out / unnamed_recent, 120)

    with own_group("audit", "--snapshot", EXAMPLE, "--out", out,
                   env={PAUSE_VARIABLE: "staged"}) as running:
        wait_for_line(running, "auditor: paused at staged")
        of_the_running = set(temporary_files(out)) - left_by_the_killed - {
            *others, unnamed_old, unnamed_recent}
        assert len(of_the_running) == 3
        for name in of_the_running:  # quiet for a while, but its run is still going
            back_date(out / name, 120)

        done = subprocess.run([sys.executable, "-m", "auditor", "audit", "--snapshot",
                               str(EXAMPLE), "--out", str(out)], capture_output=True,
                              text=True, timeout=BOUND, check=False)
        assert done.returncode == 1, done.stderr
        assert sorted(p.name for p in out.iterdir()) == sorted(
            [*of_the_running, *others, unnamed_recent, "report.html", "report.md",
             "report.json"])

        os.killpg(running.pid, signal.SIGTERM)
        _, stderr = running.communicate(timeout=BOUND)
    assert running.returncode == EXIT_SIGTERM
    assert_stopped_cleanly(stderr, "SIGTERM")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*others, unnamed_recent, "report.html", "report.md", "report.json"])
