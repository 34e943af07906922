"""One audit of one snapshot, from findings to written reports and an exit code.

The same steps serve `auditor audit`, `auditor demo` and each target of `auditor fleet`:
evaluate, apply waivers, build the results with the effective configuration, mark them
against a baseline, redact, and write the report set whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from auditor.documents.files import replace_all
from auditor.documents.load import load_document
from auditor.documents.snapshot import utc_now
from auditor.engine.catalogue import SEVERITIES, Rule
from auditor.engine.evaluate import evaluate
from auditor.report.render import DEFAULT_FORMATS, FORMATS, render
from auditor.report.results import build_results, effective_configuration
from auditor.safety.secrets import redact_data

if TYPE_CHECKING:  # waivers and baselines are imported by the runs that use them
    from auditor.engine.waivers import Waiver

EXIT_OK, EXIT_FINDINGS = 0, 1


class AuditPlan(NamedTuple):
    """Everything about an audit but the snapshot: rules, thresholds, outputs."""

    rules: list[Rule]
    params: dict[str, dict[str, Any]]
    out_dir: Path
    formats: tuple[str, ...] = ()
    fail_on: str = "high"
    fail_on_unknown: bool = False
    fail_on_new: bool = False
    profile: str = "audit"
    show_emails: bool = False
    waivers: tuple[Waiver, ...] | None = None
    waivers_file: str | None = None
    baseline: dict[str, Any] | None = None
    baseline_file: str | None = None

    def report_files(self) -> dict[str, Path]:
        # The checklist is named as such, so it never overwrites an audit's report.
        stem = "checklist" if self.profile == "onboarding" else "report"
        return {fmt: self.out_dir / FORMATS[fmt].replace("report", stem, 1)
                for fmt in self.formats or DEFAULT_FORMATS}


class AuditOutcome(NamedTuple):
    results: dict[str, Any]
    written: list[Path]
    exit_code: int
    verdict: str  # why the exit code is what it is, for the last line a person reads


def audit_snapshot(snapshot: dict[str, Any], snapshot_file: str | None,
                   plan: AuditPlan, *, settings_path: Path | None = None) -> AuditOutcome:
    """Audit one snapshot; `settings_path`, the settings file it was given, lets each
    attested finding point at the line holding its value (SARIF locations)."""
    generated_at = utc_now()
    findings = evaluate(plan.rules, snapshot, plan.params, show_emails=plan.show_emails)
    waivers = None
    if plan.waivers is not None:
        from auditor.engine.waivers import apply_waivers

        findings, waivers = apply_waivers(findings, list(plan.waivers), generated_at.date())
        if plan.waivers_file:
            waivers["file"] = plan.waivers_file
    results = build_results(
        findings, snapshot, generated_at=generated_at, snapshot_file=snapshot_file,
        profile=plan.profile, fail_on=plan.fail_on, fail_on_unknown=plan.fail_on_unknown,
        configuration=effective_configuration(plan.rules, plan.params), waivers=waivers)
    if settings_path is not None:
        results = _located(results, settings_path, snapshot.get("settings_file"))
    if plan.baseline is not None:
        from auditor.report.drift import mark_baseline

        results = mark_baseline(results, plan.baseline, plan.baseline_file or "")
    # Redacted as data, before any format escapes it its own way (a saved snapshot may
    # hold what an older auditor let through).
    results = redact_data(results)
    # Everything is rendered before anything is written: a rendering problem leaves the
    # previous reports untouched; the set is then replaced whole.
    files = {path: render(results, fmt) for fmt, path in plan.report_files().items()}
    replace_all(files)
    code, verdict = judge(results, plan)
    return AuditOutcome(results, list(files), code, verdict)


def _located(results: dict[str, Any], settings_path: Path, shown: str | None
             ) -> dict[str, Any]:
    """Each finding resting on an attested value, with the settings-file line holding it."""
    doc = load_document(settings_path, "settings file")
    findings = []
    for finding in results["findings"]:
        attested = [p for p in finding["provenance"] if p["kind"] == "attested"]
        if attested:
            keys = tuple(attested[0]["path"].split("."))
            line = doc.line_of(keys)
            finding = {**finding, "location": {"file": shown or settings_path.name,
                                               **({"line": line} if line else {})}}
        findings.append(finding)
    return {**results, "findings": findings}


def judge(results: dict[str, Any], plan: AuditPlan) -> tuple[int, str]:
    """The findings' exit code, and a sentence saying why."""
    if plan.fail_on == "never":
        return EXIT_OK, "exit 0: --fail-on never"
    levels = SEVERITIES[: SEVERITIES.index(plan.fail_on) + 1]
    counted = ("fail", "unknown") if plan.fail_on_unknown else ("fail",)
    failing = [f for f in results["findings"]
               if f["status"] in counted and f["severity"] in levels
               and (not plan.fail_on_new or f.get("since_baseline") == "new")]
    scope = " new" if plan.fail_on_new else ""
    if not failing:
        return EXIT_OK, f"exit 0: no{scope} finding at or above {plan.fail_on} fails"
    by_level = {level: sum(1 for f in failing if f["severity"] == level) for level in levels}
    listed = ", ".join(f"{count} {level}" for level, count in by_level.items() if count)
    what = "finding fails" if len(failing) == 1 else "findings fail"
    unknown = " (unknown counts as failing)" if plan.fail_on_unknown else ""
    return EXIT_FINDINGS, f"exit 1: {listed}{scope} {what}{unknown}"


def read_waivers(path: Path, rules: list[Rule], max_days: int) -> tuple[Waiver, ...]:
    from auditor.engine.waivers import load_waivers

    return tuple(load_waivers(path, [r.id for r in rules], utc_now().date(), max_days))
