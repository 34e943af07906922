"""No secret leaves the auditor: the process's secrets, and where they are redacted.

The process has one shared Redactor (redaction.py), which every stage feeds and applies:
the collectors register what they sign in with, the command line registers the
credentials of the environment and applies it to every file and stream it writes, and the
crash file is written through it. Only the standard library is used here, so every
module may import it.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO, TypeVar

from auditor.safety.redaction import REDACTED as REDACTED  # re-exported
from auditor.safety.redaction import SHORTEST_SECRET
from auditor.safety.redaction import Redactor as Redactor  # re-exported
from auditor.safety.slots import misplaced_values

# The variables that hold credentials (docs/salesforce.md, docs/intercom.md), and those
# that name a file holding one.
CREDENTIAL_VARIABLES = ("SF_ACCESS_TOKEN", "SF_PASSWORD", "SF_SECURITY_TOKEN",
                        "SF_CONSUMER_KEY", "INTERCOM_ACCESS_TOKEN")
CREDENTIAL_FILE_VARIABLES = ("SF_PRIVATE_KEY_FILE",)
_KEY_FILE_LIMIT = 64 * 1024  # a PEM key is a few KiB; never read a huge file here

T = TypeVar("T")


def private_key_parts(pem: str) -> list[str]:
    """What of a PEM private key is secret: its body as one line, and each of its lines.
    The armour (-----BEGIN ... KEY-----) and headers are not, and stay readable in
    messages that name the format expected."""
    lines = [line.strip() for line in pem.splitlines()]
    body = [line for line in lines if line and not line.startswith("-----") and ":" not in line]
    return ["".join(body), *(line for line in body if len(line) >= SHORTEST_SECRET)]


def environment_secrets(environ: Mapping[str, str]) -> list[str]:
    """Every credential the environment gives the auditor, as given and as used; and
    every value that may be one in the wrong place (auditor.safety.slots): a value that
    does not have its variable's shape, and the userinfo of every URL."""
    found: list[str] = []
    for name in CREDENTIAL_VARIABLES:
        value = environ.get(name, "")
        found += [value, value.strip()]
    # SOAP login sends the password and the security token as one value.
    found.append(environ.get("SF_PASSWORD", "") + environ.get("SF_SECURITY_TOKEN", ""))
    for name in CREDENTIAL_FILE_VARIABLES:
        found += private_key_parts(_read_key_file(environ.get(name, "")))
    for value in misplaced_values(environ):
        found += [value, value.strip()]
    return found


def _read_key_file(path: str) -> str:
    """A small regular file's text; nothing for anything else (a pipe would block)."""
    try:
        if not path or not stat.S_ISREG(os.stat(path).st_mode):
            return ""
        with open(path, "rb") as handle:
            return handle.read(_KEY_FILE_LIMIT).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return ""


# --- the process's own Redactor ------------------------------------------------------

_process = Redactor()


def register(*secrets: str) -> None:
    """Make every later redaction in this process remove these secrets too."""
    _process.add(*secrets)


def registered() -> frozenset[str]:
    """Every secret registered so far: what a worker process starts from (fleet)."""
    return _process.secrets


def redact(text: str) -> str:
    return _process(text)


def redact_data(value: T) -> T:
    return _process.data(value)


def start_over(*secrets: str) -> None:
    """Forget every secret registered so far and hold these: each command starts afresh,
    so secrets of an earlier command run in the same process (tests) do not linger."""
    global _process
    _process = Redactor(secrets)


class _RedactingStream:
    """A text stream that redacts what is written to it before passing it on."""

    def __init__(self, stream: TextIO, redact_text: Callable[[str], str]) -> None:
        self._stream = stream
        self._redact = redact_text

    def write(self, text: str) -> int:
        self._stream.write(self._redact(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":
            # click writes to a stream's binary buffer when it dislikes the encoding; that
            # would go around the redaction, so there is none to be had.
            raise AttributeError(name)
        return getattr(self._stream, name)


@contextmanager
def redacting_streams() -> Iterator[None]:
    """While inside, everything written to sys.stdout and sys.stderr (by any thread) is
    redacted with the process's Redactor as it stands at each write."""
    saved = sys.stdout, sys.stderr
    sys.stdout = _RedactingStream(saved[0], redact)
    sys.stderr = _RedactingStream(saved[1], redact)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
