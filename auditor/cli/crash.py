"""A bug in the auditor: one paragraph for the person, the traceback in a crash file.

An unexpected exception must not look like bad input (exit 2) or failing findings
(exit 1), and must not print a traceback where a person expects a finding. It exits 4
and names a crash file in the system's temporary folder holding what a developer needs.
That file is read by others, so it holds no secret: it is written through the process's
Redactor (auditor.safety.secrets), which holds every credential of the environment and every
one the collectors signed in with, and frames' local variables are never dumped.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from auditor import __version__
from auditor.cli.exit_codes import EXIT_BUG

if TYPE_CHECKING:
    from pathlib import Path


@contextmanager
def reporting_crashes() -> Iterator[None]:
    """Turns any unexpected exception into the crash paragraph and exit 4."""
    try:
        yield
    except Exception as error:  # SystemExit and KeyboardInterrupt are not bugs
        click.echo(crash_paragraph(type(error).__name__, write_crash_file(error)), err=True)
        sys.exit(EXIT_BUG)


def crash_paragraph(kind: str, crash_file: Path | OSError) -> str:
    if isinstance(crash_file, OSError):
        where = f"The details could not be saved ({crash_file.strerror or crash_file})."
    else:
        where = (f"The details, with secrets removed, are in {crash_file}; please attach that "
                 "file when you report the bug.")
    return (f"error: the auditor hit a bug ({kind}) and stopped. This is a fault in the "
            "auditor, not in your input or your systems; every file is either as it was or "
            f"completely written. {where}")


def write_crash_file(error: BaseException) -> Path | OSError:
    """The crash file's path, or why it could not be written."""
    # Imported here: every run, `auditor --help` too, imports this module; few crash.
    import platform
    import tempfile
    import traceback
    from pathlib import Path

    from auditor.documents.snapshot import timestamp, utc_now
    from auditor.safety.secrets import (
        CREDENTIAL_FILE_VARIABLES,
        CREDENTIAL_VARIABLES,
        environment_secrets,
        redact,
        register,
    )

    held = [name for name in CREDENTIAL_VARIABLES + CREDENTIAL_FILE_VARIABLES
            if os.environ.get(name)]
    # The process's Redactor holds what the collectors signed in with; the environment's
    # credentials are added in case the bug came before the command registered them.
    register(*environment_secrets(os.environ))
    text = "".join([
        f"auditor {__version__} stopped on an unexpected {type(error).__name__}\n",
        f"at {timestamp(utc_now())}, Python {platform.python_version()} on "
        f"{platform.platform()}\n",
        f"command: {' '.join(sys.argv)}\n",
        f"credentials set: {', '.join(held) or 'none'}\n\n",
        *traceback.format_exception(error),  # no frame locals: they may hold secrets
    ])
    try:
        # mkstemp makes a new file only its owner can read.
        fd, name = tempfile.mkstemp(prefix="auditor-crash-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(redact(text))
    except OSError as exc:
        return exc
    return Path(name)
