"""The `auditor` command line."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import click

from auditor import __version__
from auditor.cli.crash import EXIT_BUG, reporting_crashes
from auditor.cli.flags import SECONDS_MAX, WINDOW_DAYS_MAX, FiniteFloatRange, ParamOverride
from auditor.documents.display import one_line
from auditor.documents.errors import InputError
from auditor.documents.files import beside, check_targets, replace_all, write_atomically
from auditor.documents.interrupts import EXIT_SIGINT, EXIT_SIGTERM, handling_signals
from auditor.documents.load import SCHEMA_NAMES, load_schema
from auditor.documents.secrets import (
    environment_secrets,
    redact_data,
    redacting_streams,
    start_over,
)
from auditor.documents.settings import load_settings
from auditor.documents.snapshot import (
    SOURCES,
    dump_snapshot,
    load_snapshot,
    utc_now,
    with_settings,
)
from auditor.engine.catalogue import SEVERITIES, Rule, load_rules, resolve_params
from auditor.engine.evaluate import evaluate
from auditor.report.render import DEFAULT_FORMATS, FORMATS, render, render_summary_table
from auditor.report.results import PROFILES, build_results

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_PARTIAL = 0, 1, 2, 3
# The README's exit-code table, in short; \b keeps click from rewrapping it.
EXIT_CODES = f"""\b
Exit codes: {EXIT_OK} no failing finding at or above --fail-on; {EXIT_FINDINGS} failing findings;
{EXIT_BAD_INPUT} bad input or usage; {EXIT_PARTIAL} a source asked for could not be collected;
{EXIT_BUG} a bug in the auditor (a crash file holds the details);
{EXIT_SIGINT}/{EXIT_SIGTERM} stopped by SIGINT (Ctrl-C)/SIGTERM, no file half-written."""
FAIL_ON_CHOICES = (*SEVERITIES[:-1], "never")


class _AuditorGroup(click.Group):
    """Turns bad input into one clear paragraph and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        # Each command starts with the environment's credentials (the collectors add those
        # they sign in with), and nothing it prints can show one, in any form.
        start_over(*environment_secrets(os.environ))
        with redacting_streams():
            try:
                return super().invoke(ctx)
            except InputError as exc:
                click.echo(f"error: {one_line(str(exc))}", err=True)
                ctx.exit(EXIT_BAD_INPUT)


@click.group(cls=_AuditorGroup, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit Intercom's Salesforce integration against the recommended configuration."""


# --- options shared by several commands ---------------------------------------------

def _rule_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--rules-dir", "rules_dirs", multiple=True, type=click.Path(path_type=Path),
        help="A folder of your own rule files, added to the shipped ones (repeatable).",
    )(command)
    return click.option(
        "--param", "params", multiple=True, type=ParamOverride(), metavar="RULE_ID.NAME=VALUE",
        help="Override a rule parameter, e.g. api_usage.limit_recommended.recommended=25000.",
    )(command)


def _load_catalogue(rules_dirs: tuple[Path, ...], params: tuple[tuple[str, Any], ...]
                    ) -> tuple[list[Rule], dict[str, dict[str, Any]]]:
    rules = load_rules(rules_dirs)
    return rules, resolve_params(rules, dict(params))


def _report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--format", "formats", multiple=True, type=click.Choice(list(FORMATS)),
                     help="Report formats to write (repeatable). Default: all three."),
        click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
                     default=Path("reports"), show_default=True,
                     help="Folder the reports are written to."),
        click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default="high",
                     show_default=True,
                     help="Exit 1 when a finding fails at this severity or above."),
        click.option("--profile", type=click.Choice(PROFILES), default="audit",
                     show_default=True,
                     help="audit: the findings report; onboarding: an ordered checklist."),
        click.option("--show-emails", is_flag=True,
                     help="Show customer email addresses in full instead of masked."),
    ]):
        command = option(command)
    return _rule_options(command)


