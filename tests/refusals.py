"""The command line run in-process, and the one paragraph a refusal (exit 2) prints."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from auditor.cli.commands import cli


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def refusal(result: Result) -> str:
    """Assert a clean refusal, and return its one `error:` paragraph."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    [paragraph] = [line for line in result.output.splitlines() if line.startswith("error:")]
    return paragraph
