"""Looking up one piece of evidence in a snapshot, with where it came from.

A path such as `settings.intercom_salesforce_app.api_usage.limit` or
`salesforce.api_allowance.daily_max` either resolves to a value with its provenance,
or to a Missing that says why and how to supply it. Rules never see a default
standing in for evidence that is not there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from auditor.documents.snapshot import SOURCE_LABELS, is_unavailable
from auditor.engine.consistency import Problem

_COLLECT_HINT = {
    "salesforce": "collect Salesforce evidence with `auditor collect` and Salesforce credentials "
    "(see the README's Salesforce section)",
    "intercom": "collect Intercom evidence with `auditor collect` and INTERCOM_ACCESS_TOKEN set "
    "(see the README's Intercom section)",
}


# Small immutable records as NamedTuples: each costs a third of a frozen dataclass to
# define, and every command start-up defines them (issue 13's start-up budget).
class Provenance(NamedTuple):
    kind: str  # "attested" or "observed"
    source: str  # "settings", "salesforce" or "intercom"
    path: str
    by: str | None = None  # attested_by
    at: str | None = None  # attested_at, or the source's collected_at
    file: str | None = None  # the settings file

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in self._asdict().items() if value is not None}


class Found(NamedTuple):
    value: Any
    provenance: Provenance


class Missing(NamedTuple):
    path: str
    reason: str
    how_to_supply: str

    def describe(self) -> str:
        reason = self.reason.rstrip(".")
        return f"{reason[:1].upper()}{reason[1:]}. To supply it, {self.how_to_supply}."


def lookup(
    snapshot: dict[str, Any], path: str, problems: Iterable[Problem] = ()
) -> Found | Missing:
    """The value at path, or why there is none: not supplied, unavailable, or spoiled by
    one of the snapshot's consistency problems (see auditor.engine.consistency)."""
    root, _, rest = path.partition(".")
    keys = rest.split(".") if rest else []
    if root == "settings":
        result = _lookup_settings(snapshot, path, keys)
    elif root in SOURCE_LABELS:
        result = _lookup_observed(snapshot, root, path, keys)
    else:
        return Missing(path, f"'{root}' is not a part of the snapshot", "fix the rule's `reads`")
    spoiled = [problem for problem in problems if problem.spoils(path)]
    if isinstance(result, Missing) or not spoiled:
        return result
    return _impossible(path, spoiled)


# How many problems one finding spells out before counting the rest.
_PROBLEMS_SHOWN = 3


def _impossible(path: str, problems: list[Problem]) -> Missing:
    reasons = "; ".join(problem.reason for problem in problems[:_PROBLEMS_SHOWN])
    more = len(problems) - _PROBLEMS_SHOWN
    if more > 0:
        reasons += f" (and {more} more problem{'s' if more != 1 else ''})"
    fixes = list(dict.fromkeys(problem.how_to_fix for problem in problems))
    return Missing(path, reasons, "; or ".join(fixes))


def _lookup_settings(snapshot: dict[str, Any], path: str, keys: list[str]) -> Found | Missing:
    settings = snapshot.get("settings")
    setting = ".".join(keys)
    how = (
        f"attest `{setting}` in the settings file (`auditor capture` walks through every "
        "setting) and pass it with --settings"
    )
    if settings is None:
        return Missing(path, "no settings file was supplied", how)
    value: Any = settings
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return Missing(path, f"`{setting}` is not attested in the settings file", how)
        value = value[key]
    provenance = Provenance(
        kind="attested",
        source="settings",
        path=setting,
        by=settings.get("attested_by"),
        at=settings.get("attested_at"),
        file=snapshot.get("settings_file"),
    )
    return Found(value, provenance)


def _lookup_observed(
    snapshot: dict[str, Any], source: str, path: str, keys: list[str]
) -> Found | Missing:
    label = SOURCE_LABELS[source]
    section = snapshot.get(source) or {}
    how = _COLLECT_HINT[source]
    status = section.get("status")
    if status == "skipped":
        return Missing(path, f"{label} collection was skipped ({section.get('reason')})", how)
    # A partial section holds data beside unavailable markers; each item answers for itself.
    if status not in ("collected", "partial"):
        return Missing(path, f"{label} could not be collected: {section.get('reason')}", how)
    value: Any = section
    for depth, key in enumerate(keys):
        if not isinstance(value, dict) or key not in value:
            return Missing(path, f"the snapshot holds no {label} `{'.'.join(keys)}`", how)
        value = value[key]
        if is_unavailable(value):
            item = ".".join(keys[: depth + 1])
            return Missing(
                path,
                f"{label} `{item}` was unavailable: {value['reason']}",
                f"grant the auditing user access to it, then {how}",
            )
    provenance = Provenance(
        kind="observed", source=source, path=".".join(keys), at=section.get("collected_at")
    )
    return Found(value, provenance)
