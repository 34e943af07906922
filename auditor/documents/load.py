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
import math
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.documents.errors import InputError, printable
from auditor.documents.privacy import mask_emails
from auditor.documents.timestamps import parse_date, parse_timestamp
from auditor.documents.vocabulary import SCHEMA_NAMES as SCHEMA_NAMES  # re-exported
from auditor.documents.yaml_errors import syntax_problem

if TYPE_CHECKING:  # jsonschema and yaml are imported where needed: they are slow to import
    import jsonschema
    import yaml
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

JsonPath = tuple[str | int, ...]


def quoted(text: str) -> str:
    """'text' for a message, with line breaks and other control characters escaped,
    so a key or value from the user cannot break the message's single paragraph."""
    return f"'{printable(text)}'"


def format_path(path: Iterable[str | int]) -> str:
    text = "$"
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if part.isprintable() else f"[{json.dumps(part)}]"
    return text


@cache
def _plain_loader(fast: bool = True) -> type[yaml.SafeLoader]:
    """PyYAML's loader, keeping dates as text (the schemas check their format).

    `fast`: its C parser (libyaml) where installed, which reads rule files many times
    faster. Only the parser differs; the nodes it gives go through the same checks
    (_construct). Text it refuses is read again by the Python parser, whose messages
    (and refusals) are the ones the tool has always given.
    """
    import yaml

    base: type[yaml.SafeLoader] = (getattr(yaml, "CSafeLoader", yaml.SafeLoader) if fast
                                   else yaml.SafeLoader)
    resolvers = {
        first: [(tag, regexp) for tag, regexp in found if tag != "tag:yaml.org,2002:timestamp"]
        for first, found in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return type("PlainLoader", (base,), {"yaml_implicit_resolvers": resolvers})


# Bounds on what a document may hold. No settings, snapshot or rule document comes close;
# beyond them input is garbage or hostile, and would only fail somewhere less helpful
# (Python's recursion limit, its 4,300-digit limit on integers, memory, patience).
MAX_DOCUMENT_BYTES = 1024**2  # a settings or rule file, and any other small file alike
MAX_YAML_CHARS = 4 * 1024**2  # PyYAML reads well under a megabyte a second
MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_TEXT = 65_536  # characters in one value or key
# The whole numbers every JSON reader holds exactly (RFC 8259, section 6).
MAX_INTEGER = 2**53 - 1
_INTEGER_DIGITS = 40  # longer YAML or JSON integer text is beyond MAX_INTEGER (or padding)
_INTEGERS = f"from -{MAX_INTEGER} to {MAX_INTEGER} (2^53 - 1)"
_TOO_DEEP = (f"this is not a settings, snapshot or rule document: its lists and mappings are "
             f"nested more than {MAX_DEPTH} levels deep")


def _mib(size: int) -> str:
    return f"{size / 1024**2:g} MiB"


@dataclass
class Document:
    data: Any
    file: str
    text: str = field(repr=False)
    _lines: dict[JsonPath, int] | None = field(default=None, repr=False)
    _json_members: dict[JsonPath, _JsonMembers] = field(default_factory=dict, repr=False)

    def line_of(self, path: JsonPath) -> int | None:
        """The line where the value at path starts (or the nearest enclosing value's).

        JSON is searched along the path only, at the json module's speed; YAML (never more
        than MAX_YAML_CHARS) is composed again, with the nodes' lines.
        """
        if self.file.lower().endswith(".json"):
            return self._json_line(path)
        if self._lines is None:
            self._lines = {}
            node = _compose(self.text) if len(self.text) <= MAX_YAML_CHARS else None
            if node is not None:
                _record_lines(node, (), self._lines)
        for cut in range(len(path), -1, -1):
            line = self._lines.get(tuple(path[:cut]))
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


def _compose(text: str) -> yaml.Node | None:
    """The text's YAML nodes, which know their lines; None if it is not YAML at all."""
    import yaml

    for fast in (True, False):  # the Python parser reads a few escapes the C one refuses
        try:
            return yaml.compose(text, Loader=_plain_loader(fast))
        except yaml.YAMLError:
            continue
    return None


def _record_lines(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int]) -> None:
    import yaml  # here and below rather than at the top: `auditor --help` reads no YAML

    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


