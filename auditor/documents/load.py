"""Reading YAML and JSON documents and validating them against the shipped schemas.

Every problem becomes an InputError naming the file, the line and the JSON path,
and saying what was expected. Line numbers are worked out only when an error needs
one, so large snapshots load at the speed of the json module.

Whatever kind of document it is (settings, snapshot, rule, and any file format added
later), it is read through load_document, which admits plain data only: a regular
file within a size bound, UTF-8 text, no YAML tags, whole numbers within 2^53, finite
numbers, text of bounded length without control characters or lone surrogates.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.documents.errors import InputError
from auditor.documents.errors import quoted as quoted  # re-exported
from auditor.documents.plain_data import (
    INTEGER_DIGITS,
    MAX_DOCUMENT_BYTES,
    MAX_YAML_CHARS,
    TOO_DEEP,
    JsonPath,
    Oversized,
    plain_data_problem,
)
from auditor.documents.vocabulary import SCHEMA_NAMES as SCHEMA_NAMES  # re-exported
from auditor.documents.yaml_reading import YamlSyntaxError, compose, record_lines, yaml_data

if TYPE_CHECKING:  # jsonschema and yaml are imported where needed: they are slow to import
    pass



def format_path(path: Iterable[str | int]) -> str:
    text = "$"
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            # A key holding a dot (a rule override's RULE_ID.NAME) in brackets: no nesting.
            plain = part.isprintable() and "." not in part
            text += f".{part}" if plain else f"[{json.dumps(part)}]"
    return text


def _mib(size: int) -> str:
    return f"{size / 1024**2:g} MiB"


class Document:
    """A document's data, with its file name and text for saying where a problem is."""

    def __init__(self, data: Any, file: str, text: str) -> None:
        self.data = data
        self.file = file
        self.text = text
        self._lines: dict[JsonPath, int] | None = None  # YAML's, found when first asked
        self._json_members: dict[JsonPath, _JsonMembers] = {}

    def __repr__(self) -> str:
        return f"Document(file={self.file!r}, data={self.data!r})"

    def line_of(self, path: JsonPath) -> int | None:
        """The line where the value at path starts (or the nearest enclosing value's).

        JSON is searched along the path only, at the json module's speed; YAML (never more
        than MAX_YAML_CHARS) is composed again, with the nodes' lines.
        """
        if self.file.lower().endswith(".json"):
            return self._json_line(path)
        if self._lines is None:
            self._lines = {}
            node = compose(self.text) if len(self.text) <= MAX_YAML_CHARS else None
            if node is not None:
                record_lines(node, (), self._lines)
        for depth in range(len(path), -1, -1):
            line = self._lines.get(tuple(path[:depth]))
            if line is not None:
                return line
        return None

    def _json_line(self, path: JsonPath) -> int | None:
        text = self.text
        anchor = value = _skip_space(text, 0)
        for depth, part in enumerate(path):
            members = self._json_members.setdefault(path[:depth], _JsonMembers(text, value))
            try:
                found = members.find(part)
            except (ValueError, IndexError):  # text that is not JSON after all
                break
            if found is None:
                break
            anchor, value = found
        return text.count("\n", 0, anchor) + 1

    def error(self, problem: str, path: JsonPath = ()) -> InputError:
        return InputError(
            problem, file=self.file, line=self.line_of(path), path=format_path(path)
        )


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON = json.JSONDecoder()


def _skip_space(text: str, position: int) -> int:
    return _JSON_SPACE.match(text, position).end()  # type: ignore[union-attr]  # always matches


class _JsonMembers:
    """The members of the object or array at a position of a JSON text, found as far as
    asked for: where each starts (its key's position, an item's own, for the line) and
    where its value starts (to search further in). Skipped values go through the json
    module's decoder, at C speed; a later question resumes where the last one stopped."""

    def __init__(self, text: str, position: int) -> None:
        self.text = text
        self.found: dict[str | int, tuple[int, int]] = {}
        opener = text[position:position + 1]
        self.is_object = opener == "{"
        self.closer = "}" if self.is_object else "]"
        self.position: int | None = (_skip_space(text, position + 1)
                                     if opener in ("{", "[") else None)

    def find(self, name: str | int) -> tuple[int, int] | None:
        text = self.text
        while name not in self.found and self.position is not None:
            position = self.position
            if text[position] == self.closer:
                self.position = None
                break
            member: str | int = len(self.found)
            if self.is_object:
                member, position = _JSON.raw_decode(text, position)  # the key, a JSON string
                position = _skip_space(text, _skip_space(text, position) + 1)  # past the colon
            self.found[member] = (self.position, position)
            position = _skip_space(text, _JSON.raw_decode(text, position)[1])
            self.position = (_skip_space(text, position + 1) if text[position] == ","
                             else position)
        return self.found.get(name)


