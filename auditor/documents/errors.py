"""The one error type the command line turns into exit code 2."""

from __future__ import annotations

from collections.abc import Iterable


class InputError(Exception):
    """Bad input from the user: a file, a flag or an environment variable.

    The message is a single paragraph that names where the problem is (file, line,
    JSON path) and what was expected, so the user can fix it without a traceback.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.line = line
        self.path = path
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.file:
            where.append(printable(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.path:
            where.append(f"at {self.path}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.problem}" if prefix else self.problem


def printable(name: str) -> str:
    """Text (a file name, a key) as given, or escaped where it holds a line break, a control
    character or an undecodable byte, so that a message stays one printable paragraph."""
    if name.isprintable():
        return name
    import json  # here: only a name with unprintable characters needs it

    return json.dumps(name)[1:-1]


def quoted(text: str) -> str:
    """'text' for a message, with line breaks and other control characters escaped,
    so a key or value from the user cannot break the message's single paragraph."""
    return f"'{printable(text)}'"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` Did you mean 'x'?` for a name close to one of `known`, else nothing."""
    import difflib  # here: only a mistyped name needs it

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""
