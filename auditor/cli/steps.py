"""The steps behind `audit`, `collect` and each fleet target: collect, check the outputs,
plan the audit, save the snapshot, print the outcome.

Kept apart from the command declarations so that `auditor --help` loads none of this.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from auditor.cli.options import load_catalogue
from auditor.cli.pipeline import AuditOutcome, AuditPlan, read_waivers
from auditor.documents.errors import InputError
from auditor.documents.files import beside, check_targets, write_atomically
from auditor.documents.load import load_document
from auditor.documents.settings import load_settings
from auditor.documents.snapshot import MAX_SNAPSHOT_BYTES, SOURCES, dump_snapshot, utc_now
from auditor.documents.validation import validate_document
from auditor.engine.catalogue import Rule
from auditor.report.render import render_summary_table
from auditor.safety.display import one_line
from auditor.safety.secrets import redact_data

# What load_catalogue does: the rules and their parameters, from the rule options.
Catalogue = Callable[[tuple[Path, ...], tuple[tuple[str, Any], ...], tuple[tuple[str, str], ...]],
                     tuple[list[Rule], dict[str, dict[str, Any]]]]


def collect_snapshot(settings_file: Path | None, no_salesforce: bool, no_intercom: bool,
                     sf_target_org: str | None, window_days: int, timeout: float,
                     max_wait: float, quiet: bool, env: dict[str, str] | None = None,
                     shown_settings_file: str | None = None,
                     show_progress: bool = True) -> dict[str, Any]:
    """Collect a new snapshot from the live systems, both at the same time."""
    # Imported here: the collectors pull in simple-salesforce and httpx, which the
    # offline commands do not need.
    from auditor.cli.progress import progress_display
    from auditor.collect import RequestCounter
    from auditor.collect.intercom.collector import IntercomOptions, collect_intercom
    from auditor.collect.run import CollectionProgress, Collector, TeammateHandoff, collect_sources
    from auditor.collect.salesforce.collector import SalesforceOptions, collect_salesforce
    from auditor.documents.snapshot import new_snapshot

    environment = dict(os.environ) if env is None else env
    settings = load_settings(settings_file) if settings_file else None
    handoff = TeammateHandoff(_mapped_usernames(settings))
    sf_options = SalesforceOptions(target_org=sf_target_org, window_days=window_days,
                                   timeout=timeout, user_keys=handoff.keys, env=environment,
                                   mapped_fields=_mapped_fields(settings))
    ic_options = IntercomOptions(timeout=timeout, max_wait=max_wait, env=environment)

    def intercom(on_request: RequestCounter) -> dict[str, Any]:
        try:
            return collect_intercom(ic_options, on_request, on_teammates=handoff.publish)
        finally:
            handoff.publish(None)  # never leave Salesforce waiting, whatever happened

    if no_intercom:
        handoff.publish(None)
    collectors: dict[str, Collector | None] = {
        "salesforce": None if no_salesforce else (
            lambda on_request: collect_salesforce(sf_options, on_request)),
        "intercom": None if no_intercom else intercom,
    }
    started = utc_now()
    progress = (CollectionProgress(on_change=progress_display(quiet)) if show_progress
                else CollectionProgress())
    sections = collect_sources(collectors, progress)
    shown = shown_settings_file or (str(settings_file) if settings_file else None)
    snapshot = new_snapshot(settings=settings, created_at=started, settings_file=shown,
                            **sections)
    return redact_data(snapshot)  # a server may have echoed a secret into a reason


def _mapped_usernames(settings: dict[str, Any] | None) -> list[str]:
    """The Salesforce usernames the settings' user_mappings name."""
    app = (settings or {}).get("intercom_salesforce_app") or {}
    mappings = (app.get("ownership") or {}).get("user_mappings") or []
    return [m["salesforce_username"] for m in mappings
            if isinstance(m, dict) and isinstance(m.get("salesforce_username"), str)]


def _mapped_fields(settings: dict[str, Any] | None) -> tuple[str, ...] | None:
    """The Salesforce fields the settings' field mappings name; None when not attested."""
    app = (settings or {}).get("intercom_salesforce_app") or {}
    mappings = (app.get("lead_contact_sync") or {}).get("field_mappings")
    if not isinstance(mappings, list):
        return None
    return tuple(m["salesforce"] for m in mappings
                 if isinstance(m, dict) and isinstance(m.get("salesforce"), str))


