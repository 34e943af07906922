"""What a server might make of a secret before quoting it back, and a detector, written
apart from auditor/safety/secrets.py, of any of those forms in an output.

The detector reads the output as it is and decoded every way a form could have been
made (character references, %XX, +, backslash escapes; two in a row), then looks there,
in any case, for every SHORTEST characters of the secret, and inside anything that
decodes as base64 from any of its first four characters on, or as hex from its first
or second digit. Any SHORTEST characters of a secret are enough to count as a leak, as
the auditor promises (docs/secrets.md); of a Salesforce access token, only what follows
the org's Id and "!" counts, and its start from one character past the "!".
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
    "hex": lambda text: text.encode().hex(),
    "hex_upper": lambda text: text.encode().hex().upper(),
    "lower": str.lower,
    "upper": str.upper,
    # A part from the middle: SHORTEST characters of the secret's own, from its seventh.
    "middle": lambda text: _own_part(text)[6:6 + SHORTEST] or text,
}


def _own_part(secret: str) -> str:
    head = _ORG_ID_HEAD.match(secret)
    return secret[head.end() if head else 0:]


def telling_parts(secret: str) -> set[str]:
    """Every SHORTEST characters of the secret's own part, lower-cased (all of it when
    shorter); and a token's start up to one character past its "!"."""
    own = _own_part(secret)
    start = {secret[:len(secret) - len(own) + 1].lower()} if own != secret else set()
    if len(own) < SHORTEST:
        return start | {secret.lower()}
    return start | {own[at:at + SHORTEST].lower() for at in range(len(own) - SHORTEST + 1)}


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


def _binary_decodings(text: str) -> list[bytes]:
    decoded = []
    for run in re.findall(r"[A-Za-z0-9+/_-]{8,}", text):
        run = run.translate(str.maketrans("-_", "+/"))
        for skip in range(4):
            chunk = run[skip:]
            chunk = chunk[: len(chunk) // 4 * 4]
            decoded.append(base64.b64decode(chunk))
    for run in re.findall(r"[0-9A-Fa-f]{16,}", text):
        for skip in range(2):
            chunk = run[skip:]
            decoded.append(bytes.fromhex(chunk[: len(chunk) // 2 * 2]))
    return decoded


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The readings of `text` that show a telling part of a secret ([] when none does)."""
    found = []
    for reading in _readings(text):
        lowered = reading.lower()
        decoded = b"\0".join(_binary_decodings(reading)).lower()
        for secret in secrets:
            parts = telling_parts(secret)
            if any(part in lowered or part.replace(" ", "+") in lowered for part in parts):
                found.append(reading)
            elif any(part.encode() in decoded for part in parts):
                found.append(f"base64 or hex in: {reading}")
    return found


def assert_no_leak(secrets: list[str], **outputs: str) -> None:
    for channel, text in outputs.items():
        found = leaks(text, secrets)
        assert not found, f"a secret leaked to {channel}: {found[0][:2000]}"