def _fails_at_or_above(results: dict[str, Any], fail_on: str) -> bool:
    if fail_on == "never":
        return False
    worst = SEVERITIES.index(fail_on)
    return any(
        f["status"] == "fail" and SEVERITIES.index(f["severity"]) <= worst
        for f in results["findings"]
    )


def _report_files(formats: tuple[str, ...], out_dir: Path) -> dict[str, Path]:
    return {fmt: out_dir / FORMATS[fmt] for fmt in formats or DEFAULT_FORMATS}


def _write_reports(results: dict[str, Any], formats: tuple[str, ...], out_dir: Path
                   ) -> list[Path]:
    # Everything is rendered before anything is written: a rendering problem leaves
    # the previous reports untouched. The reports are then replaced as a set.
    files = {path: render(results, fmt) for fmt, path in _report_files(formats, out_dir).items()}
    replace_all(files)
    return list(files)


def run_audit(
    snapshot: dict[str, Any],
    *,
    snapshot_file: str | None,
    rules: list[Rule],
    params: dict[str, dict[str, Any]],
    formats: tuple[str, ...],
    out_dir: Path,
    fail_on: str,
    profile: str,
    show_emails: bool,
) -> int:
    """Evaluate, write the reports, print the summary; return the findings' exit code."""
    findings = evaluate(rules, snapshot, params, show_emails=show_emails)
    # Redacted as data, before any format escapes it its own way (a saved snapshot may
    # hold what an older auditor let through).
    results = redact_data(build_results(findings, snapshot, generated_at=utc_now(),
                                        snapshot_file=snapshot_file, profile=profile,
                                        fail_on=fail_on))
    written = _write_reports(results, formats, out_dir)
    click.echo(render_summary_table(results), nl=False)
    for path in written:
        click.echo(f"wrote {one_line(str(path))}")
    return EXIT_FINDINGS if _fails_at_or_above(results, fail_on) else EXIT_OK


def _apply_settings(snapshot: dict[str, Any], settings_file: Path | None) -> dict[str, Any]:
    if settings_file is None:
        return snapshot
    return with_settings(snapshot, load_settings(settings_file), str(settings_file))


# --- commands -------------------------------------------------------------------------

def _collection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--settings", "settings_file", type=click.Path(path_type=Path),
                     help="Settings file with the attested Intercom Salesforce app settings."),
        click.option("--no-salesforce", is_flag=True, help="Do not collect from Salesforce."),
        click.option("--no-intercom", is_flag=True, help="Do not collect from Intercom."),
        click.option("--sf-target-org", metavar="ALIAS",
                     help="Reuse a Salesforce CLI login (sf org display --target-org ALIAS)."),
        click.option("--window-days", type=click.IntRange(1, WINDOW_DAYS_MAX), default=30,
                     show_default=True,
                     help="How many days of Salesforce records written by Intercom to count."),
        click.option("--timeout", type=FiniteFloatRange(0, SECONDS_MAX, min_open=True),
                     default=30.0,
                     show_default=True, help="Seconds to wait for one API answer."),
        click.option("--max-wait", type=FiniteFloatRange(0, SECONDS_MAX), default=60.0,
                     show_default=True,
                     help="Longest wait, in seconds, when Intercom asks to slow down."),
        click.option("--allow-partial", is_flag=True,
                     help="Exit as the findings say even when a source could not be collected."),
        click.option("--quiet", is_flag=True, help="Plain progress lines, never animated."),
    ]):
        command = option(command)
    return command


