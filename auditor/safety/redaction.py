"""Finding a secret in a text whatever form it comes back in, and redacting it.

A server may echo a credential in an error message, and not always as it was sent: URL-
or JSON-encoded, XML-escaped (`Pw&lt;…`), base64- or hex-encoded on its own or inside a
larger value (`user:token` in a Basic header), lower- or upper-cased, or cut down to a
part (a message trimmed to 20 characters, a token's middle). A Redactor replaces every
such appearance of its secrets with REDACTED:

- escapes are undone, not enumerated: the text is also read with its character references
  decoded, with its %XX sequences decoded, with its backslash escapes decoded, and each
  of those again (an escaping of an escaping), and what is found in any reading is
  redacted in the text as it was, escapes and all;
- each of those readings is read once more with every run of base64 or hex characters
  decoded, at each alignment the run may take (a secret may start at any byte of a
  longer encoded value); a secret found there redacts the whole run;
- every reading is compared with the secrets in lower case, so a secret's case does
  not matter (a token copied into another variable and echoed back lower-cased);
- any part of a secret at least SHORTEST_PREFIX characters long counts, wherever it starts;
- a secret shorter than SHORTEST_PREFIX counts only whole; one shorter than
  SHORTEST_SECRET only as a whole word (a 5-character password would otherwise cut holes
  in ordinary words). Below SHORTEST_WORD nothing is redacted.

Finding parts costs the same whatever the number of secrets: every _GRAM characters of
every secret are kept in one dict, and a text is looked up there at every _STEP-th
position (any part of SHORTEST_PREFIX characters holds one such position); a hit is
extended both ways by comparison, and the look-ups then go on from where a part could
still reach past it. Only the standard library is used here.
"""

from __future__ import annotations

import binascii
import json
import re
import sys
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property, lru_cache
from typing import Any, NamedTuple, TypeVar

REDACTED = "[redacted]"
SHORTEST_SECRET = 8  # from here on, anywhere; every part from SHORTEST_PREFIX characters on
SHORTEST_WORD = 4  # from here to SHORTEST_SECRET: whole words only
SHORTEST_PREFIX = 12  # a part of a secret this long still counts as the secret
_DECODING_DEPTH = 2  # one escaping of another: "&amp;lt;", "%26lt%3B", "\\u0026lt;"...
# Parts are found by looking up the GRAM characters at every STEP-th position of a text
# among those of the secrets: a part of SHORTEST_PREFIX characters holds one such place.
_GRAM = 9
_STEP = SHORTEST_PREFIX - _GRAM + 1


# A Salesforce access token or session id starts with the org's 15-character Id and "!"
# ("00Dxx0000000000!AQ..."). That head is no secret (the Id is in every snapshot), so only
# what follows the "!" counts towards a part's length; and the token's start counts once
# it reaches one character past the "!".
_PUBLIC_HEAD = re.compile(r"00D[0-9A-Za-z]{12}!")
_WORD_CHAR = "0-9a-z"  # in the folded text

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
# Runs that may be an encoding: base64 (either alphabet) long enough to hold the shortest
# secret (8 bytes, 11 characters), and within them runs of hex digits (8 bytes, 16).
_ENCODED = re.compile(r"(?=[A-Za-z0-9+/_-]{11})[A-Za-z0-9+/_-]+=*")
_HEX = re.compile(r"[0-9A-Fa-f]{16,}")

T = TypeVar("T")


def _fold(text: str) -> str:
    """The text in lower case, character for character: str.lower() keeps every length
    but that of U+0130, and lowers a final sigma by its context."""
    return text.replace("\u0130", "i").lower().replace("\u03c2", "\u03c3")


class _Place(NamedTuple):
    """A place in a secret (folded): a hit there extends both ways; only what is past
    `floor` counts towards its length."""

    text: str
    start: int
    floor: int  # where the secret's own part starts (after a token's public head)


def _variants(secret: str) -> set[str]:
    """The secret as written; with + for its spaces (form encoding); and for a secret
    beyond ASCII, its UTF-8 bytes read one to a character, as base64 and hex runs are
    decoded."""
    variants = {secret, secret.replace(" ", "+")}
    if not secret.isascii():
        variants.add(secret.encode("utf-8", "surrogatepass").decode("latin-1"))
    return variants