def partial(snapshot: dict[str, Any]) -> bool:
    """Whether a source that was asked for could not be collected."""
    return any(snapshot[source]["status"] == "unavailable" for source in SOURCES)


def save_snapshot_file(snapshot: dict[str, Any], target: Path, allow_partial: bool) -> Path:
    """Write the snapshot to target and return where it went. A collection that missed a
    source never replaces an existing snapshot, unless allowed: it goes beside it."""
    path = target
    if partial(snapshot) and not allow_partial and os.path.lexists(target):
        stamp = snapshot["created_at"].replace("-", "").replace(":", "")  # 20261120T102233Z
        path = beside(target, f"partial-{stamp}")
        click.echo(f"note: a source that was asked for could not be collected, so "
                   f"{one_line(str(target))} is kept as it was and this collection goes to "
                   f"{one_line(str(path))}. Pass --allow-partial to replace it anyway.",
                   err=True)
    write_atomically(path, dump_snapshot(snapshot))
    click.echo(f"wrote {one_line(str(path))}")
    return path


def check_outputs(reports: Iterable[Path], save_snapshot: Path | None) -> None:
    """Every file the audit will write can be written: checked before any request."""
    reports = list(reports)
    if save_snapshot is not None and os.path.abspath(save_snapshot) in map(os.path.abspath,
                                                                            reports):
        raise InputError("--save-snapshot names a file a report is written to; choose "
                         "another name or another --out folder.", file=str(save_snapshot))
    check_targets([*reports, *([save_snapshot] if save_snapshot else [])])


def shown_path(path: Path | str, show_paths: bool) -> str:
    """A file as reports name it: its name alone, so a consultant's folders stay private."""
    return str(path) if show_paths else Path(path).name


def print_outcome(outcome: AuditOutcome, out_dir: Path, no_color: bool) -> None:
    width = shutil.get_terminal_size((100, 24)).columns
    color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()
    click.echo(render_summary_table(outcome.results, width=width, color=color), nl=False)
    for path in outcome.written:
        click.echo(f"wrote {one_line(str(path))}")
    score = outcome.results["summary"]["score"]
    shown = "n/a" if score is None else f"{score}/100"
    click.echo(f"Reports in {one_line(str(out_dir))} · score {shown} · {outcome.verdict}")


def plan_from(options: dict[str, Any], catalogue: Catalogue | None = None) -> AuditPlan:
    """The audit plan a command's report options describe; bad input stops here, before
    anything is collected. `catalogue` reads the rules (a fleet shares one reading)."""
    rules, params = (catalogue or load_catalogue)(options["rules_dirs"], options["params"],
                                                  options["severities"])
    waivers = waivers_file = None
    if options["waivers"] is not None:
        waivers = read_waivers(options["waivers"], rules, options["max_waiver_days"])
        waivers_file = shown_path(options["waivers"], options["show_paths"])
    baseline = baseline_file = None
    if options["baseline"] is not None:
        baseline = load_report(options["baseline"])
        baseline_file = shown_path(options["baseline"], options["show_paths"])
    elif options["fail_on_new"]:
        raise InputError("--fail-on-new needs --baseline: the previous run's report.json.")
    return AuditPlan(
        rules=rules, params=params, out_dir=options["out_dir"], formats=options["formats"],
        fail_on=options["fail_on"], fail_on_unknown=options["fail_on_unknown"],
        fail_on_new=options["fail_on_new"], profile=options["profile"],
        show_emails=options["show_emails"], waivers=waivers, waivers_file=waivers_file,
        baseline=baseline, baseline_file=baseline_file)


def load_report(path: Path) -> dict[str, Any]:
    """A report.json written by this tool, validated."""
    doc = load_document(path, "report.json", MAX_SNAPSHOT_BYTES)
    if not isinstance(doc.data, dict) or "findings" not in doc.data:
        raise doc.error("expected a report.json written by `auditor audit` (with "
                        "schema_version and findings).")
    validate_document(doc, "report")
    return dict(doc.data)


REPORT_KEYS = ("formats", "out_dir", "fail_on", "fail_on_unknown", "fail_on_new", "baseline",
               "waivers", "max_waiver_days", "profile", "show_emails", "show_paths",
               "no_color", "rules_dirs", "params", "severities")
