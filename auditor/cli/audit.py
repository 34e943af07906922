"""`auditor audit`, `collect` and `demo`: collect a snapshot, audit it, write the reports.

The commands' work is in steps.py and pipeline.py, imported when a command runs.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import click

from auditor.cli.app import ENVIRONMENT, HELP, cli
from auditor.cli.exit_codes import EXIT_CODES, EXIT_OK, EXIT_PARTIAL
from auditor.cli.options import (
    collection_options,
    config_option,
    notify_options,
    report_options,
)
from auditor.documents.vocabulary import PROFILES


@cli.command(context_settings=HELP)
@config_option
@collection_options
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Where to write the snapshot (JSON).")
@click.pass_context
def collect(ctx: click.Context, /, output: Path, allow_partial: bool, **options: Any) -> None:
    """Collect a snapshot of Salesforce and Intercom, with the attested settings."""
    from auditor.cli.steps import collect_snapshot, partial, save_snapshot_file
    from auditor.documents.files import check_targets

    check_targets([output])  # a target that cannot be written costs no request
    snapshot = collect_snapshot(**options)
    save_snapshot_file(snapshot, output, allow_partial)
    ctx.exit(EXIT_PARTIAL if partial(snapshot) and not allow_partial else EXIT_OK)


@cli.command(epilog=f"{ENVIRONMENT}\n\n{EXIT_CODES}", context_settings=HELP)
@config_option
@click.option("--snapshot", "snapshot_file", type=click.Path(path_type=Path),
              help="Audit a saved snapshot instead of collecting a new one.")
@click.option("--save-snapshot", type=click.Path(path_type=Path, dir_okay=False),
              help="Keep the snapshot a live audit collected.")
@collection_options
@report_options
@notify_options
@click.pass_context
def audit(ctx: click.Context, /, snapshot_file: Path | None, save_snapshot: Path | None,
          settings_file: Path | None, allow_partial: bool, notify: tuple[str, ...],
          notify_drop: int, **options: Any) -> None:
    """Check a snapshot against the rules and write the reports.

    Without --snapshot, a new snapshot is collected from Salesforce and Intercom first.
    """
    from auditor.cli.pipeline import audit_snapshot
    from auditor.cli.steps import (
        REPORT_KEYS,
        check_outputs,
        collect_snapshot,
        partial,
        plan_from,
        print_outcome,
        save_snapshot_file,
        shown_path,
    )
    from auditor.documents.settings import load_settings
    from auditor.documents.snapshot import load_snapshot, with_settings

    report = {key: options.pop(key) for key in REPORT_KEYS}
    # Rules, waivers, baseline, webhooks and settings are checked before anything is
    # collected: bad input costs no API requests.
    webhooks = []
    if notify:
        from auditor.cli.notify import parse_webhook

        webhooks = [parse_webhook(value, os.environ) for value in notify]
    plan = plan_from(report)
    save_snapshot = save_snapshot if snapshot_file is None else None  # nothing new to save
    check_outputs(plan.report_files().values(), save_snapshot)
    show_paths = report["show_paths"]
    settings_shown = shown_path(settings_file, show_paths) if settings_file else None
    if snapshot_file is not None:
        snapshot = load_snapshot(snapshot_file)
        if settings_file is not None:
            snapshot = with_settings(snapshot, load_settings(settings_file), settings_shown or "")
    else:
        if settings_file is not None:
            load_settings(settings_file)
        snapshot = collect_snapshot(settings_file=settings_file,
                                    shown_settings_file=settings_shown, **options)
        if save_snapshot is not None:
            save_snapshot = save_snapshot_file(snapshot, save_snapshot, allow_partial)
    source = snapshot_file or save_snapshot
    outcome = audit_snapshot(snapshot, shown_path(source, show_paths) if source else None,
                             plan, settings_path=settings_file)
    print_outcome(outcome, plan.out_dir, report["no_color"])
    if webhooks:
        from auditor.cli.notify import post_notices, report_location

        post_notices(webhooks, outcome.results, notify_drop,
                     report_location(outcome.written, os.environ))
    code = outcome.exit_code
    if snapshot_file is None and partial(snapshot) and not allow_partial:
        code = EXIT_PARTIAL
    ctx.exit(code)


@cli.command(context_settings=HELP)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("reports"), show_default=True, help="Folder the reports go to.")
@click.option("--example", type=click.Choice(["misconfigured", "compliant", "partial"]),
              default="misconfigured", show_default=True, help="Which bundled example to audit.")
@click.option("--profile", type=click.Choice(PROFILES), default="audit",
              show_default=True)
def demo(out_dir: Path, example: str, profile: str) -> None:
    """Audit a bundled example snapshot; needs no credentials."""
    from auditor.documents.load import parse_document
    from auditor.documents.snapshot import check_snapshot

    source = resources.files("auditor.examples") / f"{example}.snapshot.json"
    snapshot_file = f"{example}.snapshot.json"
    snapshot = check_snapshot(parse_document(source.read_text(encoding="utf-8"), snapshot_file))
    from auditor.cli.options import load_catalogue
    from auditor.cli.pipeline import AuditPlan, audit_snapshot
    from auditor.cli.steps import print_outcome
    from auditor.safety.display import one_line

    rules, params = load_catalogue((), ())
    plan = AuditPlan(rules=rules, params=params, out_dir=out_dir, fail_on="never",
                     profile=profile)
    outcome = audit_snapshot(snapshot, snapshot_file, plan)
    print_outcome(outcome, out_dir, no_color=False)
    click.echo(f"Open {one_line(str(outcome.written[0]))} in a browser to read the report.")
