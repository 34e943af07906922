"""Text from outside (APIs, settings, snapshots, file names) made honest to show.

Bidi overrides and isolates can make a value read backwards ("moc.emca" shown as
"acme.com"), and zero-width characters make two different values look the same. Every
report and message therefore spells such characters out as `<U+202E>`, so a person
sees that they are there, instead of dropping them or letting them act. Control
characters (an escape sequence, BEL, U+2028) would drive a terminal or forge a line:
they are shown as spaces. `one_line` does both, and every channel calls it: the
terminal for every command, HTML, Markdown, SARIF, JUnit, the fleet roll-up, and the
reasons a collection records (auditor/documents/snapshot.py).
"""

from __future__ import annotations

import json
import re

# Every character of Unicode's "format" category (Cf: bidi marks, embeddings, overrides
# and isolates, zero-width spaces and joiners, the byte order mark, invisible operators,
# interlinear annotations, tag characters), up to Unicode 15.1; plus the invisible
# characters of other categories that are used to hide text: the combining grapheme
# joiner and the Hangul fillers. tests/test_invisible_characters.py checks this list
# against the running Python's Unicode database.
_INVISIBLE_RANGES = (
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
INVISIBLE = re.compile(f"[{_INVISIBLE_RANGES}]")
# What JSON may hold raw in a string that would act or hide in a terminal: DEL, the C1
# controls, the line and paragraph separators and the invisible characters (json.dumps
# escapes the C0 controls itself).
_RAW_IN_JSON = re.compile(f"[\x7f-\x9f\u2028\u2029{_INVISIBLE_RANGES}]")


def code_point(char: str) -> str:
    """How an invisible character is shown: U+202E."""
    return f"U+{ord(char):04X}"


def reveal(text: str, mark: str = "<{}>") -> str:
    """The text with every invisible character spelled out as <U+XXXX> (`mark` gives the
    form: HTML that is already escaped needs &lt;{}&gt;)."""
    if INVISIBLE.search(text) is None:  # nearly always; a search costs less than a sub
        return text
    return INVISIBLE.sub(lambda match: mark.format(code_point(match.group())), text)


def one_line(text: str, mark: str = "<{}>") -> str:
    """Text safe for a terminal line, a report or a message: the one neutraliser every
    channel applies. Invisible characters are spelled out, and every other character that
    is not printable (C0 and C1 controls such as ESC, BEL and DEL, line breaks, CR,
    U+2028 and U+2029, lone surrogates, unassigned code points) is shown as a space, so
    that no value can drive a terminal, forge a line or hide text."""
    shown = reveal(text, mark)
    if shown.isprintable():  # nearly always: one pass in C instead of one per character
        return shown
    return "".join(ch if ch.isprintable() else " " for ch in shown)


def each_line(text: str, mark: str = "<{}>") -> str:
    """Text of several lines made safe as one_line makes one: each line neutralised, the
    line feeds between them kept (the HTML report's own markup and stylesheet)."""
    if INVISIBLE.search(text) is None and text.replace("\n", "").isprintable():
        return text  # nearly always: two passes in C
    return "\n".join(one_line(line, mark) for line in text.split("\n"))


def json_escaped(text: str) -> str:
    """JSON text (as json.dumps writes it with ensure_ascii=False) with every character
    that would act or hide written as a \\u escape: the same data to every JSON reader,
    and a file that is safe to print. The machine formats keep data exact this way."""
    if _RAW_IN_JSON.search(text) is None:  # nearly always
        return text
    # ensure_ascii writes a character beyond U+FFFF as its surrogate pair, as JSON wants.
    return _RAW_IN_JSON.sub(lambda match: json.dumps(match.group())[1:-1], text)
