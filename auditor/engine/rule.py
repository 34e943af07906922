"""A rule: one file of rules/ (or of a --rules-dir) once read and checked."""

from __future__ import annotations

from typing import Any, NamedTuple

from auditor.documents.vocabulary import SEVERITIES as SEVERITIES  # re-exported


class Read(NamedTuple):
    path: str
    optional: bool = False
    has_default: bool = False
    default: Any = None


class Rule(NamedTuple):
    id: str
    title: str
    section: str
    severity: str
    basis: str
    rationale: str
    remediation: str
    reads: dict[str, Read]
    messages: dict[str, str]
    parameters: dict[str, dict[str, Any]]
    where: str | None = None
    references: tuple[dict[str, str], ...] = ()
    expect: dict[str, Any] | None = None
    not_applicable_when: dict[str, Any] | None = None
    check: str | None = None
    origin: str = ""
    order: int | None = None
    shipped_severity: str | None = None  # set when the run overrides the severity

    def with_severity(self, severity: str) -> Rule:
        if severity == self.severity:
            return self
        return self._replace(severity=severity,
                             shipped_severity=self.shipped_severity or self.severity)

    def default_params(self) -> dict[str, Any]:
        return {name: spec["default"] for name, spec in self.parameters.items()}


def with_params(schema: Any, params: dict[str, Any]) -> Any:
    """Replace each {"$param": NAME} in a schema with that parameter's value."""
    if isinstance(schema, dict):
        if set(schema) == {"$param"}:
            return params[schema["$param"]]
        return {key: with_params(value, params) for key, value in schema.items()}
    if isinstance(schema, list):
        return [with_params(item, params) for item in schema]
    return schema