class _YamlSyntaxError(InputError):
    """Text that is not YAML at all (as opposed to YAML holding what is refused)."""


def _yaml_data(text: str, file: str) -> Any:
    import yaml

    try:
        return _construct_text(text, file, fast=True)
    except yaml.YAMLError:
        pass  # not YAML to the C parser: the Python parser says why, in its own words
    try:
        return _construct_text(text, file, fast=False)
    except yaml.reader.ReaderError as exc:
        raise _YamlSyntaxError(
            f"this is not valid YAML: it holds a character YAML does not allow "
            f"(#x{exc.character:04x}).", file=file,
            line=text.count("\n", 0, exc.position) + 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise _YamlSyntaxError(
            syntax_problem(exc.problem, mark.column + 1 if mark else None),
            file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise _YamlSyntaxError(f"this is not valid YAML: {exc}.", file=file) from None


def _construct_text(text: str, file: str, *, fast: bool) -> Any:
    # The Python reader refuses a character YAML does not allow (a NUL) on creation.
    loader = _plain_loader(fast)(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _construct(loader, node, file, [MAX_NODES])
    finally:
        loader.dispose()


_YAML_TAG = "tag:yaml.org,2002:"
_STR, _INT = _YAML_TAG + "str", _YAML_TAG + "int"
_PLAIN_SCALARS = frozenset(_YAML_TAG + name for name in ("str", "int", "float", "bool", "null"))


def _construct(loader: yaml.SafeLoader, node: yaml.Node, file: str, budget: list[int]) -> Any:
    """Build plain data from a YAML node, refusing tags, duplicate and non-text keys.

    `budget` counts the values still allowed: aliases are expanded, so a small file of
    nested aliases ("billion laughs") would otherwise expand without bound.
    """
    import yaml

    budget[0] -= 1
    if budget[0] < 0:
        raise InputError(f"this is not a settings or rule document: it expands to more than "
                         f"{MAX_NODES:,} values (aliases referring to aliases?).", file=file)
    if isinstance(node, yaml.MappingNode):
        _require_tag(node, _YAML_TAG + "map", file)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise InputError("keys must be text, found a list or mapping.",
                                 file=file, line=line)
            key = _scalar(loader, key_node, file)
            if not isinstance(key, str):
                raise InputError(f"keys must be text, found {key!r}.", file=file, line=line)
            if key in result:
                raise InputError(
                    f"the key {quoted(key)} appears twice in the same mapping; keep one.",
                    file=file,
                    line=line,
                )
            result[key] = _construct(loader, value_node, file, budget)
        return result
    if isinstance(node, yaml.SequenceNode):
        _require_tag(node, _YAML_TAG + "seq", file)
        return [_construct(loader, item, file, budget) for item in node.value]
    assert isinstance(node, yaml.ScalarNode)  # the only other kind of node
    return _scalar(loader, node, file)


def _scalar(loader: yaml.SafeLoader, node: yaml.ScalarNode, file: str) -> Any:
    # A tag may only repeat what the value is anyway (!!int 5), or say it is text (!!str 5).
    untagged: str = _STR
    if not node.style:  # a plain scalar (style None, or "" from the C parser): tag from its text
        untagged = loader.resolve(  # type: ignore[no-untyped-call]  # untyped in the stubs
            type(node), node.value, (True, False))
    # Implicit tags beyond plain data (the merge key <<, the value key =) are refused too.
    _require_tag(node, untagged if untagged in _PLAIN_SCALARS else _STR, file, also=_STR)
    if node.tag == _INT and len(node.value) > _INTEGER_DIGITS:
        return _Oversized(node.value)  # int() would refuse it with a traceback
    return loader.construct_object(node)


def _require_tag(node: yaml.Node, expected: str, file: str, also: str = "") -> None:
    if node.tag in (expected, also):
        return
    tag = node.tag
    name = "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag
    merge = " (the merge key <<)" if tag == _YAML_TAG + "merge" else ""
    raise InputError(
        f"the YAML tag {quoted(_cut(name))}{merge} is not allowed: only plain data is read "
        "(text, numbers, true, false, null, lists and mappings), without tags.",
        file=file, line=node.start_mark.line + 1)


def _cut(text: str, most: int = 60) -> str:
    return text if len(text) <= most else text[: most - 3] + "..."


class _Oversized:
    """Integer text too long to convert; kept so the problem is reported with its path."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return _cut(self.text, 20)


def _json_integer(text: str) -> int | _Oversized:
    return _Oversized(text) if len(text) > _INTEGER_DIGITS else int(text)


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
        raise InputError(f"{_TOO_DEEP}.", file=file) from None


def parse_document(text: str, file: str) -> Document:
    """Parse JSON (for a .json file) or YAML text into a Document of plain data."""
    if file.lower().endswith(".json"):
        data = _json_data(text, file)
    elif len(text) > MAX_YAML_CHARS:
        raise InputError(f"this YAML document is over {_mib(MAX_YAML_CHARS)}, more than YAML "
                         "is read for; write a document this large as JSON, in a .json file.",
                         file=file)
    else:
        try:
            data = _yaml_data(text, file)
        except RecursionError:
            raise InputError(f"{_TOO_DEEP}, or an alias refers to itself.", file=file) from None
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
        return _yaml_data(text, "")
    except _YamlSyntaxError:
        return text


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
            return (), f"{_TOO_DEEP}."
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
    if isinstance(value, _Oversized):
        return (f"a whole number written with {len(value.text):,} characters is beyond the "
                f"whole numbers this tool reads, {_INTEGERS}.")
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if abs(value) > MAX_INTEGER:
            return f"{value} is beyond the whole numbers this tool reads, {_INTEGERS}."
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (
            f"{value} is not a number this tool reads: numbers must be finite, not NaN or "
            "infinity.")
    return f"a value of type {type(value).__name__} is not plain data."


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
    # As reading in text mode would: every line break becomes \n.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                       (stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return kind
    return "special file"


def load_document(path: Path, what: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> Document:
    """Read and parse a file; `what` names it in errors ("settings file")."""
    return parse_document(read_text_file(path, what, max_bytes), str(path))


# --- schemas -------------------------------------------------------------------------



@cache
def load_schema(name: str) -> dict[str, Any]:
    source = resources.files("auditor.documents") / "schemas" / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return schema


@cache
def _registry() -> Registry:
    from referencing import Registry, Resource

    schemas = [load_schema(name) for name in SCHEMA_NAMES]
    registry: Registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    return registry


def _is_date(value: object) -> bool:
    if isinstance(value, str):
        parse_date(value)
    return True


def _is_date_time(value: object) -> bool:
    if isinstance(value, str):
        parse_timestamp(value)
    return True


@cache
def _format_checker() -> jsonschema.FormatChecker:
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date", raises=ValueError)(_is_date)
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    return checker


@cache
def _validator_class(name: str) -> type[jsonschema.Draft202012Validator]:
    """Draft 2020-12, with the valid items of long arrays (a snapshot's teammates) passed
    by predicates compiled from the schema `name` (see fast_items.py)."""
    import jsonschema

    from auditor.documents.fast_items import fast_items_validator

    return fast_items_validator(jsonschema.Draft202012Validator, _format_checker(),
                                load_schema(name))


def validator_for(name: str) -> jsonschema.Draft202012Validator:
    return _validator_class(name)(
        load_schema(name), registry=_registry(), format_checker=_format_checker()
    )


@cache
def part_validator(name: str, pointer: str) -> jsonschema.Draft202012Validator:
    """A validator for one part of a shipped schema, e.g. a snapshot item's definition."""
    ref = {"$ref": f"{load_schema(name)['$id']}#{pointer}"}
    return _validator_class(name)(ref, registry=_registry(), format_checker=_format_checker())


ERRORS_READ = 1000


def validate_document(doc: Document, schema_name: str, *, at: JsonPath = ()) -> None:
    """Raise an InputError naming every schema violation in doc.data, in file order (the
    first PROBLEMS_SHOWN of them, then how many more), so that one run shows all to fix."""
    instance = doc.data
    for part in at:
        instance = instance[part]
    # A snapshot whose every teammate is wrong would give 200,000 errors: the first
    # ERRORS_READ are enough to show and to count "at least".
    errors = list(islice(validator_for(schema_name).iter_errors(instance), ERRORS_READ + 1))
    if not errors:
        return
    problems = sorted((problem for error in errors[:ERRORS_READ]
                       for problem in _located(doc, error, at)),
                      key=lambda problem: (problem.line is None, problem.line or 0))
    if len(problems) == 1:
        raise problems[0]
    listed = " ".join(f"({number}) {_without_file(problem)}"
                      for number, problem in enumerate(problems[:PROBLEMS_SHOWN], 1))
    more = len(problems) - PROBLEMS_SHOWN
    floor = "at least " if len(errors) > ERRORS_READ else ""
    tail = f" And {floor}{more:,} more." if more > 0 else ""
    raise InputError(f"{floor}{len(problems):,} problems, in file order: {listed}{tail}",
                     file=doc.file)


PROBLEMS_SHOWN = 20


def _located(doc: Document, error: ValidationError, at: JsonPath) -> list[InputError]:
    """One violation as InputErrors at their lines and JSON paths: one for each unknown
    key, pointing at the key itself, so that the line given is the one to fix."""
    error = _most_relevant([error])
    path: JsonPath = (*at, *error.absolute_path)
    if error.validator == "additionalProperties":
        known = sorted((error.schema if isinstance(error.schema, dict) else {})
                       .get("properties", {}))
        return [doc.error(_unknown_key(key, known), (*path, key))
                for key in _unknown_keys(error)]
    return [doc.error(describe_violation(error), path)]


def _without_file(problem: InputError) -> str:
    # The file is named once, before the list.
    return InputError(problem.problem, line=problem.line, path=problem.path).render()


def _relevance(error: ValidationError) -> tuple[int, int]:
    # Prefer the deepest error: it points at the value the user has to change.
    return (len(error.absolute_path), -len(error.context or []))


def _most_relevant(errors: list[ValidationError]) -> ValidationError:
    """The deepest error; inside a oneOf, the deepest of the branch the user meant."""
    best = max(errors, key=_relevance)
    while best.validator in ("oneOf", "anyOf") and best.context:
        branch = _intended_branch(best)
        if branch is None:
            break
        best = max(branch, key=_relevance)
    return best


def _intended_branch(error: ValidationError) -> list[ValidationError] | None:
    """The errors of the one alternative of a oneOf the value was evidently meant to be,
    or None when that is not clear (the oneOf's own message then says what is allowed).

    Without this, a mistake deep inside a snapshot's source section would be reported
    as "does not have any of the shapes allowed" against the whole section.
    """
    depth = len(error.absolute_path)
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    candidates = list(branches.values())
    # Rule out the alternatives whose JSON type the value does not even have (an object
    # where null is allowed), then those whose discriminating key (a source's "status")
    # has another value; unless that rules out all of them.
    for validators, at_depth in ((("type",), depth), (("const", "enum"), depth + 1)):
        candidates = [
            errs for errs in candidates
            if not any(e.validator in validators and len(e.absolute_path) == at_depth
                       for e in errs)
        ] or candidates
    if len(candidates) == 1:
        return candidates[0]
    reach = sorted(
        (max(len(e.absolute_path) for e in errs), index) for index, errs in enumerate(candidates)
    )
    if reach[-1][0] == reach[-2][0]:
        return None
    return candidates[reach[-1][1]]


# The most characters of a value a message shows: a list of 50,000 items, or a text of
# a megabyte, would otherwise make the message.
SHOWN_CHARS = 60


def shown(value: Any) -> str:
    """A value as JSON for a message: cut to SHOWN_CHARS, escaped where it is not
    printable, and with email addresses masked (a message may end up in a CI log)."""
    preview = _preview(value)
    text = json.dumps(preview, ensure_ascii=False, default=repr)
    if not text.isprintable():
        text = json.dumps(preview, default=repr)
    return _cut(mask_emails(text), SHOWN_CHARS)


def _preview(value: Any) -> Any:
    """Enough of the value to fill SHOWN_CHARS, however large it is: JSON of the whole
    would cost what the value does."""
    if isinstance(value, dict):
        return {key: _preview(item) for key, item in list(value.items())[:SHOWN_CHARS // 4]}
    if isinstance(value, list):
        return [_preview(item) for item in value[:SHOWN_CHARS // 2]]
    if isinstance(value, str):
        return value[:SHOWN_CHARS * 2]  # room for the escapes, and for masking to shorten
    return value


def _expected_type(schema_type: Any) -> str:
    names = {"integer": "a whole number", "number": "a number", "string": "text",
             "boolean": "true or false", "null": "null", "object": "a mapping",
             "array": "a list"}
    types: list[str] = schema_type if isinstance(schema_type, list) else [schema_type]
    return " or ".join(names.get(t, t) for t in types)


def _unknown_keys(error: ValidationError) -> list[str]:
    """The keys an additionalProperties error is about, in a stable order."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance: dict[str, Any] = error.instance  # type: ignore[assignment]
    return sorted(set(instance) - set(schema.get("properties", {})))


def _unknown_key(key: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"unknown key {quoted(key)}.{hint} Expected one of: {', '.join(known)}."


def describe_violation(error: ValidationError) -> str:
    """Say in plain words what was expected where the document went wrong."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    match error.validator:
        case "additionalProperties":
            return _unknown_key(_unknown_keys(error)[0], sorted(schema.get("properties", {})))
        case "required":
            missing = str(error.message).split("'")[1] if "'" in error.message else error.message
            return f"the required key '{missing}' is missing."
        case "enum":
            choices = ", ".join(shown(v) for v in schema["enum"])
            return f"expected one of {choices}; found {shown(error.instance)}."
        case "const":
            return f"expected {shown(schema['const'])}; found {shown(error.instance)}."
        case "type":
            return (
                f"expected {_expected_type(schema['type'])}; found {shown(error.instance)}."
            )
        case "format":
            fmt = str(schema.get("format"))
            shape = {"date": "a date written YYYY-MM-DD",
                     "date-time": "a timestamp with a time zone, like 2026-11-20T09:30:00Z "
                                  "(RFC 3339)"}
            # The checker's reason, when it says more than "not in this form".
            cause = str(error.cause or "")
            why = ("" if not cause or cause.startswith("not ")
                   else f" {cause[:1].upper()}{cause[1:]}.")
            return f"expected {shape.get(fmt, fmt)}; found {shown(error.instance)}.{why}"
        case "minimum" | "minLength":
            return f"{error.message}."  # a number, or text shorter than a bound: short
        case "maxItems" | "minItems":
            bound = "at most" if error.validator == "maxItems" else "at least"
            limit: int = schema[error.validator]
            count: int = len(error.instance)  # type: ignore[arg-type]
            return (f"expected a list of {bound} {limit:,} item{'s' if limit != 1 else ''}; "
                    f"found {count:,}.")
        case "oneOf" | "anyOf":
            return (
                f"{shown(error.instance)} does not have any of the shapes allowed here "
                "(see `auditor schema` for them)."
            )
    # jsonschema's own words hold the whole value: cut them.
    return f"{_cut(mask_emails(str(error.message)), 2 * SHOWN_CHARS)}."
