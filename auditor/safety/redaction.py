"""Finding a secret in a text whatever form it comes back in, and redacting it.

A server may echo a credential in an error message, and not always as it was sent: URL-
or JSON-encoded, XML-escaped (`Pw&lt;…`), base64-encoded on its own or inside a larger
value (`user:token` in a Basic header), or cut short (a message trimmed to 20 characters).
A Redactor replaces every such appearance of its secrets with REDACTED:

- escapes are undone, not enumerated: the text is also read with its character references
  decoded, with its %XX sequences decoded, with its backslash escapes decoded, and each
  of those again (an escaping of an escaping), and what is found in any reading is
  redacted in the text as it was, escapes and all;
- base64 is found at each of the three byte offsets a secret can take inside a longer
  value, in the standard and the URL-safe alphabet;
- any start of a secret at least SHORTEST_PREFIX characters long counts (for each form);
- secrets shorter than SHORTEST_SECRET characters are redacted only as whole words, as
  written or decoded, and never as prefixes or base64: a 5-character password would
  otherwise cut holes in ordinary words. Below SHORTEST_WORD nothing is redacted.

Finding is one compiled regular expression over all secrets (a trie of the first
SHORTEST_PREFIX characters of every form), so a text is scanned in a few passes whatever
the number of secrets, and each hit is extended by comparing with its forms. Only the
standard library is used here.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import cached_property, lru_cache
from typing import Any, NamedTuple, TypeVar

REDACTED = "[redacted]"
SHORTEST_SECRET = 8  # every form, every prefix from SHORTEST_PREFIX characters on
SHORTEST_WORD = 4  # from here to SHORTEST_SECRET: whole words only
SHORTEST_PREFIX = 12  # a cut-off echo this long still counts as the secret
_DECODING_DEPTH = 2  # one escaping of another: "&amp;lt;", "%26lt%3B", "\\u0026lt;"...


# A Salesforce access token or session id starts with the org's 15-character Id and "!"
# ("00Dxx0000000000!AQ..."). That head is no secret (the Id is in every snapshot), so a
# cut-off echo counts only once it reaches past the "!".
_PUBLIC_HEAD = re.compile(r"00D[0-9A-Za-z]{12}!")
_WORD_CHAR = "0-9A-Za-z"

# The escapes a text is read through, each kind on its own, as kinds disagree (to HTML,
# a backslash before "&lt;" is a backslash and "<"; to Markdown, an "&" and "lt;"):
# character references (named, decimal, hex); runs of %XX, as UTF-8; backslash
# escapes of JSON, JavaScript, Python and Markdown (\uXXXX with surrogate pairs,
# \UXXXXXXXX, \xXX, \n..., a backslash before punctuation). Each starts with a lookahead
# on its first character, so the regex engine skips other characters fast.
_REFERENCES = re.compile(
    r"(?=&)&(?:\#[0-9]{1,7}|\#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
_PERCENTS = re.compile(r"(?=%)(?:%[0-9A-Fa-f]{2})+")
_BACKSLASHES = re.compile(
    r"(?=\\)\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[0-9a-fA-F]{4}"
    r"|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[bfnrt]|[!-/:-@\[-`{-~])")
_BACKSLASHED = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_URL_SAFE = str.maketrans("+/", "-_")

T = TypeVar("T")


class _Form(NamedTuple):
    """One way a secret is written, and how much of its start must show to count."""

    text: str
    shortest: int


def _forms(secret: str) -> list[_Form]:
    """The secret as written (and with + for spaces, as form encoding has it), and its
    base64 at each offset in both alphabets; each with its shortest telling prefix."""
    head = _PUBLIC_HEAD.match(secret)
    shortest = min(len(secret), max(SHORTEST_PREFIX, head.end() + 1 if head else 0))
    forms = [_Form(secret, shortest)]
    if " " in secret:
        forms.append(_Form(secret.replace(" ", "+"), shortest))
    whole, start = secret.encode(), secret[:shortest].encode()
    for offset in range(3):
        core, short = _base64_core(whole, offset), _base64_core(start, offset)
        for alphabet in (core, core.translate(_URL_SAFE)):
            forms.append(_Form(alphabet, len(short)))
    return forms


def _base64_core(data: bytes, offset: int) -> str:
    """The base64 characters that `data` alone decides when it starts `offset` bytes into
    a longer value: whatever comes before and after, these characters are in its base64."""
    encoded = base64.b64encode(bytes(offset) + data).decode("ascii")
    first = -(-8 * offset // 6)  # the first character with no bit of the bytes before
    last = 8 * (offset + len(data)) // 6  # the characters that hold no bit of what follows
    return encoded[first:last]


class _Finder:
    """The compiled search for one set of secrets; immutable, so threads may share it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Each form under the start a hit must have: its first SHORTEST_PREFIX characters,
        # or all of it when the secret is shorter than that.
        self.forms: dict[str, list[_Form]] = {}
        words = []
        for secret in secrets:
            if len(secret) < SHORTEST_SECRET:
                words.append(secret)
                continue
            for form in _forms(secret):
                key = form.text[:min(SHORTEST_PREFIX, form.shortest)]
                self.forms.setdefault(key, []).append(form)
        self.key_lengths = sorted({len(key) for key in self.forms})
        self.keys = re.compile(_search_pattern(self.forms)) if self.forms else None
        alternatives = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
        self.words = re.compile(
            f"(?<![{_WORD_CHAR}])(?:{alternatives})(?![{_WORD_CHAR}])") if words else None
        # No hit is shorter than a key or a whole word, and no reading of a text is longer
        # than the text (an escape decodes to fewer characters): shorter texts hold none.
        self.shortest = min([*self.key_lengths, *map(len, words)], default=0)

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Where a secret, or a telling start of one, shows in the text as it is."""
        if self.keys is not None:
            at = 0
            while (hit := self.keys.search(text, at)) is not None:
                start = hit.start()
                lengths = [n for size in self.key_lengths
                           for form in self.forms.get(text[start:start + size], ())
                           if (n := _common_start(text, start, form.text)) >= form.shortest]
                if lengths:
                    yield start, start + max(lengths)
                at = start + 1  # another secret may begin inside this one
        if self.words is not None:
            for match in self.words.finditer(text):
                yield match.span()


def _search_pattern(keys: Iterable[str]) -> str:
    """Where one of the keys starts. A lookahead first asks for a run, as long as the
    shortest key, of characters that keys hold: in prose it fails at once, and the regex
    engine gives up a position far faster than by trying the keys."""
    keys = list(keys)
    chars = "".join(re.escape(char) for char in sorted(set("".join(keys))))
    return f"(?=[{chars}]{{{min(map(len, keys))}}}){_trie(keys)}"


def _trie(keys: Iterable[str]) -> str:
    """One alternation of the literals, sharing their common starts, so that a position
    is given up after a character or two instead of once per literal. Only where a
    literal starts matters: the caller looks up which ones are there."""
    root: dict[str, Any] = {}
    for key in keys:
        node = root
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}  # a literal ends here

    def pattern(node: dict[str, Any]) -> str:
        if "" in node:
            return ""  # enough to tell that a literal starts here
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return pattern(root)


def _common_start(text: str, start: int, form: str) -> int:
    """How many characters of `form` the text holds from `start` on (by bisection)."""
    low, high = 0, min(len(form), len(text) - start)
    while low < high:
        middle = (low + high + 1) // 2
        if text.startswith(form[:middle], start):
            low = middle
        else:
            high = middle - 1
    return low


class _Decoded:
    """A text with one kind of escape decoded, and the way back from its positions to the
    text's: a span that touches an escape takes in the whole escape. The way back is
    worked out only when asked for, as a secret is rarely found."""

    def __init__(self, text: str, escape: re.Pattern[str], parent: _Decoded | None) -> None:
        self.original = text
        self.escape = escape
        self.parent = parent  # what `text` was decoded from, if it was
        self.text = escape.sub(lambda match: _decode(match.group()), text)

    @cached_property
    def _escapes(self) -> list[tuple[int, int, int, int]]:
        """Each escape's decoded start and end, and its start and end in the text."""
        escapes = []
        shift = 0  # how much shorter the decoded text is, so far
        for match in self.escape.finditer(self.original):
            decoded = _decode(match.group())
            start, end = match.span()
            escapes.append((start - shift, start - shift + len(decoded), start, end))
            shift += end - start - len(decoded)
        return escapes

    @cached_property
    def _starts(self) -> list[int]:
        return [escape[0] for escape in self._escapes]

    def source(self, start: int, end: int) -> tuple[int, int]:
        """Where the span of this decoded text came from in the text first read."""
        span = self._position(start, at_end=False), self._position(end - 1, at_end=True)
        return span if self.parent is None else self.parent.source(*span)

    def _position(self, position: int, *, at_end: bool) -> int:
        """The text's position of a decoded one; at_end: just past that character."""
        index = bisect_right(self._starts, position) - 1
        step = 1 if at_end else 0
        if index < 0:
            return position + step
        _, decoded_end, text_start, text_end = self._escapes[index]
        if position < decoded_end:
            return text_end if at_end else text_start
        return text_end + position - decoded_end + step


