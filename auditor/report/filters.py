"""Template filters shared by the reporters.

Every value in a report may come from a settings file or an API, so each output
format has one escaping function that the environment applies by default: HTML uses
jinja2's autoescape; Markdown uses `md` below (see reporting/__init__.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC
from functools import lru_cache
from typing import Any, TypeGuard

from markupsafe import Markup, escape

from auditor.documents.timestamps import parse_timestamp
from auditor.safety.display import INVISIBLE, each_line, one_line


class MdSafe(str):
    """Text already safe to place in Markdown; the Markdown environment leaves it as is."""


# Characters that are markup anywhere in GitHub-flavoured Markdown, or in the raw HTML
# a Markdown file may hold (<details>). Numeric references are used rather than
# backslash escapes because they mean the same inside an HTML block and in a table cell,
# and a reference is always literal text, never markup.
_MD_ALWAYS = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "|": "&#124;",  # a table cell separator, even inside a code span
    "\\": "&#92;",
    "`": "&#96;",
    "*": "&#42;",
    "[": "&#91;",  # with ] : links, images, footnotes, task boxes
    "]": "&#93;",
    "~": "&#126;",
    "$": "&#36;",  # GitHub renders $...$ as maths
}
_MD_TOKEN = re.compile(
    r"""
      (?P<always>[&<>|\\`*\[\]~$])
    | (?<![0-9A-Za-z])_ | _(?![0-9A-Za-z])           # emphasis; intraword _ is inert in GFM
    | (?P<scheme>:)(?=//)                             # http://... would be autolinked
    | (?<=[wW]{3})(?P<www>\.)                         # and so would www.example
    | (?P<ping>(?<!\w)[@#])(?=\w)                     # @mentions and #123 references
    """,
    re.VERBOSE,
)
# Block markup only counts at the start of a line, which a value is whenever a template
# puts it first: headings, list items, setext underlines, ordered lists.
_MD_LINE_START = re.compile(r"^(?:[#+\-=]|\d+[.)])")


_CODE_CHARS = r"[\w.\-/:@= ]"
_CODE_SPAN = re.compile(rf"`({_CODE_CHARS}+)`")
_CODE_SAFE = re.compile(rf"{_CODE_CHARS}+")


def _md_token(match: re.Match[str]) -> str:
    char = match.group(0)
    if match.group("always"):
        return _MD_ALWAYS[char]
    if match.group("ping"):
        # A word joiner keeps @team from notifying anyone, invisibly.
        return char + "\u2060"
    return f"&#{ord(char)};"


def md(value: Any) -> MdSafe:
    """Text safe inside GitHub-flavoured Markdown: one line, no markup, no HTML, no links.

    Safe in a paragraph, a list item, a table cell and inside <summary>; not meant for
    HTML attribute values. Email addresses may still be shown as mailto links by GitHub.
    """
    if isinstance(value, MdSafe):
        return value
    return _md_text(str(value))


@lru_cache(maxsize=4096)
def _md_text(value: str) -> MdSafe:
    # Cached: a report repeats its labels, statuses and names many times over.
    # Invisible characters are spelled out first: the `<` and `>` around them are then
    # escaped like any other.
    text = " ".join(one_line(value).split())
    # Messages name settings and commands in backticks; those that are plain identifiers
    # stay code spans (literal by definition), everything else is escaped.
    parts = _CODE_SPAN.split(text)
    text = "".join(
        f"`{part}`" if index % 2 else _MD_TOKEN.sub(_md_token, part)
        for index, part in enumerate(parts)
    )
    start = _MD_LINE_START.match(text)
    if start:
        lead = start.group(0)
        text = lead[:-1] + f"&#{ord(lead[-1])};" + text[len(lead) :]
    return MdSafe(text)


def md_code(value: Any) -> MdSafe:
    """An identifier as a Markdown code span, when it holds nothing a code span can't."""
    text = str(value)
    safe = _CODE_SAFE.fullmatch(text) and not INVISIBLE.search(text)  # \w admits Hangul fillers
    return MdSafe(f"`{text}`") if safe else md(text)


def when(value: Any) -> str:
    """A timestamp as `2026-11-21 09:28 UTC`; a date, or anything unparseable, as given."""
    text = str(value)
    try:
        moment = parse_timestamp(text)
    except ValueError:
        return text
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def capfirst(value: Any) -> str:
    # str methods on Markup keep it Markup, so escaped text is never escaped twice.
    text = value if isinstance(value, str) else str(value)
    return text[:1].upper() + text[1:]


def sentence(value: Any) -> str:
    """The text ending in a full stop, without doubling one it already has."""
    text = (value if isinstance(value, str) else str(value)).rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def label(key: Any) -> str:
    """An evidence key as a label: `daily_api_requests_max` -> `Daily api requests max`."""
    text = str(key).replace("_", " ")
    return text[:1].upper() + text[1:]


def html_code_spans(value: Any) -> Markup:
    """Escaped text whose `backticked` parts become <code>: messages name settings that way."""
    # escape() leaves Markup (already safe) alone and escapes everything else.
    escaped = str(escape(value))
    return Markup(re.sub(r"`([^`<>]+)`", r"<code>\1</code>", escaped))


def html_finalize(value: Any) -> Any:
    """The HTML environment's finalize: every value made safe by one_line before
    autoescape; text a filter or macro already escaped (Markup) line by line, its line
    feeds kept (they are the page's own layout) and the angle brackets around <U+XXXX>
    escaped here."""
    if isinstance(value, Markup):
        return Markup(each_line(str(value), "&lt;{}&gt;"))
    if isinstance(value, str):
        return one_line(value)
    return value


def web_url(value: Any) -> str | None:
    """The URL when it is an http(s) link; anything else (javascript:, data:) gets no href."""
    text = str(value or "")
    return text if re.fullmatch(r"https?://[^\s\"'<>]+", text) else None


# The most items of one evidence list a person's report (HTML, Markdown) shows; the JSON
# report keeps them all. A long list of 200,000 teammates is a file to process, not a
# page to read, and a report must stay small enough to open and to mail.
ROWS_SHOWN = 200


class CappedList(list[Any]):
    """The first items of a longer evidence list; `total` is how many the list held."""

    def __init__(self, items: list[Any], total: int) -> None:
        super().__init__(items)
        self.total = total


def capped_evidence(value: Any) -> Any:
    """The evidence with every list beyond ROWS_SHOWN items cut to its first ROWS_SHOWN
    (a CappedList). Only what is shown is copied: the cost does not grow with the list."""
    if isinstance(value, Mapping):
        return {key: capped_evidence(item) for key, item in value.items()}
    if isinstance(value, list):
        shown = [capped_evidence(item) for item in value[:ROWS_SHOWN]]
        return CappedList(shown, len(value)) if len(value) > ROWS_SHOWN else shown
    return value


def is_capped(value: Any) -> TypeGuard[CappedList]:
    return isinstance(value, CappedList)


def capped_note(value: CappedList) -> str:
    return f"First {len(value):,} of {value.total:,}; all in report.json."


FILTERS: dict[str, Callable[..., Any]] = {
    "capped_note": capped_note,
    "md": md,
    "md_code": md_code,
    "when": when,
    "label": label,
    "capfirst": capfirst,
    "sentence": sentence,
    "code_spans": html_code_spans,
    "web_url": web_url,
}

TESTS: dict[str, Callable[..., bool]] = {"capped": is_capped}
