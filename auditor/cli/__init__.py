"""The face: commands, the capture interview, progress, exit codes and crash handling.

Takes what a person types; hands plain data down to collect, engine and report.
"""

from auditor.cli.commands import cli, main

__all__ = ["cli", "main"]