def _collect(settings_file: Path | None, no_salesforce: bool, no_intercom: bool,
             sf_target_org: str | None, window_days: int, timeout: float, max_wait: float,
             quiet: bool) -> dict[str, Any]:
    """Collect a new snapshot from the live systems, both at the same time."""
    # Imported here: the collectors pull in simple-salesforce and httpx, which the
    # offline commands do not need.
    from auditor.cli.progress import progress_display
    from auditor.collect import RequestCounter
    from auditor.collect.intercom.collector import IntercomOptions, collect_intercom
    from auditor.collect.run import CollectionProgress, Collector, TeammateHandoff, collect_sources
    from auditor.collect.salesforce.collector import SalesforceOptions, collect_salesforce
    from auditor.documents.snapshot import new_snapshot

    settings = load_settings(settings_file) if settings_file else None
    handoff = TeammateHandoff(_mapped_usernames(settings))
    sf_options = SalesforceOptions(target_org=sf_target_org, window_days=window_days,
                                   timeout=timeout, user_keys=handoff.keys)
    ic_options = IntercomOptions(timeout=timeout, max_wait=max_wait)

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
    sections = collect_sources(collectors, CollectionProgress(on_change=progress_display(quiet)))
    snapshot = new_snapshot(settings=settings, created_at=started,
                            settings_file=str(settings_file) if settings_file else None,
                            **sections)
    return redact_data(snapshot)  # a server may have echoed a secret into a reason


def _mapped_usernames(settings: dict[str, Any] | None) -> list[str]:
    """The Salesforce usernames the settings' user_mappings name."""
    app = (settings or {}).get("intercom_salesforce_app") or {}
    mappings = (app.get("ownership") or {}).get("user_mappings") or []
    return [m["salesforce_username"] for m in mappings
            if isinstance(m, dict) and isinstance(m.get("salesforce_username"), str)]


def _partial(snapshot: dict[str, Any]) -> bool:
    """Whether a source that was asked for could not be collected."""
    return any(snapshot[source]["status"] == "unavailable" for source in SOURCES)


def _save_snapshot(snapshot: dict[str, Any], target: Path, allow_partial: bool) -> Path:
    """Write the snapshot to target and return where it went. A collection that missed a
    source never replaces an existing snapshot, unless allowed: it goes beside it."""
    path = target
    if _partial(snapshot) and not allow_partial and os.path.lexists(target):
        stamp = snapshot["created_at"].replace("-", "").replace(":", "")  # 20261120T102233Z
        path = beside(target, f"partial-{stamp}")
        click.echo(f"note: a source that was asked for could not be collected, so "
                   f"{one_line(str(target))} is kept as it was and this collection goes to "
                   f"{one_line(str(path))}. Pass --allow-partial to replace it anyway.",
                   err=True)
    write_atomically(path, dump_snapshot(snapshot))
    click.echo(f"wrote {one_line(str(path))}")
    return path


@cli.command()
@_collection_options
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Where to write the snapshot (JSON).")
@click.pass_context
def collect(ctx: click.Context, /, output: Path, allow_partial: bool, **options: Any) -> None:
    """Collect a snapshot of Salesforce and Intercom, with the attested settings."""
    check_targets([output])  # a target that cannot be written costs no request
    snapshot = _collect(**options)
    _save_snapshot(snapshot, output, allow_partial)
    ctx.exit(EXIT_PARTIAL if _partial(snapshot) and not allow_partial else EXIT_OK)


@cli.command(epilog=EXIT_CODES)
@click.option("--snapshot", "snapshot_file", type=click.Path(path_type=Path),
              help="Audit a saved snapshot instead of collecting a new one.")
@click.option("--save-snapshot", type=click.Path(path_type=Path, dir_okay=False),
              help="Keep the snapshot a live audit collected.")
