"""Wall-time benchmarks as one table (never asserted in tests; bench/RESULTS.md keeps it).

    python bench/run.py [--runs N] [--latency SECONDS] [--teammates N] [--skip-fleet]
                        [--only live|start-up|scale|fleet|history|limits]

Every command measured runs from a fresh `pip install .` of this checkout (see
install_fresh_copy).

- A live audit's collection against the test emulators, every answer delayed by the
  latency: the requests each source sent, and the critical path (the longest chain of
  requests each started after the previous one's answer), read from the emulators'
  timestamps.
- Start-up: `auditor --help` and an offline audit of the misconfigured example, each a
  fresh process, against the floor of the same imports (medians over --runs, taken in the
  same run so the ratios hold on a busy machine).
- Scale: a snapshot of --teammates unmapped teammates and 2,000 duplicate-email groups
  audited offline (time, peak memory, HTML size), and the same with a bad value at its
  very end (the error path).
- `auditor fleet`: 200 targets at the latency with --concurrency 32 (time, peak memory).
- `auditor history` over 400 nightly report.json files (tests/golden/history.py): the
  median time of --runs, and the size of what it writes.
- Limits: a snapshot of teammates as large as the documented limit allows, audited
  offline (time, peak memory); and a 73 KB settings file whose aliases would expand to
  12 million characters, refused (median time to exit 2 over --runs, beside
  `auditor --help` in the same run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the tests' emulators live beside the package

import trustme  # noqa: E402

from auditor.collect.intercom.collector import IntercomOptions, collect_intercom  # noqa: E402
from auditor.collect.run import CollectionProgress, collect_sources  # noqa: E402
from auditor.collect.salesforce.collector import SalesforceOptions, collect_salesforce  # noqa: E402
from tests.emulators import intercom as ic  # noqa: E402
from tests.emulators.salesforce import Emulator, Exchange, Scenario  # noqa: E402
from tests.golden.history import make_history  # noqa: E402
from tests.intercom_fixtures import Served, intercom, make_scenario  # noqa: E402
from tests.salesforce_lab import critical_path, typical_tables  # noqa: E402

EXAMPLE = REPO / "examples" / "misconfigured.snapshot.json"
SETTINGS = REPO / "examples" / "settings.yaml"
FLEET_TARGETS, FLEET_CONCURRENCY = 200, 32
HISTORY_NIGHTS = 400


@dataclass(frozen=True)
class Row:
    measure: str
    value: str
    target: str = ""
    holds: bool | None = None

    @property
    def verdict(self) -> str:
        return {None: "", True: "yes", False: "NO"}[self.holds]


# --- processes ------------------------------------------------------------------------

def run_process(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """(seconds, exit code) of a fresh process."""
    started = time.perf_counter()
    code = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env=env).returncode
    return time.perf_counter() - started, code


def run_measured(argv: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """(seconds, peak memory in bytes, exit code) of a fresh process and every process it
    starts (see bench/peak.py)."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, str(REPO / "bench" / "peak.py"), *argv],
                         capture_output=True, text=True, env=env, check=True).stdout.split()
    return time.perf_counter() - started, int(out[0]), int(out[1])


def medians(commands: dict[str, Sequence[str]], runs: int) -> dict[str, float]:
    """Median seconds of each command, the commands interleaved run by run so that a
    busy moment of the machine weighs on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(run_process(argv)[0])
    return {name: statistics.median(values) for name, values in times.items()}


# The interpreter and `auditor` every measured process runs: a fresh `pip install .` of
# this checkout (see install_fresh_copy), as a user gets it.
_INSTALLED: dict[str, list[str]] = {"python": [sys.executable], "auditor": [sys.executable,
                                                                          "-m", "auditor"]}


def install_fresh_copy(folder: Path) -> None:
    """`pip install .` into a new virtual environment, dependencies and all: byte-compiled
    and not editable, and without this Python's own site-packages (whose .pth files run
    at every start-up), so that a start-up is measured as a user has it, not compiling
    the sources of an editable install (this machine sets PYTHONDONTWRITEBYTECODE) nor
    through a shim. Its cache between runs (see auditor/safety/run_cache.py) is a
    folder of its own, starting empty."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    str(REPO)], check=True)
    os.environ["AUDITOR_CACHE_DIR"] = str(folder / "cache")
    _INSTALLED.update(python=[python], auditor=[str(venv / "bin" / "auditor")])


