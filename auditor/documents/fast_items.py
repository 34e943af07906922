"""Validating the items of long arrays at the speed of plain Python.

jsonschema checks a snapshot's 200,000 teammates in about ten seconds: every keyword of
every item goes through its dispatch, a new validator and a reference lookup. Most
items are valid, and their schemas use a handful of keywords; for those, a predicate
compiled once per schema says "valid" in microseconds. An item the predicate does not
pass, and every schema using a keyword it does not know, goes through jsonschema as
before, so the errors reported are jsonschema's, word for word.

A predicate answers exactly as jsonschema would (never "valid" for an invalid item): it
knows only keywords whose meaning it reproduces in full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

Predicate = Callable[[Any], bool]

# Keywords that say nothing about validity.
_ANNOTATIONS = frozenset({"description", "title", "$comment", "examples", "default"})


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Predicate] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    # As jsonschema: 1.0 is an integer too.
    "integer": lambda v: _is_number(v) and (isinstance(v, int) or float(v).is_integer()),
}
# Constants compared exactly: text, true, false, null (numbers would need JSON equality).
_PLAIN_CONSTANTS = (str, bool, type(None))


def _same(value: Any, constant: Any) -> bool:
    return type(value) is type(constant) and value == constant


def _all_of(checks: list[Predicate]) -> Predicate:
    if len(checks) == 1:
        return checks[0]

    def all_of(value: Any) -> bool:
        return all(check(value) for check in checks)
    return all_of


class _Compiler:
    """Compiles the subschemas of one schema document; None for what it cannot mirror."""

    def __init__(self, root: Mapping[str, Any], formats: jsonschema.FormatChecker) -> None:
        self.root = root
        self.formats = formats
        self.done: dict[int, Predicate | None] = {}
        # A `#/...` reference means this document only inside it: any subschema from
        # elsewhere (another shipped schema) is left to jsonschema.
        self.nodes = set(_mapping_ids(root))

    def compile(self, schema: Any) -> Predicate | None:
        key = id(schema)
        if isinstance(schema, Mapping) and key not in self.nodes:
            return None
        if key not in self.done:
            self.done[key] = None  # a schema that refers to itself is left to jsonschema
            self.done[key] = self._compile(schema)
        return self.done[key]

    def _compile(self, schema: Any) -> Predicate | None:
        if schema is True:
            return lambda value: True
        if not isinstance(schema, Mapping):
            return None
        checks: list[Predicate] = []
        for keyword, argument in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            check = self._keyword(keyword, argument, schema)
            if check is None:
                return None
            checks.append(check)
        return _all_of(checks)

    def _keyword(self, keyword: str, argument: Any,
                 schema: Mapping[str, Any]) -> Predicate | None:
        match keyword:
            case "type":
                names = argument if isinstance(argument, list) else [argument]
                if not all(name in _TYPES for name in names):
                    return None
                tests = [_TYPES[name] for name in names]
                return tests[0] if len(tests) == 1 else (
                    lambda value: any(test(value) for test in tests))
            case "$ref":
                return self._ref(argument)
            case "properties":
                return self._properties(argument)
            case "required":
                needed = frozenset(argument)
                return lambda value: not isinstance(value, dict) or needed.issubset(value)
            case "additionalProperties":
                return self._additional(argument, schema)
            case "items" if "prefixItems" not in schema:
                each = self.compile(argument)
                return None if each is None else (
                    lambda value: not isinstance(value, list) or all(each(v) for v in value))
            case "const" if isinstance(argument, _PLAIN_CONSTANTS):
                return lambda value: _same(value, argument)
            case "enum" if all(isinstance(c, _PLAIN_CONSTANTS) for c in argument):
                return lambda value: any(_same(value, c) for c in argument)
            case "minimum":
                return lambda value: not _is_number(value) or value >= argument
            case "maximum":
                return lambda value: not _is_number(value) or value <= argument
            case "minLength":
                return lambda value: not isinstance(value, str) or len(value) >= argument
            case "maxItems":
                return lambda value: not isinstance(value, list) or len(value) <= argument
            case "format":
                return lambda value: self.formats.conforms(value, argument)
            case "oneOf":
                branches = [self.compile(branch) for branch in argument]
                if any(branch is None for branch in branches):
                    return None
                known = [branch for branch in branches if branch is not None]
                return lambda value: sum(1 for branch in known if branch(value)) == 1
        return None

    def _ref(self, reference: Any) -> Predicate | None:
        if not isinstance(reference, str) or not reference.startswith("#/"):
            return None  # another document: left to jsonschema's registry
        target: Any = self.root
        for part in reference[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                return None
            target = target[part]
        return self.compile(target)

    def _properties(self, properties: Mapping[str, Any]) -> Predicate | None:
        compiled = {name: self.compile(sub) for name, sub in properties.items()}
        if any(check is None for check in compiled.values()):
            return None
        known = [(name, check) for name, check in compiled.items() if check is not None]

        def check_properties(value: Any) -> bool:
            if isinstance(value, dict):
                for name, check in known:
                    if name in value and not check(value[name]):
                        return False
            return True
        return check_properties

    def _additional(self, argument: Any, schema: Mapping[str, Any]) -> Predicate | None:
        if "patternProperties" in schema:
            return None
        declared = frozenset(schema.get("properties", {}))
        if argument is False:
            return lambda value: not isinstance(value, dict) or declared.issuperset(value)
        each = self.compile(argument)
        return None if each is None else (lambda value: not isinstance(value, dict) or all(
            each(item) for key, item in value.items() if key not in declared))


def _mapping_ids(value: Any) -> Iterator[int]:
    if isinstance(value, Mapping):
        yield id(value)
        for item in value.values():
            yield from _mapping_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _mapping_ids(item)


def fast_items_validator(base: type[jsonschema.Draft202012Validator],
                         formats: jsonschema.FormatChecker,
                         root: Mapping[str, Any]) -> type[jsonschema.Draft202012Validator]:
    """The base validator with an `items` keyword that lets compiled predicates pass the
    valid items of arrays in the schema document `root`, and jsonschema check the rest."""
    import jsonschema

    compiler = _Compiler(root, formats)
    checked_by_jsonschema = base.VALIDATORS["items"]

    def items(validator: jsonschema.Draft202012Validator, schema_items: Any,
              instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
        check = compiler.compile(schema_items) if "prefixItems" not in schema else None
        if check is None or not isinstance(instance, list):
            yield from checked_by_jsonschema(validator, schema_items, instance, schema)
            return
        for index, item in enumerate(instance):
            if not check(item):
                yield from validator.descend(item, schema_items, path=index)

    extended: type[jsonschema.Draft202012Validator] = jsonschema.validators.extend(  # type: ignore[no-untyped-call]  # untyped
        base, {"items": items})
    return extended
