"""The `auditor` command line: the group, whose commands load when used (see app.COMMANDS)."""

from __future__ import annotations

from auditor.cli.app import cli, main
from auditor.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, EXIT_PARTIAL

__all__ = ["EXIT_BAD_INPUT", "EXIT_FINDINGS", "EXIT_OK", "EXIT_PARTIAL", "cli", "main"]

if __name__ == "__main__":
    main()
