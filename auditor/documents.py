"""Reading YAML and JSON documents and validating them against the shipped schemas.

Every problem becomes an InputError naming the file, the line and the JSON path,
and saying what was expected. Line numbers are worked out only when an error needs
one, so large snapshots load at the speed of the json module.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from auditor.errors import InputError

JsonPath = tuple[str | int, ...]


def quoted(text: str) -> str:
    """'text' for a message, with line breaks and other control characters escaped,
    so a key or value from the user cannot break the message's single paragraph."""
    return "'" + (text if text.isprintable() else json.dumps(text)[1:-1]) + "'"


def format_path(path: Iterable[str | int]) -> str:
    text = "$"
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if part.isprintable() else f"[{json.dumps(part)}]"
    return text


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text: the schemas check their format."""


_PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Document:
    data: Any
    file: str
    text: str = field(repr=False)
    _lines: dict[JsonPath, int] | None = field(default=None, repr=False)

    def line_of(self, path: JsonPath) -> int | None:
        """The line where the value at path starts (or the nearest enclosing value's)."""
        if self._lines is None:
            self._lines = {}
            try:
                node = yaml.compose(self.text, Loader=_PlainLoader)
            except yaml.YAMLError:
                node = None
            if node is not None:
                _record_lines(node, (), self._lines)
        for cut in range(len(path), -1, -1):
            line = self._lines.get(tuple(path[:cut]))
            if line is not None:
                return line
        return None

    def error(self, problem: str, path: JsonPath = ()) -> InputError:
        return InputError(
            problem, file=self.file, line=self.line_of(path), path=format_path(path)
        )


def _record_lines(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


def _yaml_data(text: str, file: str) -> Any:
    try:
        # The reader already rejects characters YAML does not allow (a NUL, say).
        loader = _PlainLoader(text)
    except yaml.reader.ReaderError as exc:
        raise InputError(f"this is not valid YAML: it holds a character YAML does not allow "
                         f"(#x{exc.character:04x}).", file=file,
                         line=text.count("\n", 0, exc.position) + 1) from None
    try:
        node = loader.get_single_node()
        return None if node is None else _construct(loader, node, file, [MAX_NODES])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(
            f"this is not valid YAML: {exc.problem or exc}.", file=file, line=line
        ) from None
    except yaml.YAMLError as exc:
        raise InputError(f"this is not valid YAML: {exc}.", file=file) from None
    finally:
        loader.dispose()


def _construct(loader: _PlainLoader, node: yaml.Node, file: str, budget: list[int]) -> Any:
    """Build plain data from a YAML node, refusing duplicate and non-text keys.

    `budget` counts the values still allowed: aliases are expanded, so a small file of
    nested aliases ("billion laughs") would otherwise expand without bound.
    """
    budget[0] -= 1
    if budget[0] < 0:
        raise InputError(f"this is not a settings or rule document: it expands to more than "
                         f"{MAX_NODES:,} values (aliases referring to aliases?).", file=file)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
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
        return [_construct(loader, item, file, budget) for item in node.value]
    return loader.construct_object(node)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {quoted(key)} appears twice in the same object; keep one")
        result[key] = value
    return result


def parse_document(text: str, file: str) -> Document:
    """Parse JSON (for a .json file) or YAML text into a Document."""
    if file.lower().endswith(".json"):
        try:
            data = json.loads(text, object_pairs_hook=_reject_duplicates)
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
    else:
        try:
            data = _yaml_data(text, file)
        except RecursionError:
            raise InputError(f"{_TOO_DEEP}, or an alias refers to itself.", file=file) from None
    if _depth(data) > MAX_DEPTH:
        raise InputError(f"{_TOO_DEEP}.", file=file)
    return Document(data=data, file=file, text=text)


# No settings, snapshot or rule document comes close; deeper input is garbage, and would
# only reach Python's recursion limit somewhere less helpful.
MAX_DEPTH = 64
MAX_NODES = 200_000
_TOO_DEEP = (f"this is not a settings, snapshot or rule document: its lists and mappings are "
             f"nested more than {MAX_DEPTH} levels deep")


def _depth(data: Any) -> int:
    deepest = 0
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return deepest


def load_document(path: Path, what: str) -> Document:
    """Read and parse a file; `what` names it in errors ("settings file")."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"the {what} does not exist.", file=str(path)) from None
    except IsADirectoryError:
        raise InputError(f"expected a {what}, found a folder.", file=str(path)) from None
    except UnicodeDecodeError:
        raise InputError(f"the {what} is not UTF-8 text.", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"the {what} cannot be read: {exc.strerror}.", file=str(path)) from None
    return parse_document(text, str(path))


# --- schemas -------------------------------------------------------------------------

SCHEMA_NAMES = ("settings", "snapshot", "rule", "report")


@cache
def load_schema(name: str) -> dict[str, Any]:
    source = resources.files("auditor") / "schemas" / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return schema


@cache
def _registry() -> Registry:
    schemas = [load_schema(name) for name in SCHEMA_NAMES]
    registry: Registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    return registry


_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    # fromisoformat alone would also take 20261118 and the week date 2026-W47-1.
    if not isinstance(value, str):
        return True
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(date.fromisoformat(value))


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("no time zone")
    return "T" in value


def validator_for(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        load_schema(name), registry=_registry(), format_checker=_FORMATS
    )


def validate_document(doc: Document, schema_name: str, *, at: JsonPath = ()) -> None:
    """Raise an InputError for the most relevant schema violation in doc.data."""
    instance = doc.data
    for part in at:
        instance = instance[part]
    errors = list(validator_for(schema_name).iter_errors(instance))
    if not errors:
        return
    error = _most_relevant(errors)
    path: JsonPath = (*at, *error.absolute_path)
    if error.validator == "additionalProperties":
        # Point at the unknown key itself, so the line given is the one to fix.
        path = (*path, _unknown_keys(error)[0])
    problem = describe_violation(error)
    others = len(errors) - 1
    if others:
        problem += f" ({others} more problem{'s' if others > 1 else ''} after this one.)"
    raise doc.error(problem, path)


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


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


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


def describe_violation(error: ValidationError) -> str:
    """Say in plain words what was expected where the document went wrong."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    match error.validator:
        case "additionalProperties":
            known = sorted(schema.get("properties", {}))
            key = _unknown_keys(error)[0]
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            return f"unknown key {quoted(key)}.{hint} Expected one of: {', '.join(known)}."
        case "required":
            missing = str(error.message).split("'")[1] if "'" in error.message else error.message
            return f"the required key '{missing}' is missing."
        case "enum":
            choices = ", ".join(_shown(v) for v in schema["enum"])
            return f"expected one of {choices}; found {_shown(error.instance)}."
        case "const":
            return f"expected {_shown(schema['const'])}; found {_shown(error.instance)}."
        case "type":
            return (
                f"expected {_expected_type(schema['type'])}; found {_shown(error.instance)}."
            )
        case "format":
            fmt = str(schema.get("format"))
            shape = {"date": "a date written YYYY-MM-DD",
                     "date-time": "a timestamp with a time zone, like 2026-11-20T09:30:00Z"}
            return f"expected {shape.get(fmt, fmt)}; found {_shown(error.instance)}."
        case "minimum" | "minLength" | "maxItems" | "minItems":
            return f"{error.message}."
        case "oneOf" | "anyOf":
            return (
                f"{_shown(error.instance)} does not have any of the shapes allowed here "
                "(see `auditor schema` for them)."
            )
    return f"{error.message}."
