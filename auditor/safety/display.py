"""Text from outside (APIs, settings, snapshots, file names) made honest to show.

Bidi overrides and isolates can make a value read backwards ("moc.emca" shown as
"acme.com"), and zero-width characters make two different values look the same. Every
report and message therefore spells such characters out as `<U+202E>`, so a person
sees that they are there, instead of dropping them or letting them act.
"""

from __future__ import annotations

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


def code_point(char: str) -> str:
    """How an invisible character is shown: U+202E."""
    return f"U+{ord(char):04X}"


def reveal(text: str) -> str:
    """The text with every invisible character spelled out as <U+XXXX>."""
    if INVISIBLE.search(text) is None:  # nearly always; a search costs less than a sub
        return text
    return INVISIBLE.sub(lambda match: f"<{code_point(match.group())}>", text)


def one_line(text: str) -> str:
    """Text safe for a terminal line: invisible characters spelled out, and every other
    character that is not printable (newlines, escape sequences) shown as a space."""
    shown = reveal(text)
    if shown.isprintable():  # nearly always: one pass in C instead of one per character
        return shown
    return "".join(ch if ch.isprintable() else " " for ch in shown)