def _readings(text: str) -> Iterator[_Decoded]:
    """The text decoded by each kind of escape it holds, and each of those by each kind
    again (up to _DECODING_DEPTH); only readings that differ from what they decode."""
    frontier: list[_Decoded | None] = [None]
    for _ in range(_DECODING_DEPTH):
        found: list[_Decoded | None] = []
        for parent in frontier:
            reading = text if parent is None else parent.text
            for escape, lead in ((_REFERENCES, "&"), (_PERCENTS, "%"), (_BACKSLASHES, "\\")):
                if lead in reading:
                    decoded = _Decoded(reading, escape, parent)
                    if decoded.text != reading:
                        found.append(decoded)
                        yield decoded
        frontier = found


@lru_cache(maxsize=4096)
def _decode(escape: str) -> str:
    """What one escape stands for (itself, when it stands for nothing)."""
    lead = escape[0]
    if lead == "&":
        import html  # here: its entity table costs a millisecond at every start-up

        return html.unescape(escape)
    if lead == "%":
        raw = bytes.fromhex(escape.replace("%", ""))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    kind = escape[1]
    if kind == "u":
        decoded: str = json.loads(f'"{escape}"')  # joins a surrogate pair into one character
        return decoded
    if kind in "Ux":
        code = int(escape[2:], 16)
        return chr(code) if code <= sys.maxunicode else escape
    return _BACKSLASHED.get(kind, kind)


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class Redactor:
    """Replaces every secret it holds, in any form, with REDACTED. Safe to share between
    threads; secrets may be added at any time."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self._finder: _Finder | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        wanted = {secret for secret in secrets if len(secret) >= SHORTEST_WORD}
        with self._lock:
            if wanted <= self._secrets:
                return
            self._secrets |= wanted
            self._finder = _Finder(self._secrets)

    @property
    def secrets(self) -> frozenset[str]:
        """What it holds (long enough to be told apart), so another process can hold it too."""
        return self._secrets

    def __call__(self, text: str) -> str:
        if not isinstance(text, str):
            # Also what tells click that a stream wrapped by redacting_streams takes text.
            raise TypeError(f"expected text to redact, got {type(text).__name__}")
        finder = self._finder
        if finder is None or len(text) < finder.shortest:
            return text  # most strings of data are keys and words, too short to hold one
        spans = list(finder.spans(text))
        for reading in _readings(text):
            spans += (reading.source(*span) for span in finder.spans(reading.text))
        if not spans:
            return text
        parts, done = [], 0
        for start, end in _merged(spans):
            parts += [text[done:start], REDACTED]
            done = end
        parts.append(text[done:])
        return "".join(parts)

    def data(self, value: T) -> T:
        """JSON-like data with every string in it (keys too) redacted."""
        return self._walk(value)  # type: ignore[no-any-return]

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            redacted = self(value)
            # A str subclass (text already made safe for a format) keeps its kind: what
            # replaces a secret needs no escaping anywhere.
            return value if redacted == value else type(value)(redacted)
        if isinstance(value, dict):
            return {self._walk(key): self._walk(item) for key, item in value.items()}
        if type(value) in (list, tuple):
            return type(value)(self._walk(item) for item in value)
        return value