@_collection_options
@_report_options
@click.pass_context
def audit(ctx: click.Context, /, snapshot_file: Path | None, save_snapshot: Path | None,
          settings_file: Path | None, allow_partial: bool, formats: tuple[str, ...],
          out_dir: Path, fail_on: str, profile: str, show_emails: bool,
          rules_dirs: tuple[Path, ...], params: tuple[tuple[str, Any], ...],
          **collection: Any) -> None:
    """Check a snapshot against the rules and write the reports.

    Without --snapshot, a new snapshot is collected from Salesforce and Intercom first.
    """
    # Rules and settings are checked before anything is collected: bad input costs no
    # API requests.
    rules, resolved = _load_catalogue(rules_dirs, params)
    save_snapshot = save_snapshot if snapshot_file is None else None  # nothing new to save
    _check_outputs(_report_files(formats, out_dir).values(), save_snapshot)
    if snapshot_file is not None:
        snapshot = _apply_settings(load_snapshot(snapshot_file), settings_file)
    else:
        if settings_file is not None:
            load_settings(settings_file)
        snapshot = _collect(settings_file=settings_file, **collection)
        if save_snapshot is not None:
            save_snapshot = _save_snapshot(snapshot, save_snapshot, allow_partial)
    code = run_audit(snapshot, snapshot_file=str(snapshot_file or save_snapshot or "") or None,
                     rules=rules, params=resolved, formats=formats, out_dir=out_dir,
                     fail_on=fail_on, profile=profile, show_emails=show_emails)
    if snapshot_file is None and _partial(snapshot) and not allow_partial:
        code = EXIT_PARTIAL
    ctx.exit(code)


@cli.command()
@_collection_options
@_rule_options
@click.pass_context
def doctor(ctx: click.Context, /, no_salesforce: bool, no_intercom: bool,
           sf_target_org: str | None, timeout: float, max_wait: float,
           rules_dirs: tuple[Path, ...], params: tuple[tuple[str, Any], ...], **_: Any) -> None:
    """Check credentials, reach and permissions before collecting (at most 2 requests a source).

    Takes the same options as `collect`. Exit 0 when everything the audit reads is within
    reach, 3 otherwise, 2 for bad configuration.
    """
    from auditor.cli.doctor import Probe, describe, ready, run_probes
    from auditor.collect.intercom.collector import IntercomOptions
    from auditor.collect.intercom.probe import probe_intercom
    from auditor.collect.salesforce.collector import SalesforceOptions, probe_salesforce

    rules, _resolved = _load_catalogue(rules_dirs, params)
    probes: dict[str, Probe] = {}
    if not no_salesforce:
        sf_options = SalesforceOptions(target_org=sf_target_org, timeout=timeout)
        probes["salesforce"] = lambda on_request: probe_salesforce(sf_options, on_request)
    if not no_intercom:
        ic_options = IntercomOptions(timeout=timeout, max_wait=max_wait)
        probes["intercom"] = lambda on_request: probe_intercom(ic_options, on_request)
    if not probes:
        raise InputError("doctor has nothing to check: --no-salesforce and --no-intercom turn "
                         "off both sources.")
    preflights = run_probes(probes)
    for preflight in preflights:
        click.echo(describe(preflight, rules))
    ctx.exit(EXIT_OK if all(ready(p, rules) for p in preflights) else EXIT_PARTIAL)


@cli.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("reports"), show_default=True, help="Folder the reports go to.")
@click.option("--example", type=click.Choice(["misconfigured", "compliant", "partial"]),
              default="misconfigured", show_default=True, help="Which bundled example to audit.")
@click.option("--profile", type=click.Choice(PROFILES), default="audit", show_default=True)
@click.pass_context
def demo(ctx: click.Context, /, out_dir: Path, example: str, profile: str) -> None:
    """Audit a bundled example snapshot; needs no credentials."""
    source = resources.files("auditor.examples") / f"{example}.snapshot.json"
    snapshot_file = f"examples/{example}.snapshot.json"
    from auditor.documents.load import parse_document
    from auditor.documents.snapshot import check_snapshot

    snapshot = check_snapshot(parse_document(source.read_text(encoding="utf-8"), snapshot_file))
    rules, params = _load_catalogue((), ())
    run_audit(snapshot, snapshot_file=snapshot_file, rules=rules, params=params, formats=(),
              out_dir=out_dir, fail_on="never", profile=profile, show_emails=False)
    click.echo(f"Open {out_dir / FORMATS['html']} in a browser to read the report.")


