"""`auditor fleet`: many orgs and workspaces audited at once, with one roll-up.

The running of targets and the roll-up are in fleet_run.py, imported when it runs.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click

from auditor.cli.app import HELP, cli
from auditor.cli.fleet_shares import TARGETS_PER_PROCESS
from auditor.cli.options import DEFAULT_CONFIG


@cli.command(context_settings=HELP)
@click.argument("fleet_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the roll-up and a folder per target (default: the fleet "
                   "file's `out`, else fleet-reports).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="How many targets are audited at once.")
@click.option("--processes", type=click.IntRange(1, 64),
              help="How many processes share the targets and --concurrency (default: one "
                   f"per CPU, with at least {TARGETS_PER_PROCESS} targets each).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help=f"Options every target starts from (default: ./{DEFAULT_CONFIG} when "
                   "present); a target's own `config` wins.")
@click.pass_context
def fleet(ctx: click.Context, /, fleet_file: Path, out_dir: Path | None, concurrency: int,
          processes: int | None, config_file: Path | None) -> None:
    """Audit many orgs and workspaces at once and write a roll-up index.

    One target failing is recorded in its row with the reason and never stops the
    others. The exit code is the worst of the targets'.
    """
    from auditor.cli.fleet_processes import run_processes
    from auditor.cli.fleet_run import (
        ROLLUP_FILES,
        FleetProgress,
        SharedCatalogue,
        audit_target,
        load_fleet,
        rollup,
    )
    from auditor.cli.fleet_shares import process_count
    from auditor.documents.config import config_defaults
    from auditor.documents.files import check_targets, replace_all
    from auditor.documents.snapshot import utc_now
    from auditor.report.render import render_rollup
    from auditor.safety.display import one_line
    from auditor.safety.secrets import environment_secrets, register

    config_path = config_file or (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)
    shared = config_defaults(config_path) if config_path else {}
    targets, fleet_out = load_fleet(fleet_file, shared)
    # Every credential of every target is a secret for all of them, and so is every
    # value in a slot it does not fit: a credentials map may be cross-wired. Registered
    # before any worker starts, so each starts holding them.
    register(*(secret for target in targets for secret in environment_secrets(target.env)))
    out = out_dir or Path(fleet_out or "fleet-reports")
    index = {fmt: out / name for fmt, name in ROLLUP_FILES.items()}
    check_targets(list(index.values()))

    def show(progress: FleetProgress) -> None:
        click.echo(progress.describe(), err=True)

    progress = FleetProgress(len(targets), on_change=show)
    # The rules are read once for all the targets that set the same rule options.
    audit_one = partial(audit_target, catalogue=SharedCatalogue())
    outcomes = run_processes(
        targets, audit_one, out, concurrency=concurrency, progress=progress,
        processes=process_count(len(targets), concurrency, processes))
    summary = rollup(outcomes, utc_now())
    replace_all({path: render_rollup(summary, fmt) for fmt, path in index.items()})
    for outcome in outcomes:
        state = outcome.reason or "audited"
        click.echo(f"{one_line(outcome.name)}: exit {outcome.exit_code}: {one_line(state)}")
    click.echo(f"wrote {one_line(str(index['html']))}; worst exit {summary['exit_code']}")
    ctx.exit(summary["exit_code"])
