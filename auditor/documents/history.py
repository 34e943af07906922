"""The report.json files of past runs, as a nightly job leaves them: one folder per run
holding report.json, or report-YYYYMMDD.json files side by side.

Every file found is either a run, in the order of its own run timestamp (generated_at),
or skipped with the reason: another schema version, damaged (not JSON, or without what
a trend reads), or a second copy of a run already read (the same timestamp, snapshot
and findings). A skipped file never stops the
others.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

from auditor.documents.errors import InputError
from auditor.documents.load import format_path, load_document
from auditor.documents.timestamps import parse_timestamp
from auditor.documents.vocabulary import SEVERITIES, STATUSES
from auditor.safety.display import one_line

READ_SCHEMA_VERSION = 1  # the results schema a trend reads (report/results.py)
# A report.json of a few thousand findings is a few MiB; one far larger is not a report.
MAX_REPORT_BYTES = 64 * 1024**2
_DATED = re.compile(r"report-[0-9]{8}(?:T[0-9]{4,6}Z?)?\.json")


class PastRun(NamedTuple):
    file: str  # as the trend names it: the folder given, then the path inside it
    report: dict[str, Any]


class Skipped(NamedTuple):
    file: str
    reason: str


def report_files(folder: Path) -> list[Path]:
    """The report.json files of a folder of runs: its own report.json, report.json in each
    folder directly inside it, and report-YYYYMMDD.json beside them."""
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise InputError(f"the folder of runs cannot be read: {exc.strerror or exc}.",
                         file=str(folder)) from None
    found = [folder / "report.json"] if _is_file(folder / "report.json") else []
    for entry in entries:
        if _DATED.fullmatch(entry.name):
            found.append(entry)  # reading it says why, if it is no file
        elif _is_folder(entry) and _is_file(entry / "report.json"):
            found.append(entry / "report.json")
    return found


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return True  # there, but not to be looked at: reading it says why


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def read_history(folders: list[Path]) -> tuple[list[PastRun], list[Skipped]]:
    """Every run found in the folders, oldest first, and every file skipped, with why."""
    runs: dict[tuple[Any, ...], PastRun] = {}
    skipped: list[Skipped] = []
    for folder in folders:
        for path in report_files(folder):
            shown = str(folder / path.relative_to(folder))
            report, problem = _read_report(path)
            if report is None:
                skipped.append(Skipped(shown, problem))
                continue
            identity = _identity(report)
            if identity in runs:
                skipped.append(Skipped(shown, f"the same run ({report['generated_at']}) as "
                                              f"{runs[identity].file}"))
                continue
            runs[identity] = PastRun(shown, report)
    ordered = sorted(runs.values(), key=lambda run: parse_timestamp(run.report["generated_at"]))
    return ordered, skipped


def _identity(report: dict[str, Any]) -> tuple[Any, ...]:
    """What tells one run from another: its timestamp (to the second), the snapshot it
    audited and what it found. Two runs in the same second that differ are two runs."""
    snapshot = report.get("snapshot")
    return (report["generated_at"],
            snapshot.get("created_at") if isinstance(snapshot, dict) else None,
            (report.get("summary") or {}).get("score"),
            tuple((f["rule_id"], f["status"]) for f in report["findings"]))


def _read_report(path: Path) -> tuple[dict[str, Any] | None, str]:
    try:
        data = load_document(path, "report.json", MAX_REPORT_BYTES).data
    except InputError as exc:
        return None, _reason(exc)
    if not isinstance(data, dict):
        return None, "damaged: not a report.json (expected an object at the top)"
    version = data.get("schema_version")
    if version != READ_SCHEMA_VERSION:
        return None, (f"schema version {one_line(str(version))[:20]}; this auditor reads "
                      f"schema version {READ_SCHEMA_VERSION}")
    problem = _shape_problem(data)
    if problem:
        return None, f"damaged: {problem}"
    return data, ""


def _reason(error: InputError) -> str:
    # The list names the file already; the line, where there is one, stays.
    where = f"line {error.line}: " if error.line is not None else ""
    return "damaged: " + one_line(where + error.problem)


def _shape_problem(data: dict[str, Any]) -> str | None:
    """What a trend reads and this report.json lacks, with its JSON path; None if whole."""
    stamp = data.get("generated_at")
    try:
        parse_timestamp(stamp) if isinstance(stamp, str) else None
    except ValueError:
        stamp = None
    if not isinstance(stamp, str):
        return "generated_at is not an RFC 3339 timestamp"
    summary = data.get("summary")
    score = summary.get("score", "") if isinstance(summary, dict) else ""
    if score is not None and (type(score) is not int or not 0 <= score <= 100):
        return "summary.score is not a whole number from 0 to 100, nor null"
    findings = data.get("findings")
    if not isinstance(findings, list):
        return "findings is not a list"
    for index, finding in enumerate(findings):
        problem = _finding_problem(finding)
        if problem:
            return f"{format_path(('findings', index))} {problem}"
    return None


def _finding_problem(finding: Any) -> str | None:
    if not isinstance(finding, dict):
        return "is not an object"
    for key in ("rule_id", "title"):
        if not isinstance(finding.get(key), str):
            return f"has no {key}"
    if finding.get("status") not in STATUSES:
        return f"has a status that is not one of {', '.join(STATUSES)}"
    if finding.get("severity") not in SEVERITIES:
        return f"has a severity that is not one of {', '.join(SEVERITIES)}"
    return None