def auditor_command() -> list[str]:
    return _INSTALLED["auditor"]


# --- live collection ---------------------------------------------------------------------

def start_emulators(latency: float, stack: ExitStack) -> tuple[Emulator, Served, dict[str, str]]:
    """Both emulators, every answer `latency` late; and the environment that reaches them."""
    ca = trustme.CA()
    bundle = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    sf = stack.enter_context(Emulator(Scenario(tables=typical_tables(), latency=latency), ca))
    # Intercom's emulator delays by endpoint: every endpoint a collection asks for.
    endpoints = _intercom_endpoints()
    workspace = make_scenario(faults={endpoint: [ic.Fault(delay=latency, times=10**9)]
                                      for endpoint in endpoints})
    served = stack.enter_context(intercom(workspace))
    env = {**served.env, "SF_INSTANCE_URL": sf.base_url,
           "SF_ACCESS_TOKEN": sf.scenario.access_token, "REQUESTS_CA_BUNDLE": str(bundle)}
    return sf, served, env


def _intercom_endpoints() -> set[str]:
    with intercom(make_scenario()) as served:
        collect_intercom(IntercomOptions(env=served.env), lambda: None)
        return {exchange.endpoint for exchange in served.emulator.exchanges}


def live_audit_rows(latency: float) -> list[Row]:
    with ExitStack() as stack:
        sf, served, env = start_emulators(latency, stack)
        collectors: dict[str, Callable[..., Any]] = {
            "salesforce": lambda count: collect_salesforce(SalesforceOptions(env=env), count),
            "intercom": lambda count: collect_intercom(IntercomOptions(env=env), count),
        }
        started = time.monotonic()
        collect_sources(collectors, CollectionProgress())
        wall = time.monotonic() - started
        sf_exchanges = list(sf.exchanges)
        # Both emulators stamp with time.monotonic(): one clock, so one chain.
        ic_exchanges = [Exchange(e.endpoint, e.started, e.ended)
                        for e in served.emulator.exchanges]
    both = sf_exchanges + ic_exchanges
    chain = critical_path(both)
    served_span = max(e.ended for e in both) - min(e.started for e in both)
    ms = latency * 1000
    return [
        Row("live audit: requests (Salesforce + Intercom)",
            f"{len(sf_exchanges)} + {len(ic_exchanges)} = {len(both)}"),
        Row(f"live audit: critical path at {ms:.0f} ms a request",
            f"{chain} requests (Salesforce {critical_path(sf_exchanges)}, Intercom "
            f"{critical_path(ic_exchanges)}): {chain * ms:.0f} ms of waiting"),
        Row("live audit: collection time (the emulators' first request to last answer)",
            f"{wall * 1000:.0f} ms ({served_span * 1000:.0f} ms of it)"),
    ]


# --- start-up --------------------------------------------------------------------------------

def start_up_rows(runs: int, out: Path) -> list[Row]:
    auditor, python = auditor_command(), _INSTALLED["python"]
    offline = [*auditor, "audit", "--snapshot", str(EXAMPLE), "--out", str(out), "--quiet",
               "--fail-on", "never"]
    first_run = run_process(offline)[0]  # the cache between runs starts empty
    times = medians({
        "click": [*python, "-c", "import click"],
        "help": [*auditor, "--help"],
        "floor": [*python, "-c", "import click, yaml, jsonschema, jinja2"],
        "offline": offline,
    }, runs)
    help_ratio = times["help"] / times["click"]
    offline_ratio = times["offline"] / times["floor"]
    return [
        Row(f"`auditor --help` / `import click` (medians of {runs})",
            f"{times['help'] * 1000:.0f} / {times['click'] * 1000:.0f} ms = {help_ratio:.2f}x",
            "<= 1.5x", help_ratio <= 1.5),
        Row("offline audit of the misconfigured example / `import click, yaml, jsonschema, "
            "jinja2`",
            f"{times['offline'] * 1000:.0f} / {times['floor'] * 1000:.0f} ms = "
            f"{offline_ratio:.2f}x", "<= 1.3x", offline_ratio <= 1.3),
        Row("  the same, the first run after installing (nothing cached yet)",
            f"{first_run * 1000:.0f} ms = {first_run / times['floor']:.2f}x"),
    ]


