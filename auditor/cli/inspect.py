"""`auditor doctor`, `rules`, `schema`, `capture` and `diff`: everything around an audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from auditor.cli.app import HELP, cli
from auditor.cli.exit_codes import EXIT_OK, EXIT_PARTIAL
from auditor.cli.options import (
    collection_options,
    config_option,
    load_catalogue,
    rule_options,
)
from auditor.documents.errors import InputError, did_you_mean
from auditor.documents.vocabulary import SCHEMA_NAMES

if TYPE_CHECKING:
    from auditor.engine.catalogue import Rule


@cli.command(context_settings=HELP)
@config_option
@collection_options
@rule_options
@click.pass_context
def doctor(ctx: click.Context, /, no_salesforce: bool, no_intercom: bool,
           sf_target_org: str | None, timeout: float, max_wait: float,
           rules_dirs: tuple[Path, ...], params: tuple[tuple[str, Any], ...],
           severities: tuple[tuple[str, str], ...], **_: Any) -> None:
    """Check credentials, reach and permissions before collecting (at most 2 requests a source).

    Takes the same options as `collect`. Exit 0 when everything the audit reads is within
    reach, 3 otherwise, 2 for bad configuration.
    """
    from auditor.cli.doctor import Probe, describe, ready, run_probes
    from auditor.collect.intercom.collector import IntercomOptions
    from auditor.collect.intercom.probe import probe_intercom
    from auditor.collect.salesforce.collector import SalesforceOptions, probe_salesforce

    rules, _resolved = load_catalogue(rules_dirs, params, severities)
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


@cli.command("rules", context_settings=HELP)
@click.argument("rule_id", required=False)
@rule_options
def rules_command(rule_id: str | None, rules_dirs: tuple[Path, ...],
                  params: tuple[tuple[str, Any], ...],
                  severities: tuple[tuple[str, str], ...]) -> None:
    """List the rule catalogue, or show one rule in full."""
    from tabulate import tabulate

    rules, resolved = load_catalogue(rules_dirs, params, severities)
    if rule_id is None:
        rows = [[r.id, r.severity, r.basis, r.title] for r in rules]
        click.echo(tabulate(rows, headers=["id", "severity", "evidence", "title"]))
        return
    by_id = {r.id: r for r in rules}
    if rule_id not in by_id:
        raise InputError(f"there is no rule '{rule_id}'.{did_you_mean(rule_id, by_id)} "
                         "`auditor rules` lists them all.")
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
    if rule.references:
        lines += ["", "References:"]
        lines += [f"  {ref['title']}" + (f" <{ref['url']}>" if ref.get("url") else "")
                  for ref in rule.references]
    lines += ["", f"Defined in {rule.origin}"]
    return "\n".join(lines)


@cli.command(context_settings=HELP)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              default=Path("settings.yaml"), show_default=True,
              help="The settings file to write; an existing one supplies the defaults.")
@click.option("--from", "source", type=click.Path(path_type=Path, dir_okay=False),
              help="Validate and normalise this settings file without asking anything.")
def capture(output: Path, source: Path | None) -> None:
    """Walk through the Salesforce app's settings in Intercom and write a settings file."""
    from datetime import date

    from auditor.cli.capture import dump_settings, interview
    from auditor.documents.files import write_atomically
    from auditor.documents.load import parse_document
    from auditor.documents.settings import check_settings, load_settings
    from auditor.engine.catalogue import load_rules

    if source is not None:
        settings = load_settings(source)
    else:
        existing = load_settings(output) if output.exists() else None
        click.echo("Open Intercom > Settings > Integrations > Salesforce and answer what each "
                   "setting shows. Nothing is filled in for you: a value in brackets comes "
                   "from the existing settings file, and Enter keeps it.")
        answered = interview({r.id: r for r in load_rules()}, existing, date.today())
        if answered is None:
            click.echo(f"nothing written; {output} is as it was")
            return
        settings = answered
    text = dump_settings(settings)
    check_settings(parse_document(text, str(output)))  # what is written always validates
    write_atomically(output, text)
    click.echo(f"wrote {output}")


@cli.command(context_settings=HELP)
@click.argument("name", type=click.Choice(SCHEMA_NAMES))
def schema(name: str) -> None:
    """Print the JSON Schema of a file the auditor reads or writes."""
    from auditor.documents.bundle import bundled_schema

    click.echo(json.dumps(bundled_schema(name), indent=2))


@cli.command(context_settings=HELP)
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text",
              show_default=True, help="text for the terminal, md or json to keep.")
@rule_options
def diff(old: Path, new: Path, fmt: str, rules_dirs: tuple[Path, ...],
         params: tuple[tuple[str, Any], ...], severities: tuple[tuple[str, str], ...]) -> None:
    """What changed between two snapshots or two report.json files: findings new, resolved
    and changed, and for snapshots every attested or observed value that moved."""
    from auditor.report.drift import changed_values, compare_results, render_diff
    from auditor.report.filters import md

    kinds = [_comparable_kind(path) for path in (old, new)]
    if kinds[0] != kinds[1]:
        raise InputError(f"{old} is a {kinds[0]} and {new} a {kinds[1]}; compare two "
                         "snapshots or two report.json files.")
    if kinds[0] == "report.json":
        from auditor.cli.steps import load_report

        result = compare_results(load_report(old), load_report(new))
    else:
        result = _diff_snapshots(old, new, load_catalogue(rules_dirs, params, severities))
        result["values"] = changed_values(*(result.pop("snapshots")))
    escape = md if fmt == "md" else str
    click.echo(render_diff(result, fmt, escape), nl=False)


def _comparable_kind(path: Path) -> str:
    from auditor.documents.load import load_document
    from auditor.documents.snapshot import MAX_SNAPSHOT_BYTES

    doc = load_document(path, "snapshot or report.json", MAX_SNAPSHOT_BYTES)
    data = doc.data if isinstance(doc.data, dict) else {}
    if "snapshot_version" in data:
        return "snapshot"
    if "schema_version" in data and "findings" in data:
        return "report.json"
    raise doc.error("expected a snapshot (snapshot_version) or a report.json "
                    "(schema_version and findings).")


def _diff_snapshots(old: Path, new: Path,
                    catalogue: tuple[list[Rule], dict[str, dict[str, Any]]]) -> dict[str, Any]:
    from datetime import UTC, datetime

    from auditor.documents.snapshot import load_snapshot
    from auditor.engine.evaluate import evaluate
    from auditor.report.drift import compare_results
    from auditor.report.results import build_results

    rules, params = catalogue
    snapshots = [load_snapshot(path) for path in (old, new)]
    results = [build_results(evaluate(rules, s, params), s, generated_at=datetime.now(UTC))
               for s in snapshots]
    return {**compare_results(*results), "snapshots": snapshots}
