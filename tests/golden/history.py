"""Thirty nightly runs of the three example snapshots, as a nightly job leaves them, for
the trend's golden files (tests/golden/trend/) and the history tests.

    nights  1-10  misconfigured
    nights 11-13  partial (Salesforce could not be read: its rules unknown)
    nights 14-30  compliant, but for a regression of the case owner on nights 20-22

Nights 1-15 are folders holding report.json, nights 16-30 report-YYYYMMDD.json files.
Beside them: a damaged file, a report.json of another schema version and a second copy
of night 3, each of which the trend must list as skipped.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditor.engine.catalogue import load_rules, resolve_params
from auditor.engine.evaluate import evaluate
from auditor.report.results import build_results, effective_configuration
from tests.snapshots import example

NIGHTS = 30
FIRST_NIGHT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def night_snapshot(night: int) -> tuple[str, dict[str, Any]]:
    """The example a night audits, changed as the history above says."""
    name = ("misconfigured" if night <= 10 else "partial" if night <= 13 else "compliant")
    snapshot = copy.deepcopy(example(name))
    if 20 <= night <= 22:
        snapshot["settings"]["intercom_salesforce_app"]["cases"]["case_owner"] = "other"
    return name, snapshot


def night_report(night: int) -> dict[str, Any]:
    rules = load_rules()
    params = resolve_params(rules, {})
    name, snapshot = night_snapshot(night)
    return build_results(evaluate(rules, snapshot, params), snapshot,
                         generated_at=FIRST_NIGHT + timedelta(days=night - 1),
                         snapshot_file=f"{name}.snapshot.json",
                         configuration=effective_configuration(rules, params))


def write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def make_history(folder: Path, nights: int = NIGHTS) -> Path:
    """Write the nights' reports (and the three to skip) into folder; return it."""
    reports = {night: night_report(night) for night in range(1, nights + 1)}
    for night, report in reports.items():
        day = (FIRST_NIGHT + timedelta(days=night - 1)).strftime("%Y%m%d")
        write(folder / f"run-{day}" / "report.json" if night <= 15
              else folder / f"report-{day}.json", report)
    damaged = json.dumps(reports[1], indent=2)
    (folder / "report-20261031.json").write_text(damaged[: len(damaged) // 2], encoding="utf-8")
    write(folder / "run-schema-2" / "report.json", {**reports[2], "schema_version": 2})
    write(folder / "run-copy" / "report.json", reports[3])
    return folder
