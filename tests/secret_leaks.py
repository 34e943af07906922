"""What a server might make of a secret before quoting it back, and a detector, written
apart from auditor/safety/secrets.py, of any of those forms in an output.

The detector reads the output as it is and decoded every way a form could have been
made (character references, %XX, +, backslash escapes; two in a row), then looks there
for the secret's first characters, both as they are and inside anything that decodes as
base64 from any of its first four characters on. The first SHORTEST characters of a
secret are enough to count as a leak, as the auditor promises (docs/secrets.md); for a
Salesforce access token, whose first 16 characters are the org's Id and "!", one more.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import re
from collections.abc import Callable
from urllib.parse import quote, quote_plus, unquote, unquote_plus

SHORTEST = 12
_ORG_ID_HEAD = re.compile(r"00D[0-9A-Za-z]{12}!")


def _numeric_references(text: str) -> str:
    return "".join(char if char.isalnum() else f"&#{ord(char)};" for char in text)


def _base64_after(prefix: bytes) -> Callable[[str], str]:
    return lambda text: base64.b64encode(prefix + text.encode()).decode()


# Each puts the secret at another of base64's three offsets: 0, 2 ("user:") and 1 ("bob:").
TRANSFORMS: dict[str, Callable[[str], str]] = {
    "exact": lambda text: text,
    "url": lambda text: quote(text, safe=""),
    "url_plus": quote_plus,
    "json": lambda text: json.dumps(text)[1:-1],
    "xml": html.escape,
    "xml_numeric": _numeric_references,
    "base64": _base64_after(b""),
    "basic_auth": _base64_after(b"user:"),
    "base64_urlsafe": lambda text: base64.urlsafe_b64encode(b"bob:" + text.encode()).decode(),
    "prefix20": lambda text: text[:20],
}


def telling_start(secret: str) -> str:
    head = _ORG_ID_HEAD.match(secret)
    return secret[:max(SHORTEST, head.end() + 1 if head else 0)]


def _backslashes(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        escape = match.group(1)
        if escape[0] in "ux" and len(escape) > 1:
            return chr(int(escape[1:], 16))
        return {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(escape, escape)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", one, text)


_DECODERS: list[Callable[[str], str]] = [html.unescape, unquote, unquote_plus, _backslashes]


def _readings(text: str) -> set[str]:
    readings = {text}
    for first, second in itertools.product([*_DECODERS, lambda t: t], repeat=2):
        readings.add(second(first(text)))
    return readings


def _base64_decodings(text: str) -> list[bytes]:
    decoded = []
    for run in re.findall(r"[A-Za-z0-9+/_-]{8,}", text):
        run = run.translate(str.maketrans("-_", "+/"))
        for skip in range(4):
            chunk = run[skip:]
            chunk = chunk[: len(chunk) // 4 * 4]
            decoded.append(base64.b64decode(chunk))
    return decoded


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The readings of `text` that show a secret's telling start ([] when none does)."""
    found = []
    for reading in _readings(text):
        decoded = _base64_decodings(reading)
        for secret in secrets:
            start = telling_start(secret)
            if start in reading or start.replace(" ", "+") in reading:
                found.append(reading)
            elif any(start.encode() in data for data in decoded):
                found.append(f"base64 in: {reading}")
    return found


def assert_no_leak(secrets: list[str], **outputs: str) -> None:
    for channel, text in outputs.items():
        found = leaks(text, secrets)
        assert not found, f"a secret leaked to {channel}: {found[0][:2000]}"