def _json_integer(text: str) -> int | Oversized:
    return Oversized(text) if len(text) > INTEGER_DIGITS else int(text)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {quoted(key)} appears twice in the same object; keep one")
        result[key] = value
    return result


def _json_data(text: str, file: str) -> Any:
    try:
        # NaN and Infinity are not JSON; read them as floats, to refuse them with a path.
        return json.loads(text, object_pairs_hook=_reject_duplicates,
                          parse_int=_json_integer, parse_constant=float)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"this is not valid JSON: {exc.msg} (column {exc.colno}); the file may be "
            "truncated or hand-edited.",
            file=file,
            line=exc.lineno,
        ) from None
    except ValueError as exc:
        raise InputError(f"{exc}.", file=file) from None
    except RecursionError:
        raise InputError(f"{TOO_DEEP}.", file=file) from None


def parse_document(text: str, file: str, max_chars: int = MAX_DOCUMENT_BYTES) -> Document:
    """Parse JSON (for a .json file) or YAML text into a Document of plain data;
    `max_chars` bounds what YAML's aliases may expand it to (see yaml_data)."""
    if file.lower().endswith(".json"):
        data = _json_data(text, file)
    elif len(text) > MAX_YAML_CHARS:
        raise InputError(f"this YAML document is over {_mib(MAX_YAML_CHARS)}, more than YAML "
                         "is read for; write a document this large as JSON, in a .json file.",
                         file=file)
    else:
        try:
            data = yaml_data(text, file, max_chars)
        except RecursionError:
            raise InputError(f"{TOO_DEEP}, or an alias refers to itself.", file=file) from None
    doc = Document(data=data, file=file, text=text)
    found = plain_data_problem(data)
    if found is not None:
        path, problem = found
        raise doc.error(problem, path) if path else InputError(problem, file=file)
    return doc


def parse_flag_value(text: str) -> Any:
    """A flag's value read as YAML (25000, 0.5, true, [a, b]); text that is not YAML is
    taken as it is. Refused like a document's values: tags, NaN, oversized numbers..."""
    try:
        return yaml_data(text, "")
    except YamlSyntaxError:
        return text


def read_text_file(path: Path, what: str, max_bytes: int) -> str:
    """The UTF-8 text of a regular file of at most max_bytes; `what` names it in errors.

    Checked before reading: a device (/dev/zero), a named pipe or a folder would make a
    plain read wait forever, never end, or fail with a traceback.
    """
    file = str(path)
    try:
        # Non-blocking, so that opening a named pipe returns at once instead of waiting.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise InputError(f"expected a {what}, found a folder.", file=file)
            if not stat.S_ISREG(info.st_mode):
                raise InputError(f"expected a {what} in a regular file; this is a "
                                 f"{_file_kind(info.st_mode)}, which is not read.", file=file)
            # Read one byte beyond the bound too: a file may grow after its size was taken.
            data = b"" if info.st_size > max_bytes else handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError(f"the {what} does not exist.", file=file) from None
    except IsADirectoryError:
        raise InputError(f"expected a {what}, found a folder.", file=file) from None
    except OSError as exc:
        raise InputError(f"the {what} cannot be read: {exc.strerror}.", file=file) from None
    if info.st_size > max_bytes or len(data) > max_bytes:
        raise InputError(f"the {what} is over {_mib(max_bytes)}, the most this tool reads "
                         f"from a {what}; it was not read.", file=file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the {what} is not UTF-8 text (byte {exc.start + 1}).", file=file,
                         line=data.count(b"\n", 0, exc.start) + 1) from None
    # As reading in text mode would: every line break becomes \n. A byte order mark says
    # only that the file is UTF-8 (some Windows editors write one): YAML reads past it,
    # and so does JSON here, which RFC 8259 (section 8.1) lets a reader do.
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return kind
    return "special file"


def load_document(path: Path, what: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document:
    """Read and parse a file; `what` names it in errors ("settings file")."""
    return parse_document(read_text_file(path, what, max_bytes), str(path),
                          min(max_bytes, MAX_YAML_CHARS))
