"""Options shared by several commands, and the config file standing in for them.

`--config FILE` (or an auditor.yaml in the working folder) supplies defaults for a
command's options through click's default_map, so a flag typed on the command line
always wins over the file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from auditor.cli.flags import (
    SECONDS_MAX,
    WINDOW_DAYS_MAX,
    FiniteFloatRange,
    ParamOverride,
    SeverityOverride,
)
from auditor.documents.errors import did_you_mean
from auditor.documents.vocabulary import FORMATS, MAX_WAIVER_DAYS, PROFILES, SEVERITIES

if TYPE_CHECKING:
    from auditor.engine.catalogue import Rule

# The file a scheduled job keeps its options in (auditor/documents/config.py reads it).
DEFAULT_CONFIG = Path("auditor.yaml")

FAIL_ON_CHOICES = (*SEVERITIES[:-1], "never")
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _apply(command: Callable[..., Any], options: list[Decorator]) -> Callable[..., Any]:
    for option in reversed(options):
        command = option(command)
    return command


def _use_config(ctx: click.Context, _: click.Parameter, value: Path | None) -> Path | None:
    from auditor.documents.config import config_defaults

    path = value if value is not None else (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)
    if path is None:
        return None
    names = {param.name for param in ctx.command.params}
    defaults = {k: v for k, v in config_defaults(path).items() if k in names}
    # Defaults handed in by a caller (a fleet target's own config) win over the file.
    ctx.default_map = {**defaults, **(ctx.default_map or {})}
    return path


def config_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--config", type=click.Path(path_type=Path, dir_okay=False), is_eager=True,
        expose_value=False, callback=_use_config,
        help=f"Options from this file (default: ./{DEFAULT_CONFIG} when present); flags "
             "win over it. `auditor schema config` prints its format.")(command)


def rule_options(command: Callable[..., Any]) -> Callable[..., Any]:
    return _apply(command, [
        click.option("--rules-dir", "rules_dirs", multiple=True, type=click.Path(path_type=Path),
                     help="A folder of your own rule files, added to the shipped ones "
                          "(repeatable)."),
        click.option("--param", "params", multiple=True, type=ParamOverride(),
                     metavar="RULE_ID.NAME=VALUE",
                     help="Override a rule parameter, e.g. "
                          "api_usage.limit_recommended.recommended=25000."),
        click.option("--severity", "severities", multiple=True, type=SeverityOverride(),
                     metavar="RULE_ID=SEVERITY",
                     help="Judge a rule at another severity, e.g. cases.case_owner=info."),
    ])


def load_catalogue(rules_dirs: tuple[Path, ...], params: tuple[tuple[str, Any], ...],
                   severities: tuple[tuple[str, str], ...] = ()
                   ) -> tuple[list[Rule], dict[str, dict[str, Any]]]:
    from auditor.documents.config import Written
    from auditor.engine.catalogue import as_flag, load_rules, resolve_params

    rules = load_rules(rules_dirs)
    by_id = {rule.id: rule for rule in rules}
    for override in severities:
        rule_id, level = override
        if rule_id not in by_id:
            refuse = (override.error if isinstance(override, Written)
                      else as_flag(f"--severity {rule_id}={level}"))
            raise refuse(f"there is no rule '{rule_id}' (see `auditor rules`)."
                         f"{did_you_mean(rule_id, by_id)}")
        by_id[rule_id] = by_id[rule_id].with_severity(level)
    rules = [by_id[rule.id] for rule in rules]
    placed = {pair[0]: pair.error for pair in params if isinstance(pair, Written)}
    return rules, resolve_params(rules, dict(params), placed)


def report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = _apply(command, [
        click.option("--format", "formats", multiple=True, type=click.Choice(list(FORMATS)),
                     help="Report formats to write (repeatable). Default: html, md and json."),
        click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
                     default=Path("reports"), show_default=True,
                     help="Folder the reports are written to."),
        click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default="high",
                     show_default=True,
                     help="Exit 1 when a finding fails at this severity or above."),
        click.option("--fail-on-unknown", is_flag=True,
                     help="Unknown findings at or above --fail-on fail the run too."),
        click.option("--fail-on-new", is_flag=True,
                     help="With --baseline, fail only on findings new since it."),
        click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False),
                     help="The previous run's report.json: mark findings new, unchanged or "
                          "resolved, and show the score change."),
        click.option("--waivers", type=click.Path(path_type=Path, dir_okay=False),
                     help="Accepted deviations that expire (`auditor schema waivers`)."),
        click.option("--max-waiver-days", type=click.IntRange(1, 3650),
                     default=MAX_WAIVER_DAYS, show_default=True,
                     help="How far ahead a waiver may expire."),
        click.option("--profile", type=click.Choice(PROFILES), default="audit",
                     show_default=True,
                     help="audit: the findings report; onboarding: an ordered checklist "
                          "(written as checklist.*)."),
        click.option("--show-emails", is_flag=True,
                     help="Show customer email addresses in full instead of masked."),
        click.option("--show-paths", is_flag=True,
                     help="Name input files in reports by the path as typed, not the file "
                          "name alone."),
        click.option("--no-color", is_flag=True, help="No colour in the terminal summary "
                                                      "(NO_COLOR does the same)."),
    ])
    return rule_options(command)


def notify_options(command: Callable[..., Any]) -> Callable[..., Any]:
    return _apply(command, [
        click.option("--notify", multiple=True, metavar="URL",
                     help="Post a notice to this webhook when findings fail that did not "
                          "before, the score drops or a source is not collected (repeatable; "
                          "slack+, teams+ or json+ before https:// names the kind; $NAME "
                          "reads the address from an environment variable). docs/notices.md."),
        click.option("--notify-drop", type=click.IntRange(1, 100), default=5,
                     show_default=True, metavar="N",
                     help="Notify when the score fell by at least N points since --baseline."),
    ])


def collection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    return _apply(command, [
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
                     default=30.0, show_default=True,
                     help="Seconds to wait for one API answer."),
        click.option("--max-wait", type=FiniteFloatRange(0, SECONDS_MAX), default=60.0,
                     show_default=True,
                     help="Longest wait, in seconds, when Intercom asks to slow down."),
        click.option("--allow-partial", is_flag=True,
                     help="Exit as the findings say even when a source could not be "
                          "collected."),
        click.option("--quiet", is_flag=True, help="Plain progress lines, never animated."),
    ])
