"""Checks exchanges with the Intercom emulator against Intercom's own OpenAPI description.

The description lives outside the project, in ../shared/reference next to the repository;
where it is absent the checks are skipped by the tests that use them. It is 1.3 MB of
YAML, so it is parsed once per test session.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.emulators.intercom import Exchange

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = REPO_ROOT.parent / "shared" / "reference" / "intercom-openapi-2.16.yaml"
SPEC_MISSING = f"Intercom's OpenAPI description is not at {SPEC_PATH}"
_URI = "urn:intercom-openapi"

# Query parameters the 2.16 description leaves out that next-page requests carry. The
# 2.17 reference documents `page` for the activity-log list, and a search next link that
# sets `page` and `per_page` (1..250) in the query; `starting_after` is the cursor of the
# 2.16 description's own `pages.next` object, sent back the way Intercom's lists take it.
# Older references allow /admins a `pages` object too; its next link is followed as sent.
UNDECLARED_QUERY: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("get", "/admins"): {"page": {"type": "integer", "minimum": 1}},
    ("get", "/admins/activity_logs"): {
        "page": {"type": "integer", "minimum": 1},
        "starting_after": {"type": "string"},
    },
    ("post", "/admins/activity_logs/search"): {
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": 250},
    },
}
# Answers later references describe otherwise than 2.16: the activity-log lists' `pages`
# may be the 2.16 cursor object or the pages_link of later references (`next` a URL).
LATER_ANSWERS: dict[tuple[str, ...], dict[str, Any]] = {
    ("components", "schemas", "activity_log_list", "properties", "pages"): {"anyOf": [
        {"$ref": "#/components/schemas/cursor_pages"},
        {"$ref": "#/components/schemas/pages_link"},
    ]},
}


def _pointer(*parts: str | int) -> str:
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "#/" + "/".join(escaped)


def _typeless_nullable(node: Any) -> Any:
    """The description with `nullable: true` honoured on schemas that have no `type`.

    OAS 3.0.3 made `nullable` meaningless without a `type` in the same schema, and the
    validator follows 3.0.3. This description declares 3.0.1 and marks, for instance,
    the search filter's `value` (a oneOf) nullable so that `"value": null` matches a
    missing attribute; that reading is kept by allowing null explicitly.
    """
    if isinstance(node, list):
        return [_typeless_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: _typeless_nullable(value) for key, value in node.items()}
    if copy.get("nullable") is True and "type" not in copy:
        del copy["nullable"]
        return {"anyOf": [{"enum": [None]}, copy]}
    return copy


def _with_later_answers(spec: dict[str, Any]) -> dict[str, Any]:
    for (*parents, last), schema in LATER_ANSWERS.items():
        node = spec
        for key in parents:
            node = node[key]
        node[last] = schema
    return spec


class OpenApi:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = _with_later_answers(_typeless_nullable(spec))
        self._registry: Registry[Any] = Registry().with_resource(
            _URI, Resource.from_contents(self.spec, default_specification=DRAFT4)
        )

    @property
    def version(self) -> str:
        return str(self.spec["info"]["version"])

    @property
    def api_versions(self) -> list[str]:
        return list(self.spec["components"]["schemas"]["intercom_version"]["enum"])

    def errors(self, pointer: str, instance: Any) -> list[str]:
        """Validation errors of `instance` against the schema at `pointer` in the spec."""
        validator = OAS30Validator(
            {"$ref": _URI + pointer}, registry=self._registry, format_checker=oas30_format_checker
        )
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(instance)
        ]

    def request_problems(self, exchange: Exchange) -> list[str]:
        method, path = exchange.method.lower(), exchange.path
        operation = self.spec["paths"].get(path, {}).get(method)
        if operation is None:
            return [f"{exchange.endpoint} is not an operation of the description"]
        problems = list(self._parameter_problems(exchange, operation))
        problems += self._body_problems(exchange, operation)
        if not exchange.headers.get("authorization", "").startswith("Bearer "):
            problems.append("no bearer token (the description's security scheme)")
        return [f"{exchange.endpoint} request: {p}" for p in problems]

    def response_problems(self, exchange: Exchange) -> list[str]:
        if exchange.status is None or exchange.injected:
            return []  # no answer (a dropped connection), or one broken on purpose
        operation = self.spec["paths"].get(exchange.path, {}).get(exchange.method.lower())
        if operation is None:
            return [f"{exchange.endpoint} is not an operation of the description"]
        responses = operation["responses"]
        key = str(exchange.status) if str(exchange.status) in responses else "default"
        if key in responses:
            pointer = _pointer("paths", exchange.path, exchange.method.lower(), "responses",
                               key, "content", "application/json", "schema")
        elif exchange.status >= 400:
            # Statuses an operation does not list (403, 429, 5xx) still carry Intercom's
            # generic error object.
            pointer = _pointer("components", "schemas", "error")
        else:
            return [f"{exchange.endpoint}: status {exchange.status} is not described"]
        return [f"{exchange.endpoint} {exchange.status} answer: {e}"
                for e in self.errors(pointer, exchange.response)]

    def _parameter_problems(self, exchange: Exchange, operation: dict[str, Any]) -> Iterator[str]:
        method, path = exchange.method.lower(), exchange.path
        declared: set[str] = set()
        for index, parameter in enumerate(operation.get("parameters", [])):
            where, name = parameter["in"], parameter["name"]
            if where == "query":
                declared.add(name)
                values = exchange.query.get(name)
                raw = values[-1] if values else None
            else:
                raw = exchange.headers.get(name.lower())
            if raw is None:
                if parameter.get("required"):
                    yield f"required {where} parameter {name} is missing"
                continue
            pointer = _pointer("paths", path, method, "parameters", index, "schema")
            yield from self._value_problems(name, raw, pointer)
        extra = UNDECLARED_QUERY.get((method, path), {})
        for name, values in exchange.query.items():
            if name in declared:
                continue
            if name not in extra:
                yield f"query parameter {name} is not declared"
                continue
            local = OAS30Validator(extra[name])
            yield from (f"{name}: {e.message}"
                        for e in local.iter_errors(_coerce(values[-1], extra[name])))

    def _value_problems(self, name: str, raw: str, pointer: str) -> Iterator[str]:
        schema = self._resolve(pointer)
        try:
            value = _coerce(raw, schema)
        except ValueError:
            yield f"{name}={raw!r} is not a {schema.get('type')}"
            return
        yield from (f"{name}: {e}" for e in self.errors(pointer, value))

    def _body_problems(self, exchange: Exchange, operation: dict[str, Any]) -> list[str]:
        described = operation.get("requestBody")
        if described is None:
            return [] if exchange.body is None else ["sends a body the operation does not take"]
        if exchange.body is None:
            return ["the request body is missing"] if described.get("required") else []
        pointer = _pointer("paths", exchange.path, exchange.method.lower(), "requestBody",
                           "content", "application/json", "schema")
        return [f"body: {e}" for e in self.errors(pointer, exchange.body)]

    def _resolve(self, pointer: str) -> dict[str, Any]:
        node: Any = self.spec
        for part in pointer.removeprefix("#/").split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        while isinstance(node, dict) and "$ref" in node:
            node = self._resolve(node["$ref"])
        return dict(node)


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    """A query or header value, typed as its schema says (they all travel as text)."""
    kind = schema.get("type")
    if kind == "integer":
        return int(raw)
    if kind == "number":
        return float(raw)
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise ValueError(raw)
        return raw == "true"
    return raw


@functools.cache
def load_openapi() -> OpenApi | None:
    """The parsed description, or None where ../shared is absent."""
    if not SPEC_PATH.is_file():
        return None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_PATH.open(encoding="utf-8") as stream:
        return OpenApi(yaml.load(stream, Loader=loader))


def exchange_problems(openapi: OpenApi, exchanges: list[Exchange]) -> list[str]:
    return [
        problem
        for exchange in exchanges
        for problem in openapi.request_problems(exchange) + openapi.response_problems(exchange)
    ]
