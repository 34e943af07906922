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
