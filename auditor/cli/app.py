"""The `auditor` command group: one clear paragraph for bad input, exit codes, entry point."""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

import click

from auditor import __version__
from auditor.cli.exit_codes import EXIT_BAD_INPUT, EXIT_CODES
from auditor.documents.errors import InputError
from auditor.safety.display import one_line
from auditor.safety.interrupts import handling_signals

ENVIRONMENT = """\b
Environment (docs/salesforce.md, docs/intercom.md):
  SF_INSTANCE_URL + SF_ACCESS_TOKEN, or SF_USERNAME + SF_PASSWORD + SF_SECURITY_TOKEN,
  or SF_USERNAME + SF_CONSUMER_KEY + SF_PRIVATE_KEY_FILE; SF_DOMAIN, SF_API_VERSION;
  INTERCOM_ACCESS_TOKEN, INTERCOM_REGION (us, eu, au) or INTERCOM_BASE_URL;
  REQUESTS_CA_BUNDLE / SSL_CERT_FILE and HTTPS_PROXY behind a proxy; NO_COLOR;
  AUDITOR_CACHE_DIR (compiled templates and checked rules kept between runs; default
  ~/.cache/intercom-sfdc-auditor), AUDITOR_NO_CACHE=1 to keep nothing."""
HELP = {"help_option_names": ["-h", "--help"]}


# Each command's module, imported only when that command runs or shows its help, and
# the line `auditor --help` shows for it (the first paragraph of the command's own help;
# tests/test_cli.py keeps the two the same). `auditor --help` so loads no command.
COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("auditor.cli.audit", "Check a snapshot against the rules and write the reports."),
    "capture": ("auditor.cli.inspect", "Walk through the Salesforce app's settings in Intercom "
                "and write a settings file."),
    "collect": ("auditor.cli.audit", "Collect a snapshot of Salesforce and Intercom, with the "
                "attested settings."),
    "demo": ("auditor.cli.audit", "Audit a bundled example snapshot; needs no credentials."),
    "diff": ("auditor.cli.inspect", "What changed between two snapshots or two report.json "
             "files: findings new, resolved and changed, and for snapshots every attested or "
             "observed value that moved."),
    "doctor": ("auditor.cli.inspect", "Check credentials, reach and permissions before "
               "collecting (at most 2 requests a source)."),
    "fleet": ("auditor.cli.fleet", "Audit many orgs and workspaces at once and write a roll-up "
              "index."),
    "history": ("auditor.cli.history", "Read the report.json of past runs and write the trend: "
                "the score per run, each rule's status per run, and the runs in which each "
                "finding failed and was resolved."),
    "rules": ("auditor.cli.inspect", "List the rule catalogue, or show one rule in full."),
    "schema": ("auditor.cli.inspect", "Print the JSON Schema of a file the auditor reads or "
               "writes."),
}


class _AuditorGroup(click.Group):
    """Turns bad input into one clear paragraph and exit code 2, never a traceback; loads
    a command's module only when the command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import_module(COMMANDS[cmd_name][0])  # its @cli.command decorators register it
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Each line whole, wrapped, rather than cut off with "...".
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])

    def invoke(self, ctx: click.Context) -> Any:
        from auditor.safety.secrets import environment_secrets, redacting_streams, start_over

        # Each command starts with the environment's credentials (the collectors add those
        # they sign in with), and nothing it prints can show one, in any form.
        start_over(*environment_secrets(os.environ))
        with redacting_streams():
            try:
                return super().invoke(ctx)
            except InputError as exc:
                click.echo(f"error: {one_line(str(exc))}", err=True)
                ctx.exit(EXIT_BAD_INPUT)


@click.group(cls=_AuditorGroup, epilog=EXIT_CODES, context_settings=HELP)
@click.version_option(__version__, prog_name="auditor")
def cli() -> None:
    """Audit Intercom's Salesforce integration against the recommended configuration."""


def main() -> None:
    """The entry point: a signal stops the run cleanly (exit 130 or 143), and a bug is
    one paragraph and a crash file (exit 4), never a traceback."""
    from auditor.cli.crash import reporting_crashes

    with handling_signals(), reporting_crashes():
        cli(prog_name="auditor")
