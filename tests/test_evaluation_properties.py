"""No schema-valid snapshot makes evaluation crash, and no impossible evidence decides.

Starting from each example, hypothesis replaces any mix of the evidence items, the
attested settings and the timestamps with values generated from the snapshot's own
schema (so every variation is one a file could hold), then evaluates every rule.
"""

from __future__ import annotations

import copy
import warnings
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from auditor.documents.errors import InputError
from auditor.documents.snapshot import SECTION_METADATA, SOURCES
from auditor.documents.timestamps import EARLIEST_YEAR, LATEST_YEAR
from auditor.documents.validation import load_schema
from auditor.engine.consistency import find_problems
from auditor.engine.evaluate import STATUSES
from tests.snapshots import EXAMPLE_NAMES, example, rules, run_all, validated

# Offsets from the ends of the range RFC 3339 allows, and the ordinary ones.
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12)),
                          timezone(timedelta(hours=5, minutes=30))])


def _moments(low: datetime, high: datetime) -> st.SearchStrategy[datetime]:
    return st.datetimes(min_value=low, max_value=high, timezones=_ZONES)


# Most moments fall around the examples' (2026-11-20), where they meet the windows and the
# snapshot's created_at; some anywhere in the years the tool accepts.
_MOMENTS = st.one_of(
    _moments(datetime(2025, 11, 1), datetime(2026, 12, 31)),
    _moments(datetime(EARLIEST_YEAR, 1, 2), datetime(LATEST_YEAR, 12, 30)),
)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


_FORMATS = {"date-time": _MOMENTS.map(_rfc3339),
            "date": _MOMENTS.map(lambda moment: moment.date().isoformat())}


def _generated(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    # hypothesis-jsonschema rewrites the schema it is given in place; the project's own
    # schemas are cached and shared, so it gets a copy.
    schema = copy.deepcopy(schema)
    with warnings.catch_warnings():
        # Replacing the standard formats is the point: their values must be RFC 3339
        # within the years the tool accepts, as the project's format checks require.
        warnings.simplefilter("ignore")
        return from_schema(schema, custom_formats=_FORMATS)


@cache
def _item_strategies() -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    schema = load_schema("snapshot")
    strategies: dict[str, dict[str, st.SearchStrategy[Any]]] = {}
    for source in SOURCES:
        collected = schema["properties"][source]["oneOf"][1]["properties"]
        strategies[source] = {
            name: _generated({**item, "$defs": schema["$defs"]})
            for name, item in collected.items() if name not in SECTION_METADATA
        }
    return strategies


@st.composite
def snapshots(draw: st.DrawFn) -> dict[str, Any]:
    snapshot = example(draw(st.sampled_from(EXAMPLE_NAMES)))
    if draw(st.booleans()):
        snapshot["created_at"] = _rfc3339(draw(_MOMENTS))
    if draw(st.booleans()):
        snapshot["settings"] = draw(st.none() | _generated(load_schema("settings")))
    for source, items in _item_strategies().items():
        section = snapshot[source]
        if section["status"] not in ("collected", "partial"):
            continue
        if draw(st.booleans()):
            section["collected_at"] = _rfc3339(draw(_MOMENTS))
        for name in draw(st.sets(st.sampled_from(sorted(items)), max_size=len(items))):
            section[name] = draw(items[name])
    return snapshot


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_no_schema_valid_snapshot_breaks_evaluation(snapshot: dict[str, Any]) -> None:
    try:
        validated(snapshot)
    except InputError:
        assume(False)  # e.g. a partial section with nothing unavailable: not schema-valid
    findings = run_all(snapshot)
    assert [f.rule.id for f in findings] == [r.id for r in rules()]
    problems = find_problems(snapshot)
    event("impossible evidence" if problems else "consistent evidence")
    for finding in findings:
        assert finding.status in STATUSES and finding.status != "waived"
        assert isinstance(finding.message, str) and finding.message.strip(), finding.rule.id
        spoiled = [read.path for read in finding.rule.reads.values() if not read.optional
                   and any(problem.spoils(read.path) for problem in problems)]
        if spoiled:
            # Impossible evidence never yields a verdict either way.
            assert finding.status in ("unknown", "not_applicable"), (finding.rule.id, spoiled)
