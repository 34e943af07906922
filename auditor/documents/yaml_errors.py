"""YAML syntax errors said in a person's words: where, what was found, and what to try.

PyYAML's own wording ("mapping values are not allowed here", "expected <block end>,
but found '<block mapping start>'") names parser states, not the mistake in the file.
"""

from __future__ import annotations

import re

# PyYAML's problem text (a prefix of it) -> what was found, and a hint to fix it.
_REWORDED: tuple[tuple[str, str, str], ...] = (
    ("mapping values are not allowed",
     "a ':' where no new key can start",
     "a value that holds ': ' must be quoted, and a key must start its own line"),
    ("could not find expected ':'",
     "a line that is neither a 'key: value' nor a list item",
     "add the ':' after the key, or check the indentation of the lines above"),
    ("found character '\\t' that cannot start any token",
     "a tab",
     "YAML indents with spaces only; replace the tab with spaces"),
    ("expected <block end>",
     "indentation that does not line up with the lines above",
     "indent each key of one mapping by the same number of spaces"),
    ("did not find expected key",
     "indentation that does not line up with the lines above",
     "indent each key of one mapping by the same number of spaces"),
    ("did not find expected '-' indicator",
     "a list whose items are not lined up",
     "start each item of one list with '- ' at the same indentation"),
    ("found unexpected end of stream",
     "the end of the file inside a quoted value",
     "close the quote that opens on or before this line"),
    ("found unknown escape character",
     "an unknown backslash escape inside double quotes",
     "use single quotes, or write a backslash as \\\\"),
    ("found undefined alias",
     "an alias (*name) with no anchor (&name) before it",
     "quote a value that starts with '*'"),
    ("found character '@' that cannot start any token",
     "a value starting with '@'",
     "quote a value that starts with '@' or '`'"),
    ("found character '`' that cannot start any token",
     "a value starting with '`'",
     "quote a value that starts with '@' or '`'"),
    ("expected ',' or ']'",
     "a [list] that is not closed",
     "close the list with ']' and separate its items with commas"),
    ("expected ',' or '}'",
     "a {mapping} that is not closed",
     "close the mapping with '}' and separate its entries with commas"),
)


# PyYAML's "expected a single document in the stream", whose problem part is this.
_ANOTHER_DOCUMENT = "but found another document"


def syntax_problem(problem: str | None, column: int | None) -> str:
    """The sentence for a YAML syntax error at a 1-based column (the error names the
    line). The line's text is not quoted: a configuration file's line may hold a secret."""
    if (problem or "").startswith(_ANOTHER_DOCUMENT):  # valid YAML, but two documents
        return ("this file holds more than one YAML document: the second one starts on "
                "this line. Each file is one document: remove the '---' (or '...') line "
                "that separates them, or move the second to a file of its own.")
    found, hint = _reworded(problem or "")
    where = f" at column {column}" if column is not None else ""
    return f"this is not valid YAML: {found}{where}. Hint: {hint}."


def _reworded(problem: str) -> tuple[str, str]:
    for start, found, hint in _REWORDED:
        if problem.startswith(start):
            return f"found {found}", hint
    # Anything else keeps the parser's own words, with the general advice.
    words = problem.rstrip(".")
    return (words if re.match(r"found |expected ", words) else
            f"found {words or 'something YAML cannot read'}",
            "check the quotes, colons and indentation on this line and the one above")
