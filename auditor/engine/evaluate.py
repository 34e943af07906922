"""The rule engine: evaluates each rule against a snapshot and returns findings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from auditor.documents.snapshot import parse_timestamp
from auditor.documents.vocabulary import STATUSES as STATUSES  # re-exported
from auditor.engine.checks import CHECKS, CheckInput, Outcome
from auditor.engine.consistency import Problem, find_problems
from auditor.engine.evidence import Found, Missing, Provenance, lookup
from auditor.engine.messages import render_message
from auditor.engine.rule import Rule, with_params


class Finding(NamedTuple):
    rule: Rule
    status: str
    message: str
    evidence: dict[str, Any]
    provenance: tuple[Provenance, ...]
    missing: tuple[Missing, ...] = ()
    # A live waiver that accepted this finding (status "waived"), or one that expired.
    waiver: dict[str, Any] | None = None

    @property
    def basis(self) -> str:
        """The kinds of evidence the finding rests on: the rule's, plus any optional read
        that was found (an unknown finding still says what it would rest on)."""
        kinds = {p.kind for p in self.provenance} | set(self.rule.basis.split("+"))
        return "+".join(sorted(kinds))


def _holds(schema: dict[str, Any], values: dict[str, Any], params: dict[str, Any]) -> bool:
    import jsonschema  # here, not at the top: slow to import, and `auditor --help` needs none

    return bool(jsonschema.Draft202012Validator(with_params(schema, params)).is_valid(values))


def _not_applicable(
    rule: Rule, values: dict[str, Any], found: set[str], params: dict[str, Any]
) -> bool:
    # The condition only speaks about values that were found: a schema over a missing
    # value (or over the default standing in for one) would hold vacuously and hide an
    # unknown behind not_applicable.
    schema = rule.not_applicable_when
    if schema is None:
        return False
    needed = schema.get("properties", {}).keys()
    return all(name in found for name in needed) and _holds(schema, values, params)


def _unknown_message(missing: Iterable[Missing]) -> str:
    # Two reads spoiled by one cause describe it alike: say it once.
    return "Cannot be verified. " + " ".join(dict.fromkeys(m.describe() for m in missing))


def evaluate_rule(
    rule: Rule,
    snapshot: dict[str, Any],
    params: dict[str, Any],
    *,
    show_emails: bool = False,
    problems: tuple[Problem, ...] | None = None,
) -> Finding:
    """problems: the snapshot's consistency problems, when the caller has found them."""
    if problems is None:
        problems = find_problems(snapshot)
    values: dict[str, Any] = {}
    found: set[str] = set()
    provenance: list[Provenance] = []
    missing: list[Missing] = []
    for name, read in rule.reads.items():
        result = lookup(snapshot, read.path, problems)
        if isinstance(result, Found):
            values[name] = result.value
            found.add(name)
            provenance.append(result.provenance)
        elif read.optional or read.has_default:
            values[name] = read.default
        else:
            missing.append(result)

    def finding(status: str, message: str, evidence: dict[str, Any] | None = None) -> Finding:
        if evidence is None:
            # A check's raw inputs may hold customer data that only the check knows how
            # to mask, so they are shown only through the check's own evidence.
            evidence = {} if rule.check else values
        return Finding(rule, status, message, evidence, tuple(provenance), tuple(missing))

    variables = {**values, "params": params}
    if _not_applicable(rule, values, found, params):
        return finding("not_applicable", render_message(rule.messages["not_applicable"], variables))
    if missing:
        return finding("unknown", _unknown_message(missing))
    if rule.check is not None:
        as_of = parse_timestamp(snapshot["created_at"])
        outcome: Outcome = CHECKS[rule.check](
            CheckInput(values=values, params=params, as_of=as_of, show_emails=show_emails)
        )
        return finding(outcome.status, outcome.message, outcome.evidence)
    assert rule.expect is not None  # the rule schema requires expect or check
    status = "pass" if _holds(rule.expect, values, params) else "fail"
    return finding(status, render_message(rule.messages[status], variables))


def evaluate(
    rules: Iterable[Rule],
    snapshot: dict[str, Any],
    params: dict[str, dict[str, Any]],
    *,
    show_emails: bool = False,
) -> list[Finding]:
    """Evaluate every rule as of the snapshot's created_at, on the evidence that survives
    the consistency checks."""
    problems = find_problems(snapshot)
    return [
        evaluate_rule(rule, snapshot, params[rule.id], show_emails=show_emails, problems=problems)
        for rule in rules
    ]

