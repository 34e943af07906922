"""`auditor history`: the trend over the report.json files of past runs."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.app import HELP, cli
from auditor.documents.errors import InputError

TREND_FORMATS = {"html": "trend.html", "md": "trend.md", "json": "trend.json"}


@cli.command(context_settings=HELP)
@click.argument("folders", nargs=-1, required=True,
                type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("trend"), show_default=True, help="Folder the trend is written to.")
@click.option("--format", "formats", multiple=True, type=click.Choice(list(TREND_FORMATS)),
              help="Formats to write (repeatable). Default: html, md and json.")
def history(folders: tuple[Path, ...], out_dir: Path, formats: tuple[str, ...]) -> None:
    """Read the report.json of past runs and write the trend: the score per run, each
    rule's status per run, and the runs in which each finding failed and was resolved.

    Each FOLDER holds one folder per run with its report.json, or report-YYYYMMDD.json
    files. Runs are put in the order of their own run timestamp. A report.json of another
    schema version, a damaged one or a second copy of a run is listed with the reason and
    skipped.
    """
    from auditor.documents.files import check_targets, replace_all
    from auditor.documents.history import read_history, report_files
    from auditor.report.render import render_trend
    from auditor.report.trend import build_trend
    from auditor.safety.display import one_line
    from auditor.safety.secrets import redact_data

    targets = {fmt: out_dir / TREND_FORMATS[fmt] for fmt in formats or TREND_FORMATS}
    check_targets(targets.values())
    if not any(report_files(folder) for folder in folders):
        raise InputError(f"no report.json in {', '.join(map(str, folders))}: expected one "
                         "folder per run holding its report.json, or report-YYYYMMDD.json "
                         "files, as `auditor audit --format json` writes them.")
    runs, skipped = read_history(list(folders))
    trend = redact_data(build_trend(runs, skipped))
    replace_all({path: render_trend(trend, fmt) for fmt, path in targets.items()})
    for entry in skipped:
        click.echo(f"skipped {one_line(entry.file)}: {entry.reason}", err=True)
    for path in targets.values():
        click.echo(f"wrote {one_line(str(path))}")
    latest = trend["runs"][-1]["score"] if trend["runs"] else None
    click.echo(f"{len(runs)} run{'s' if len(runs) != 1 else ''} read, {len(skipped)} skipped"
               f" · latest score {'n/a' if latest is None else latest}")
