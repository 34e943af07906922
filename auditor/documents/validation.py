"""Validating documents against the shipped JSON Schemas, and saying what is wrong.

Every problem names the file, the line and the JSON path, in file order, up to a count;
values shown are cut short and customer emails masked.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from itertools import islice
from typing import TYPE_CHECKING, Any

from auditor.documents.errors import InputError, did_you_mean
from auditor.documents.load import Document, quoted
from auditor.documents.plain_data import JsonPath, cut
from auditor.documents.timestamps import parse_date, parse_timestamp
from auditor.documents.vocabulary import SCHEMA_NAMES
from auditor.safety.privacy import mask_emails
from auditor.safety.slots import environment_name
from auditor.safety.slots import shape as value_shape

if TYPE_CHECKING:  # jsonschema is imported where needed: it is slow to import
    import jsonschema
    from jsonschema.exceptions import ValidationError
    from referencing import Registry


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


# Below this size a document is validated by jsonschema alone: compiling the predicates
# and extending the validator class cost more (about 1 ms) than they save on so few items.
FAST_ITEMS_FROM = 256 * 1024  # characters of the document's text


def validator_for(name: str, size: int = FAST_ITEMS_FROM) -> jsonschema.Draft202012Validator:
    """A validator for the shipped schema `name`, for a document of `size` characters."""
    import jsonschema

    kind = _validator_class(name) if size >= FAST_ITEMS_FROM else jsonschema.Draft202012Validator
    return kind(load_schema(name), registry=_registry(), format_checker=_format_checker())


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
    validator = validator_for(schema_name, len(doc.text))
    errors = list(islice(validator.iter_errors(instance), ERRORS_READ + 1))
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
    return cut(mask_emails(text), SHOWN_CHARS)


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
    hint = did_you_mean(key, known)
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
        case "pattern" if ("credentials" in error.absolute_path
                           and not environment_name(str(error.instance).strip())):
            # Where a variable's name belongs, a value that is not one may be the secret
            # itself, pasted: it must not reach a log through the message. (A name with
            # a stray line break is shown, escaped, by the message below.)
            return (f"expected the name of an environment variable; found a value that "
                    f"{value_shape(str(error.instance))} (not shown, in case it is a secret).")
        case "oneOf" | "anyOf":
            return (
                f"{shown(error.instance)} does not have any of the shapes allowed here "
                "(see `auditor schema` for them)."
            )
    # jsonschema's own words hold the whole value: cut them.
    return f"{cut(mask_emails(str(error.message)), 2 * SHOWN_CHARS)}."