class _Finder:
    """The compiled search for one set of secrets; immutable, so threads may share it."""

    def __init__(self, secrets: Iterable[str], base: _Finder | None = None) -> None:
        """A finder of the secrets, and of those `base` finds: built on a copy of its
        tables, so that a secret learned late (a fleet's sign-ins) costs its own length."""
        self.places: dict[str, list[_Place]] = dict(base.places) if base else {}
        # The tokens that start with each head.
        self.tokens: dict[str, list[str]] = dict(base.tokens) if base else {}
        self.short_texts: set[str] = set(base.short_texts) if base else set()
        self.word_texts: set[str] = set(base.word_texts) if base else set()
        short, words = self.short_texts, self.word_texts
        for secret in secrets:
            head = _PUBLIC_HEAD.match(secret)
            floor = head.end() if head else 0
            for variant in _variants(secret):
                text = _fold(variant)
                if floor and len(text) > floor:
                    self.tokens[text[:floor]] = [*self.tokens.get(text[:floor], ()), text]
                if len(secret) < SHORTEST_SECRET:
                    words.add(text)
                elif len(secret) - floor < SHORTEST_PREFIX:
                    short.add(text)  # counts only whole
                else:
                    self._add_places(text, floor)
        self.short = _alternatives(short, "", "")
        self.heads = _alternatives(set(self.tokens), "", "")
        self.words = _alternatives(words, f"(?<![{_WORD_CHAR}])", f"(?![{_WORD_CHAR}])")
        # No hit is shorter than SHORTEST_PREFIX, a short secret or a word, and no reading
        # of a text shorter than that holds one (an escape decodes to fewer characters,
        # base64 and hex to fewer bytes): shorter texts hold none.
        self.shortest = min([*(len(word) for word in short | words),
                             *([SHORTEST_PREFIX] if self.places else [])], default=0)

    def _add_places(self, text: str, floor: int) -> None:
        added: dict[str, list[_Place]] = {}
        for start in range(0, len(text) - _GRAM + 1):
            added.setdefault(text[start:start + _GRAM], []).append(_Place(text, start, floor))
        for gram, found in added.items():
            # A new list: the base's lists are shared with the finder it belongs to.
            self.places[gram] = [*self.places.get(gram, ()), *found]

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Where a secret, or a telling part of one, shows in the text as it is."""
        folded = _fold(text)
        places = self.places
        if places:
            found = [at for at in range(0, len(folded) - _GRAM + 1, _STEP)
                     if folded[at:at + _GRAM] in places]
            skip_to = 0
            for at in found:
                if at < skip_to:
                    continue
                spans = [(at - back, at + ahead) for place in places[folded[at:at + _GRAM]]
                         if min(back := _common_end(folded, at, place), place.start - place.floor)
                         + (ahead := _common_start(folded, at, place)) >= SHORTEST_PREFIX]
                if spans:
                    start, end = min(span[0] for span in spans), max(span[1] for span in spans)
                    yield start, end
                    # A part reaching past this one holds a looked-up place from here on.
                    skip_to = end - SHORTEST_PREFIX + 1
        if self.heads is not None:
            # A token cut short: its start counts from one character past the "!".
            for match in self.heads.finditer(folded):
                start, floor = match.start(), len(match.group())
                end = start + max(_common_start(folded, start, _Place(token, 0, 0))
                                  for token in self.tokens[match.group()])
                if end > start + floor:
                    yield start, end
        for pattern in (self.short, self.words):
            if pattern is not None:
                for match in pattern.finditer(folded):
                    yield match.span()


def _alternatives(literals: set[str], before: str, after: str) -> re.Pattern[str] | None:
    if not literals:
        return None
    alternatives = "|".join(map(re.escape, sorted(literals, key=len, reverse=True)))
    return re.compile(f"{before}(?:{alternatives}){after}")


def _common_start(text: str, at: int, place: _Place) -> int:
    """How many characters of the secret from the place on the text holds from `at` on:
    galloping, then bisecting, comparing only what is not known yet, so the cost grows
    with the answer."""
    source, offset = place.text, place.start
    limit = min(len(source) - offset, len(text) - at)
    low, high, size = 0, limit, SHORTEST_PREFIX
    while size < limit:
        if not text.startswith(source[offset + low:offset + size], at + low):
            high = size - 1
            break
        low, size = size, size * 2
    while low < high:
        middle = (low + high + 1) // 2
        if text.startswith(source[offset + low:offset + middle], at + low):
            low = middle
        else:
            high = middle - 1
    return low


def _common_end(text: str, at: int, place: _Place) -> int:
    """How many characters of the secret before the place the text holds just before
    `at`, the same way."""
    source, offset = place.text, place.start
    limit = min(offset, at)
    low, high, size = 0, limit, SHORTEST_PREFIX
    while size < limit:
        if not text.startswith(source[offset - size:offset - low], at - size):
            high = size - 1
            break
        low, size = size, size * 2
    while low < high:
        middle = (low + high + 1) // 2
        if text.startswith(source[offset - middle:offset - low], at - middle):
            low = middle
        else:
            high = middle - 1
    return low


class _Decoded:
    """A text with one kind of escape decoded, and the way back from its positions to the
    text's: a span that touches an escape takes in the whole escape. The way back is
    worked out only when asked for, as a secret is rarely found."""

    def __init__(self, text: str, escape: re.Pattern[str], parent: _Decoded | None,
                 decode: Callable[[str], str]) -> None:
        self.original = text
        self.escape = escape
        self.decode = decode
        self.parent = parent  # what `text` was decoded from, if it was
        self.text = escape.sub(lambda match: decode(match.group()), text)

    @cached_property
    def _escapes(self) -> list[tuple[int, int, int, int]]:
        """Each escape's decoded start and end, and its start and end in the text."""
        escapes = []
        shift = 0  # how much shorter the decoded text is, so far
        for match in self.escape.finditer(self.original):
            decoded = self.decode(match.group())
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
    again (up to _DECODING_DEPTH); then each of them, and the text, with its base64 and
    hex runs decoded. Only readings that differ from what they decode."""
    escaped: list[_Decoded] = []
    frontier: list[_Decoded | None] = [None]
    for _ in range(_DECODING_DEPTH):
        found: list[_Decoded | None] = []
        for parent in frontier:
            reading = text if parent is None else parent.text
            for escape, lead in ((_REFERENCES, "&"), (_PERCENTS, "%"), (_BACKSLASHES, "\\")):
                if lead in reading:
                    decoded = _Decoded(reading, escape, parent, _decode)
                    if decoded.text != reading:
                        found.append(decoded)
                        escaped.append(decoded)
                        yield decoded
        frontier = found
    for parent in (None, *escaped):
        reading = text if parent is None else parent.text
        if _ENCODED.search(reading):
            yield _Decoded(reading, _ENCODED, parent, _encoded)


def _encoded(run: str) -> str:
    # Runs as short as an Id repeat (a report names the same records again and again).
    return _decoded_run(run) if len(run) <= 64 else _decoded_run.__wrapped__(run)


@lru_cache(maxsize=4096)
def _decoded_run(run: str) -> str:
    """What a run of base64 characters holds, decoded from each of its first four
    characters on (a value may start at any of them), and what each run of hex digits in
    it holds, from its first and second digit; apart, so no hit spans two of them."""
    core = run.rstrip("=").replace("-", "+").replace("_", "/").encode("ascii")
    decodings = []
    for skip in range(4):
        chunk = core[skip:]
        chunk = chunk[:len(chunk) - 1] if len(chunk) % 4 == 1 else chunk
        decodings.append(binascii.a2b_base64(chunk + b"=" * (-len(chunk) % 4)))
    for digits in _HEX.findall(run):
        for skip in range(2):
            chunk = digits[skip:]
            decodings.append(bytes.fromhex(chunk[:len(chunk) // 2 * 2]))
    # Read a byte to a character, fast; a secret beyond ASCII is looked for read so too.
    return b"\0".join(decodings).decode("latin-1")


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
            new = wanted - self._secrets
            if not new:
                return
            self._secrets |= new
            self._finder = _Finder(new, self._finder)

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