@cli.command("rules")
@click.argument("rule_id", required=False)
@_rule_options
def rules_command(rule_id: str | None, rules_dirs: tuple[Path, ...],
                  params: tuple[tuple[str, Any], ...]) -> None:
    """List the rule catalogue, or show one rule in full."""
    from tabulate import tabulate

    rules, resolved = _load_catalogue(rules_dirs, params)
    if rule_id is None:
        rows = [[r.id, r.severity, r.basis, r.title] for r in rules]
        click.echo(tabulate(rows, headers=["id", "severity", "evidence", "title"]))
        return
    by_id = {r.id: r for r in rules}
    if rule_id not in by_id:
        raise InputError(f"there is no rule '{rule_id}'; `auditor rules` lists them all.")
    click.echo(_describe_rule(by_id[rule_id], resolved[rule_id]))


def _describe_rule(rule: Rule, params: dict[str, Any]) -> str:
    lines = [rule.id, f"  {rule.title}", "", f"severity:  {rule.severity}",
             f"section:   {rule.section}", f"evidence:  {rule.basis}"]
    if rule.where:
        lines.append(f"where:     {rule.where}")
    lines += ["", "Why:", f"  {rule.rationale}", "", "How to fix:", f"  {rule.remediation}"]
    lines += ["", "Reads:"] + [f"  {name}: {read.path}" for name, read in rule.reads.items()]
    if rule.parameters:
        lines += ["", "Parameters (override with --param):"]
        lines += [f"  {rule.id}.{name} = {json.dumps(params[name])}  ({spec['description']})"
                  for name, spec in rule.parameters.items()]
    lines += ["", f"Defined in {rule.origin}"]
    return "\n".join(lines)


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("settings.yaml"), show_default=True,
              help="The settings file to write; an existing one supplies the defaults.")
@click.option("--from", "source", type=click.Path(path_type=Path, dir_okay=False),
              help="Validate and normalise this settings file without asking anything.")
def capture(output: Path, source: Path | None) -> None:
    """Walk through the Salesforce app's settings in Intercom and write a settings file."""
    from datetime import date

    from auditor.cli.capture import dump_settings, interview
    from auditor.documents.load import parse_document
    from auditor.documents.settings import check_settings

    if source is not None:
        settings = load_settings(source)
    else:
        existing = load_settings(output) if output.exists() else None
        click.echo("Open Intercom > Settings > Integrations > Salesforce and answer what each "
                   "setting shows. Press Enter to keep the value in brackets.")
        settings = interview({r.id: r for r in load_rules()}, existing, date.today())
    text = dump_settings(settings)
    check_settings(parse_document(text, str(output)))  # what is written always validates
    write_atomically(output, text)
    click.echo(f"wrote {output}")


@cli.command()
@click.argument("name", type=click.Choice(SCHEMA_NAMES))
def schema(name: str) -> None:
    """Print the JSON Schema of the settings file, the snapshot, a rule file or report.json."""

    click.echo(json.dumps(load_schema(name), indent=2))


def _check_outputs(reports: Iterable[Path], save_snapshot: Path | None) -> None:
    """Every file the audit will write can be written: checked before any request."""
    reports = list(reports)
    if save_snapshot is not None and os.path.abspath(save_snapshot) in map(os.path.abspath,
                                                                            reports):
        raise InputError("--save-snapshot names a file a report is written to; choose "
                         "another name or another --out folder.", file=str(save_snapshot))
    check_targets([*reports, *([save_snapshot] if save_snapshot else [])])


def main() -> None:
    """The entry point: a signal stops the run cleanly (exit 130 or 143), and a bug is
    one paragraph and a crash file (exit 4), never a traceback."""
    with handling_signals(), reporting_crashes():
        cli(prog_name="auditor")


if __name__ == "__main__":
    main()