# --- scale -------------------------------------------------------------------------------

def scale_rows(teammates: int, folder: Path) -> list[Row]:
    good, bad = folder / "big.json", folder / "bad.json"
    # Written by another process: this one stays small (see bench/peak.py).
    for path, flags in ((good, []), (bad, ["--bad-last"])):
        subprocess.run([sys.executable, str(REPO / "bench" / "big_snapshot.py"), str(path),
                        "--teammates", str(teammates), *flags], check=True)
    out = folder / "reports"
    auditor = auditor_command()
    seconds, peak, _ = run_measured([*auditor, "audit", "--snapshot", str(good), "--out",
                                    str(out), "--quiet", "--fail-on", "never"])
    html = (out / "report.html").read_text(encoding="utf-8")
    error_seconds, error_peak, code = run_measured([*auditor, "audit", "--snapshot", str(bad),
                                                   "--out", str(folder / "none")])
    size = f"{teammates:,} unmapped teammates, {good.stat().st_size / 1e6:.0f} MB"
    mib = 1024**2
    return [
        Row(f"audit of {size}: time", f"{seconds:.1f} s", "<= 20 s", seconds <= 20),
        Row("  peak memory", f"{peak / mib:.0f} MiB", "<= 500 MB", peak <= 500e6),
        Row("  report.html", f"{len(html.encode()) / 1e6:.2f} MB, summary at character "
            f"{html.find('<h2'):,}", "< 2 MB", len(html.encode()) < 2e6),
        Row("the same, its last value bad: time to exit 2", f"{error_seconds:.1f} s (exit {code})",
            "<= 5 s", error_seconds <= 5 and code == 2),
        Row("  peak memory", f"{error_peak / mib:.0f} MiB", "<= 500 MB", error_peak <= 500e6),
    ]


# --- fleet -----------------------------------------------------------------------------------

def fleet_rows(latency: float, folder: Path) -> list[Row]:
    auditor = auditor_command()
    if subprocess.run([*auditor, "fleet", "--help"], capture_output=True).returncode != 0:
        return [Row("auditor fleet", "not measured: the command does not exist")]
    with ExitStack() as stack:
        _, _, env = start_emulators(latency, stack)
        names = {"SF_INSTANCE_URL", "SF_ACCESS_TOKEN", "INTERCOM_ACCESS_TOKEN",
                 "INTERCOM_BASE_URL"}
        credentials = {name: f"BENCH_{name}" for name in names}
        fleet = {"fleet_version": 1, "out": str(folder / "fleet-reports"), "targets": [
            {"name": f"t{n:03d}", "settings": str(SETTINGS), "credentials": credentials}
            for n in range(FLEET_TARGETS)]}
        path = folder / "fleet.json"
        path.write_text(json.dumps(fleet), encoding="utf-8")
        process_env = {**os.environ, **env,
                       **{f"BENCH_{name}": env[name] for name in names}}
        seconds, peak, code = run_measured(
            [*auditor, "fleet", str(path), "--concurrency", str(FLEET_CONCURRENCY)],
            process_env)
    mib = 1024**2
    what = f"`auditor fleet`, {FLEET_TARGETS} targets at {latency * 1000:.0f} ms, " \
           f"--concurrency {FLEET_CONCURRENCY}"
    return [Row(f"{what}: time", f"{seconds:.1f} s (exit {code})", "<= 15 s", seconds <= 15),
            Row("  peak memory, all its processes together", f"{peak / mib:.0f} MiB", "<= 300 MB",
                peak <= 300e6)]


