"""Snapshot variants for the rule tests, and a one-call way to evaluate a rule.

Every helper returns a fresh deep copy, so a test can never leak a mutation into
another. Paths are dotted, with list indices as numbers:
`with_value(snap, "intercom.teammates.0.has_inbox_seat", False)`.
A path that does not exist is an error, not a silent no-op: a typo must fail the test
rather than leave the example untouched and let it pass.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from auditor.documents.load import Document
from auditor.documents.snapshot import check_snapshot, load_snapshot
from auditor.engine.catalogue import Rule, load_rules, resolve_params
from auditor.engine.evaluate import Finding, evaluate, evaluate_rule

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_NAMES = ("compliant", "misconfigured", "partial")

APP = "settings.intercom_salesforce_app"

# Stand-ins for evidence that is not there, in the snapshot's own shapes.
SKIPPED = {"status": "skipped", "reason": "the user passed --skip"}
UNAVAILABLE = {"status": "unavailable", "reason": "401 INVALID_SESSION_ID"}
ITEM_UNAVAILABLE = {"status": "unavailable", "reason": "403 INSUFFICIENT_ACCESS on OauthToken"}


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE: Any = _Delete()
"""As a value in `changed(...)`: remove the key instead of setting it."""


@cache
def _example(name: str) -> dict[str, Any]:
    return load_snapshot(EXAMPLES / f"{name}.snapshot.json")


def example(name: str) -> dict[str, Any]:
    """A deep copy of one of the shipped example snapshots (validated on first load)."""
    return copy.deepcopy(_example(name))


def compliant_snapshot() -> dict[str, Any]:
    return example("compliant")


def _parent(snapshot: dict[str, Any], path: str) -> tuple[Any, str | int]:
    *parents, last = path.split(".")
    node: Any = snapshot
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, int(last) if isinstance(node, list) else last


def with_value(
    snapshot: dict[str, Any], path: str, value: Any, *, create: bool = False
) -> dict[str, Any]:
    """A copy with the value at path replaced (or added, with create=True)."""
    result = copy.deepcopy(snapshot)
    parent, key = _parent(result, path)
    exists = key in parent if isinstance(parent, dict) else int(key) < len(parent)
    if not (exists or create):
        raise KeyError(f"{path} is not in the snapshot; pass create=True to add it")
    parent[key] = copy.deepcopy(value)
    return result


def without(snapshot: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy with the key at path removed."""
    result = copy.deepcopy(snapshot)
    parent, key = _parent(result, path)
    del parent[key]
    return result


def changed(snapshot: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with each path set to its value, or removed where the value is DELETE."""
    for path, value in changes.items():
        snapshot = without(snapshot, path) if value is DELETE else with_value(snapshot, path, value)
    return snapshot


def validated(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The snapshot, after checking it against the schema: a test of an impossible
    snapshot would prove nothing about a real one."""
    return check_snapshot(Document(data=snapshot, file="<test snapshot>", text=""))


# --- evaluating -----------------------------------------------------------------------


@cache
def rules() -> tuple[Rule, ...]:
    return tuple(load_rules())


def rule(rule_id: str) -> Rule:
    for candidate in rules():
        if candidate.id == rule_id:
            return candidate
    raise KeyError(rule_id)


RULE_IDS: tuple[str, ...] = tuple(r.id for r in rules())


def run(
    rule_id: str,
    snapshot: dict[str, Any],
    params: Mapping[str, Any] | None = None,
    *,
    show_emails: bool = False,
) -> Finding:
    """Evaluate one rule; params are --param style overrides without the rule id."""
    overrides = {f"{rule_id}.{name}": value for name, value in (params or {}).items()}
    resolved = resolve_params(list(rules()), overrides)
    return evaluate_rule(rule(rule_id), snapshot, resolved[rule_id], show_emails=show_emails)


def run_all(snapshot: dict[str, Any], *, show_emails: bool = False) -> list[Finding]:
    return evaluate(rules(), snapshot, resolve_params(list(rules()), {}), show_emails=show_emails)


def statuses(snapshot: dict[str, Any]) -> dict[str, str]:
    return {finding.rule.id: finding.status for finding in run_all(snapshot)}
