"""What a document may hold: plain data of a sane size, and where it first holds more.

No settings, snapshot or rule document comes close to these bounds; beyond them input is
garbage or hostile, and would only fail somewhere less helpful (Python's recursion
limit, its 4,300-digit limit on integers, memory, patience).
"""

from __future__ import annotations

import math
import re
from itertools import islice
from typing import Any

from auditor.safety.display import json_escaped

JsonPath = tuple[str | int, ...]


def cut(text: str, most: int = 60) -> str:
    """The text, or its start and "..." when it is longer than `most` characters."""
    return text if len(text) <= most else text[: most - 3] + "..."

MAX_DOCUMENT_BYTES = 1024**2  # a settings or rule file, and any other small file alike
MAX_YAML_CHARS = 4 * 1024**2  # PyYAML reads well under a megabyte a second
MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_TEXT = 65_536  # characters in one value or key
# The whole numbers every JSON reader holds exactly (RFC 8259, section 6).
MAX_INTEGER = 2**53 - 1
INTEGER_DIGITS = 40  # longer YAML or JSON integer text is beyond MAX_INTEGER (or padding)
INTEGERS = f"from -{MAX_INTEGER} to {MAX_INTEGER} (2^53 - 1)"
TOO_DEEP = (f"this is not a settings, snapshot or rule document: its lists and mappings are "
             f"nested more than {MAX_DEPTH} levels deep")



def json_text(data: Any) -> str:
    """Plain data as JSON text, as json.dumps(indent=2, ensure_ascii=False) writes it, with a
    final line break, and every character that would act or hide in a terminal escaped
    (json_escaped: the data exact, the file safe to print). json.dumps joins a list of
    every token at once, four times the text's size for a large document (300 MB for a
    70 MB report.json); joined in batches, twice. A batch ends between tokens, never inside
    a character, so each is escaped on its own."""
    import json  # here: `auditor --help` reads no JSON

    tokens = json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(data)
    batches = iter(lambda: json_escaped("".join(islice(tokens, 100_000))), "")
    return "".join(batches) + "\n"


class Oversized:
    """Integer text too long to convert; kept so the problem is reported with its path."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return cut(self.text, 20)



def plain_data_problem(data: Any) -> tuple[JsonPath, str] | None:
    """Where the data first holds something other than plain data of a sane size, and what.

    Walked without recursion, so that too deep a document is reported, not a crash; too
    deep is reported at the root ($), where no line needs to be looked up.
    """
    if not _may_hold_a_problem(data):
        return None
    stack: list[tuple[Any, JsonPath]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return (), f"{TOO_DEEP}."
        if isinstance(value, dict):
            children = []
            for key, item in value.items():
                problem = _text_problem(key, "key")
                if problem:
                    return (path if len(key) > MAX_TEXT else (*path, key)), problem
                children.append((item, (*path, key)))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            stack.extend(reversed([(item, (*path, index)) for index, item in enumerate(value)]))
        else:
            problem = _scalar_problem(value)
            if problem:
                return path, problem
    return None


def _may_hold_a_problem(data: Any) -> bool:
    """False when the data surely holds plain data of sane size only; True when the walk
    that names a problem and its path must look (a few times faster than that walk, which
    builds a path for every value: 200,000 teammates are 1.4 million values)."""
    level, depth, texts = [data], 0, []
    while level:
        if depth > MAX_DEPTH:
            return True
        below: list[Any] = []
        for value in level:
            kind = type(value)
            if kind is dict:
                texts.extend(value)
                below.extend(value.values())
            elif kind is list:
                below.extend(value)
            elif kind is str:
                texts.append(value)
            elif kind is int:
                if abs(value) > MAX_INTEGER:
                    return True
            elif kind is float:
                if not math.isfinite(value):
                    return True
            elif not (value is None or kind is bool):
                return True
        level, depth = below, depth + 1
    # One search over all the text: a bad character cannot span two values.
    return (max(map(len, texts), default=0) > MAX_TEXT
            or _NOT_TEXT.search("".join(texts)) is not None)


# Tab and line breaks are text; other control characters could drive a terminal or hide
# text, and a lone surrogate is half a UTF-16 pair that cannot even be written as UTF-8.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _text_problem(text: str, what: str) -> str | None:
    if len(text) > MAX_TEXT:
        return (f"this {what} is {len(text):,} characters long, over the limit of "
                f"{MAX_TEXT:,} characters for one {what}.")
    bad = _NOT_TEXT.search(text)
    if bad is None:
        return None
    char = bad.group()
    where = f"U+{ord(char):04X} at character {bad.start() + 1}"
    if "\ud800" <= char <= "\udfff":
        return (f"this {what} holds a lone surrogate ({where}): half of a UTF-16 pair, not a "
                "character. Write the character in full, or remove it.")
    return (f"this {what} holds the control character {where}; only tab and line breaks "
            "are allowed. Remove it.")


def _scalar_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return _text_problem(value, "text")
    if isinstance(value, Oversized):
        return (f"a whole number written with {len(value.text):,} characters is beyond the "
                f"whole numbers this tool reads, {INTEGERS}.")
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if abs(value) > MAX_INTEGER:
            return f"{value} is beyond the whole numbers this tool reads, {INTEGERS}."
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (
            f"{value} is not a number this tool reads: numbers must be finite, not NaN or "
            "infinity.")
    return f"a value of type {type(value).__name__} is not plain data."
