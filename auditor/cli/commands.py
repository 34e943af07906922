"""The `auditor` command line: the group and every command, registered by import."""

from __future__ import annotations

from auditor.cli import audit, fleet, inspect  # noqa: F401  (each registers its commands)
from auditor.cli.app import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_PARTIAL,
    cli,
    main,
)

__all__ = ["EXIT_BAD_INPUT", "EXIT_FINDINGS", "EXIT_OK", "EXIT_PARTIAL", "cli", "main"]

if __name__ == "__main__":
    main()
