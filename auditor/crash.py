"""A bug in the auditor: one paragraph for the person, the traceback in a crash file.

An unexpected exception must not look like bad input (exit 2) or failing findings
(exit 1), and must not print a traceback where a person expects a finding. It exits 4
and names a crash file in the system's temporary folder holding what a developer needs.
That file is read by others, so it holds no secret: every credential the environment
gives the auditor is removed from it, and frames' local variables are never dumped.
"""

from __future__ import annotations

import base64
import html
import json
import os
import platform
import sys
import tempfile
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, quote_plus

import click

from auditor import __version__
from auditor.snapshot import timestamp, utc_now

EXIT_BUG = 4

# The environment variables that hold credentials (docs/salesforce.md, docs/intercom.md).
CREDENTIAL_VARIABLES = ("SF_ACCESS_TOKEN", "SF_PASSWORD", "SF_SECURITY_TOKEN",
                        "SF_CONSUMER_KEY", "INTERCOM_ACCESS_TOKEN")
# ...and those that name a file holding one.
CREDENTIAL_FILE_VARIABLES = ("SF_PRIVATE_KEY_FILE",)
_KEY_FILE_LIMIT = 64 * 1024  # a PEM key is a few KiB; never read a huge file here
_SHORTEST_SECRET = 8  # shorter values (a flag like "1") would redact ordinary words
_SHORTEST_PREFIX = 12  # a secret cut to this many characters still counts as one
REDACTED = "[redacted]"


@contextmanager
def reporting_crashes() -> Iterator[None]:
    """Turns any unexpected exception into the crash paragraph and exit 4."""
    try:
        yield
    except Exception as error:  # SystemExit and KeyboardInterrupt are not bugs
        click.echo(crash_paragraph(type(error).__name__, write_crash_file(error)), err=True)
        sys.exit(EXIT_BUG)


def crash_paragraph(kind: str, crash_file: Path | OSError) -> str:
    if isinstance(crash_file, Path):
        where = (f"The details, with secrets removed, are in {crash_file}; please attach that "
                 "file when you report the bug.")
    else:
        where = f"The details could not be saved ({crash_file.strerror or crash_file})."
    return (f"error: the auditor hit a bug ({kind}) and stopped. This is a fault in the "
            "auditor, not in your input or your systems; every file is either as it was or "
            f"completely written. {where}")


def write_crash_file(error: BaseException) -> Path | OSError:
    """The crash file's path, or why it could not be written."""
    held = [name for name in CREDENTIAL_VARIABLES + CREDENTIAL_FILE_VARIABLES
            if os.environ.get(name)]
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
            handle.write(redact(text, secrets_in(os.environ)))
    except OSError as exc:
        return exc
    return Path(name)


def secrets_in(environ: Mapping[str, str]) -> list[str]:
    """Every credential value the environment holds; of a private key, its body too."""
    secrets = [environ.get(name, "").strip() for name in CREDENTIAL_VARIABLES]
    for name in CREDENTIAL_FILE_VARIABLES:
        lines = [line.strip() for line in _read_small(environ.get(name, "")).splitlines()]
        body = [line for line in lines if line and not line.startswith("-----")]
        secrets += ["".join(body), *body]
    return [secret for secret in secrets if len(secret) >= _SHORTEST_SECRET]


def _read_small(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(_KEY_FILE_LIMIT).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return ""


def _forms(secret: str) -> set[str]:
    """The ways a secret is carried: as written, URL-encoded, JSON-, XML- or
    Python-escaped, base64-encoded."""
    encoded = secret.encode("utf-8")
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1],
            html.escape(secret), repr(secret)[1:-1],
            base64.b64encode(encoded).decode().rstrip("="),
            base64.urlsafe_b64encode(encoded).decode().rstrip("=")}


def redact(text: str, secrets: list[str]) -> str:
    """The text without any of the secrets in any of their forms, nor any part of one
    that starts like it for _SHORTEST_PREFIX characters or more (a cut-off echo)."""
    forms = sorted({form for secret in secrets for form in _forms(secret)}, key=len,
                   reverse=True)  # longest first, so no part of a longer form is left
    for form in forms:
        head = form[:_SHORTEST_PREFIX]
        start = text.find(head)
        while start >= 0:
            end = start + len(head)
            while end < len(text) and end - start < len(form) and text[end] == form[end - start]:
                end += 1
            text = text[:start] + REDACTED + text[end:]
            start = text.find(head, start + len(REDACTED))
    return text
