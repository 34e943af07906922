"""The trend over past runs: plain data that trend.html, trend.md and trend.json render.

- `runs`: each run in order, with its score, the change from the run before that had a
  score, and its failures by severity;
- `rules`: each rule's status in each run (null where a run did not judge the rule);
- `episodes`: each time a finding failed, the run it first failed in and the run it was
  resolved in. Only a pass or not applicable resolves a failure: unknown is no evidence
  that it was fixed, and a waived failure is accepted, not fixed. A run that did not
  judge the rule leaves the episode as it was.
- `skipped`: every file that was not read as a run, with the reason.
"""

from __future__ import annotations

from typing import Any

from auditor import TOOL_NAME, __version__
from auditor.documents.history import PastRun, Skipped

TREND_VERSION = 1
RESOLVING = ("pass", "not_applicable")


def build_trend(runs: list[PastRun], skipped: list[Skipped]) -> dict[str, Any]:
    reports = [run.report for run in runs]
    latest = reports[-1] if reports else {}
    return {
        "trend_version": TREND_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "workspace": (latest.get("snapshot") or {}).get("workspace"),
        "runs": _runs(runs),
        "rules": _rules(reports),
        "episodes": _episodes(reports),
        "skipped": [{"file": s.file, "reason": s.reason} for s in skipped],
    }


def _runs(runs: list[PastRun]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    previous: int | None = None
    for number, run in enumerate(runs, start=1):
        summary = run.report.get("summary") or {}
        score = summary.get("score")
        fails = [f for f in run.report["findings"] if f["status"] == "fail"]
        rows.append({
            "run": number,
            "generated_at": run.report["generated_at"],
            "file": run.file,
            "score": score,
            "change": None if score is None or previous is None else score - previous,
            "failures": len(fails),
            "unknown": sum(1 for f in run.report["findings"] if f["status"] == "unknown"),
        })
        previous = score if score is not None else previous
    return rows


def _rules(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each rule seen in any run, in the order of the latest run that has it."""
    latest: dict[str, dict[str, Any]] = {}
    for report in reports:
        for finding in report["findings"]:
            latest.pop(finding["rule_id"], None)
            latest[finding["rule_id"]] = finding
    order = {rule_id: n for n, rule_id in enumerate(
        f["rule_id"] for f in (reports[-1]["findings"] if reports else []))}
    rule_ids = sorted(latest, key=lambda rule_id: order.get(rule_id, len(order)))
    statuses = [{f["rule_id"]: f["status"] for f in report["findings"]} for report in reports]
    return [{"rule_id": rule_id, "title": latest[rule_id]["title"],
             "severity": latest[rule_id]["severity"],
             "statuses": [by_rule.get(rule_id) for by_rule in statuses]}
            for rule_id in rule_ids]


def _episodes(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    episodes: list[dict[str, Any]] = []
    open_now: dict[str, dict[str, Any]] = {}
    for number, report in enumerate(reports, start=1):
        for finding in report["findings"]:
            rule_id, status = finding["rule_id"], finding["status"]
            if status == "fail" and rule_id not in open_now:
                open_now[rule_id] = {"rule_id": rule_id, "title": finding["title"],
                                     "severity": finding["severity"], "failed_in": number,
                                     "failed_at": report["generated_at"],
                                     "resolved_in": None, "resolved_at": None}
                episodes.append(open_now[rule_id])
            elif status in RESOLVING and rule_id in open_now:
                episode = open_now.pop(rule_id)
                episode.update(resolved_in=number, resolved_at=report["generated_at"])
    return episodes
