"""A rule's messages tried on the example snapshots (examples/*.snapshot.json).

A message is a small template that only renders during an audit; trying it here finds
one that cannot render (a misspelt value, a filter on the wrong type) when the rule is
loaded, with the file named, instead of in the middle of someone's audit.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from auditor.documents.load import parse_document
from auditor.documents.snapshot import check_snapshot
from auditor.engine.evaluate import evaluate_rule
from auditor.engine.rule import Rule

ExampleSnapshot = tuple[str, dict[str, Any]]  # (its name for messages, the snapshot)


@cache
def example_snapshots() -> tuple[ExampleSnapshot, ...]:
    folder = resources.files("auditor.examples")
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".snapshot.json")),
                     key=lambda e: e.name)
    return tuple(
        (f"examples/{entry.name}",
         check_snapshot(parse_document(entry.read_text(encoding="utf-8"), entry.name)))
        for entry in entries
    )


def status_on(rule: Rule, snapshot: dict[str, Any]) -> str:
    """The rule's status on the snapshot, with its default parameters, found without
    rendering any message (they are all blanked)."""
    silent = rule._replace(messages=dict.fromkeys(rule.messages, ""))
    return evaluate_rule(silent, snapshot, rule.default_params()).status


def message_problem(rule: Rule, snapshots: tuple[ExampleSnapshot, ...]
                    ) -> tuple[str, str] | None:
    """(status, why) for the first message that fails to render on a snapshot where the
    rule comes out with that status; None when every one renders."""
    for name, snapshot in snapshots:
        status = status_on(rule, snapshot)
        if status not in rule.messages:
            continue
        try:
            evaluate_rule(rule, snapshot, rule.default_params())
        # The template is the rule author's code, so whatever it raises is their mistake.
        except Exception as exc:
            return status, f"on {name}, where the rule comes out {status}: {exc}"
    return None
