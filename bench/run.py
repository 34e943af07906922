"""Wall-time benchmarks, reported as medians and ratios (never asserted in tests).

    python bench/run.py [--runs N] [--latency SECONDS]

1. Offline audit: load the misconfigured example, evaluate every rule, render all three
   reports. The median tells whether re-running audits in CI is cheap.
2. Live collection against the test emulators with the same latency added to every
   request: both sources at once (as `auditor collect` runs them) against one after the
   other. The ratio shows what running the collectors side by side buys.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the tests' emulators live beside the package

import trustme  # noqa: E402

from auditor.collect.intercom.collector import IntercomOptions, collect_intercom  # noqa: E402
from auditor.collect.run import CollectionProgress, collect_sources  # noqa: E402
from auditor.collect.salesforce.collector import SalesforceOptions, collect_salesforce  # noqa: E402
from auditor.documents.snapshot import load_snapshot, utc_now  # noqa: E402
from auditor.engine.catalogue import load_rules, resolve_params  # noqa: E402
from auditor.engine.evaluate import evaluate  # noqa: E402
from auditor.report.render import FORMATS, render  # noqa: E402
from auditor.report.results import build_results  # noqa: E402
from tests.emulators import intercom as ic  # noqa: E402
from tests.emulators.salesforce import Emulator, Fault, Scenario  # noqa: E402
from tests.intercom_fixtures import intercom, make_scenario  # noqa: E402
from tests.salesforce_lab import typical_tables  # noqa: E402


def median_seconds(task: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        task()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def offline_audit() -> None:
    snapshot = load_snapshot(REPO / "examples" / "misconfigured.snapshot.json")
    rules = load_rules()
    findings = evaluate(rules, snapshot, resolve_params(rules, {}))
    results = build_results(findings, snapshot, generated_at=utc_now())
    for fmt in FORMATS:
        render(results, fmt)


def live_collectors(latency: float, stack: ExitStack) -> dict[str, Callable[..., Any]]:
    ca = trustme.CA()
    bundle = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    sf = stack.enter_context(Emulator(Scenario(
        tables=typical_tables(), faults=[Fault(path="/services/data", delay=latency)]), ca))
    workspace = make_scenario(faults={endpoint: [ic.Fault(delay=latency, times=10**6)]
                                      for endpoint in ("GET /me", "GET /admins",
                                                       "POST /contacts/search",
                                                       "POST /admins/activity_logs/search")})
    served = stack.enter_context(intercom(workspace))
    sf_env = {**os.environ, "SF_INSTANCE_URL": sf.base_url,
              "SF_ACCESS_TOKEN": sf.scenario.access_token, "REQUESTS_CA_BUNDLE": str(bundle)}
    return {
        "salesforce": lambda count: collect_salesforce(SalesforceOptions(env=sf_env), count),
        "intercom": lambda count: collect_intercom(IntercomOptions(env=served.env), count),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()

    offline_audit()  # warm caches (schemas, templates) before timing
    offline = median_seconds(offline_audit, args.runs)
    print(f"offline audit (evaluate + 3 reports): median {offline * 1000:.1f} ms "
          f"over {args.runs} runs")

    with ExitStack() as stack:
        collectors = live_collectors(args.latency, stack)
        progress = CollectionProgress()
        together = median_seconds(lambda: collect_sources(collectors, progress), args.runs)
        apart = median_seconds(lambda: [collect_sources({source: collector}, progress)
                                        for source, collector in collectors.items()],
                               args.runs)
    print(f"live collection, {args.latency * 1000:.0f} ms latency a request: "
          f"side by side median {together * 1000:.0f} ms, one after the other "
          f"{apart * 1000:.0f} ms, ratio {apart / together:.2f}x")


if __name__ == "__main__":
    main()