# --- history ---------------------------------------------------------------------------------

def history_rows(runs: int, folder: Path) -> list[Row]:
    history = make_history(folder / "history", nights=HISTORY_NIGHTS)
    size = sum(path.stat().st_size for path in history.rglob("*.json"))
    out = folder / "trend"
    seconds = medians({"history": [*auditor_command(), "history", str(history), "--out",
                                   str(out)]}, runs)["history"]
    written = ", ".join(f"{path.name} {path.stat().st_size / 1e6:.2f} MB"
                        for path in sorted(out.iterdir()))
    return [Row(f"`auditor history`, {HISTORY_NIGHTS} nightly report.json "
                f"({size / 1e6:.0f} MB; median of {runs})", f"{seconds:.2f} s", "< 2 s",
                seconds < 2),
            Row("  written", written)]


# --- limits --------------------------------------------------------------------------------

def limits_rows(runs: int, folder: Path) -> list[Row]:
    from auditor.documents.snapshot import MAX_SNAPSHOT_BYTES
    from tests.test_alias_expansion import settings_referring

    auditor, mib = auditor_command(), 1024**2
    snapshot = folder / "at-the-limit.json"
    subprocess.run([sys.executable, str(REPO / "bench" / "big_snapshot.py"), str(snapshot),
                    "--fill", str(MAX_SNAPSHOT_BYTES)], check=True)
    seconds, peak, code = run_measured([*auditor, "audit", "--snapshot", str(snapshot),
                                        "--out", str(folder / "limit-reports"), "--quiet",
                                        "--fail-on", "never"])
    size = snapshot.stat().st_size
    snapshot.unlink()
    settings = folder / "aliases.yaml"
    settings.write_text(settings_referring(200), encoding="utf-8")
    refusal = [*auditor, "audit", "--snapshot", str(EXAMPLE), "--settings", str(settings),
               "--out", str(folder / "none")]
    times = medians({"refusal": refusal, "help": [*auditor, "--help"]}, runs)
    refused_code = run_process(refusal)[1]
    return [
        Row(f"audit of a snapshot at the size limit ({size / mib:.1f} of "
            f"{MAX_SNAPSHOT_BYTES / mib:.0f} MiB): time", f"{seconds:.1f} s (exit {code})"),
        Row("  peak memory", f"{peak / mib:.0f} MiB", "<= 1 GiB", peak <= 1024 * mib),
        Row(f"{settings.stat().st_size / 1000:.0f} KB settings file, aliases to 12 million "
            f"characters: time to exit 2 (median of {runs})",
            f"{times['refusal'] * 1000:.0f} ms (exit {refused_code}; `auditor --help` "
            f"{times['help'] * 1000:.0f} ms)", "< 1 s",
            times["refusal"] < 1 and refused_code == 2),
    ]


# --- the table --------------------------------------------------------------------------------

def table(rows: list[Row]) -> str:
    header = ("measure", "value", "target", "holds")
    cells = [header, *((r.measure, r.value, r.target, r.verdict) for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(4)]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             + " |" for row in cells]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--teammates", type=int, default=200_000)
    parser.add_argument("--skip-fleet", action="store_true")
    parser.add_argument("--only", choices=["live", "start-up", "scale", "fleet", "history",
                                           "limits"],
                        help="measure only these rows")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="auditor-bench-"))
    parts: dict[str, Callable[[], list[Row]]] = {
        "live": lambda: live_audit_rows(args.latency),
        "start-up": lambda: start_up_rows(args.runs, folder / "offline"),
        "scale": lambda: scale_rows(args.teammates, folder),
        "fleet": lambda: [] if args.skip_fleet else fleet_rows(args.latency, folder),
        "history": lambda: history_rows(args.runs, folder),
        "limits": lambda: limits_rows(args.runs, folder),
    }
    try:
        install_fresh_copy(folder)
        rows = [row for name, part in parts.items() if args.only in (None, name)
                for row in part()]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {machine()}\n")
    print(table(rows))


if __name__ == "__main__":
    main()
