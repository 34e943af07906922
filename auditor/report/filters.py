"""Template filters shared by the reporters.

Every value in a report may come from a settings file or an API, so each output
format has one escaping function that the environment applies by default: HTML uses
jinja2's autoescape; Markdown uses `md` below (see reporting/__init__.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from markupsafe import Markup, escape

from auditor.documents.display import INVISIBLE, code_point, one_line, reveal
from auditor.documents.timestamps import parse_timestamp


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
_CODE_SAFE = re.compile(rf"^{_CODE_CHARS}+$")


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
    # Invisible characters are spelled out first: the `<` and `>` around them are then
    # escaped like any other.
    text = " ".join(one_line(str(value)).split())
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
    safe = _CODE_SAFE.match(text) and not INVISIBLE.search(text)  # \w admits Hangul fillers
    return MdSafe(f"`{text}`") if safe else md(text)


def md_json_block(value: Any) -> MdSafe:
    """A fenced JSON code block. Indented JSON never starts a line with a backtick, so no
    value can close the fence; and <, > and & (only ever inside JSON strings) are written
    as JSON escapes, so even a renderer that missed the fence would find no HTML; so are
    invisible characters, so that they show."""
    text = pretty_json(value)
    for char in "<>&":
        text = text.replace(char, f"\\u{ord(char):04x}")
    # json.dumps spells a character beyond U+FFFF as the surrogate pair JSON needs.
    text = INVISIBLE.sub(lambda match: json.dumps(match.group())[1:-1], text)
    return MdSafe(f"```json\n{text}\n```")


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


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


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def scalar(value: Any) -> str:
    """A JSON scalar the way the settings file spells it; timestamps in the report's style;
    a list of scalars (a table cell) joined by commas."""
    if isinstance(value, list):
        return ", ".join(scalar(item) for item in value) if value else "none"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return when(value)
    return str(value)


def html_code_spans(value: Any) -> Markup:
    """Escaped text whose `backticked` parts become <code>: messages name settings that way."""
    # escape() leaves Markup (already safe) alone and escapes everything else.
    escaped = str(escape(value))
    return Markup(re.sub(r"`([^`<>]+)`", r"<code>\1</code>", escaped))


def html_finalize(value: Any) -> Any:
    """The HTML environment's finalize: invisible characters spelled out as <U+XXXX> in
    every value, before autoescape; in text a filter already escaped (Markup), with the
    angle brackets escaped here."""
    if isinstance(value, Markup):
        return Markup(INVISIBLE.sub(lambda match: f"&lt;{code_point(match.group())}&gt;",
                                    value))
    if isinstance(value, str):
        return reveal(value)
    return value


def web_url(value: Any) -> str | None:
    """The URL when it is an http(s) link; anything else (javascript:, data:) gets no href."""
    text = str(value or "")
    return text if re.match(r"https?://[^\s\"'<>]+$", text) else None


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def is_records(value: Any) -> bool:
    """A non-empty list of flat objects (values scalars or lists of them), shown as a table
    rather than as JSON."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(item, Mapping)
            and all(
                is_scalar(v) or (isinstance(v, list) and all(is_scalar(i) for i in v))
                for v in item.values()
            )
            for item in value
        )
    )


def columns(records: list[Mapping[str, Any]]) -> list[str]:
    """Every key of a list of objects, in order of first appearance."""
    seen: dict[str, None] = {}
    for record in records:
        seen.update(dict.fromkeys(record))
    return list(seen)


FILTERS: dict[str, Callable[..., Any]] = {
    "md": md,
    "md_code": md_code,
    "md_json_block": md_json_block,
    "pretty_json": pretty_json,
    "when": when,
    "label": label,
    "capfirst": capfirst,
    "sentence": sentence,
    "scalar": scalar,
    "code_spans": html_code_spans,
    "columns": columns,
    "web_url": web_url,
}

TESTS: dict[str, Callable[..., bool]] = {"scalar_value": is_scalar, "records": is_records}
