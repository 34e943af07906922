"""Evidence values written for people, the same way in HTML, Markdown and the terminal.

Evidence is JSON from a snapshot; a client reading a report should see "not set",
"29 %", "15,000" and "yes", never `null`, `0.29` or `true`, and no JSON at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from auditor.engine.catalogue import SEVERITIES
from auditor.report.filters import MdSafe, capped_note, is_capped, label, md, when

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# Records with more columns than this do not fit a printed page as a table: each
# record becomes a card of label/value pairs instead.
TABLE_MAX_COLUMNS = 4


def is_share(key: Any) -> bool:
    """Evidence keys holding a fraction of one (`share`, `max_share`) are percentages."""
    return str(key) == "share" or str(key).endswith("_share")


def is_id(key: Any) -> bool:
    """Internal identifiers (`id`, `user_id`): kept, but shown last and quietly."""
    return str(key) == "id" or str(key).endswith("_id")


def human(value: Any, key: Any = None) -> str:
    """One evidence value for people: 'not set', 'yes', '15,000', '29 %', a timestamp in
    the report's style; a list of values joined by commas, or 'none'."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and key is not None and is_share(key):
        return f"{round(value * 100, 1):g} %"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, list):
        listed = ", ".join(human(item, key) for item in value) if value else "none"
        # A long list cut to its first items (render.py, ROWS_SHOWN) says so.
        return f"{listed} ({capped_note(value)})" if is_capped(value) else listed
    if isinstance(value, Mapping):
        # A value of no simpler shape, in one line: "Label: value; Label: value".
        return "; ".join(f"{label(k)}: {human(v, k)}" for k, v in ordered(value).items())
    text = str(value)
    return when(text) if _TIMESTAMP.match(text) else text


def ordered(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's fields with the internal identifiers moved to the end."""
    return {k: v for k, v in record.items() if not is_id(k)} | {
        k: v for k, v in record.items() if is_id(k)
    }


def is_flat(value: Any) -> bool:
    """A scalar, or a list of scalars: one line of text."""
    scalar = (str, int, float, bool, type(None))
    return isinstance(value, scalar) or (
        isinstance(value, list) and all(isinstance(item, scalar) for item in value)
    )


def is_narrow_records(value: Any) -> bool:
    """Flat records with few enough columns to print as a table that fits the page."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, Mapping) and all(is_flat(v) for v in item.values())
                for item in value)
        and len(record_columns(value)) <= TABLE_MAX_COLUMNS
    )


def record_columns(records: list[Mapping[str, Any]]) -> list[str]:
    """Every key of a list of records, in order of first appearance, identifiers last."""
    seen: dict[str, None] = {}
    for record in records:
        seen.update(dict.fromkeys(record))
    return list(ordered(dict.fromkeys(seen)))


def md_evidence(evidence: Any) -> MdSafe:
    """Evidence as a Markdown bullet list, nested as the evidence is; every value escaped."""
    if isinstance(evidence, Mapping) and not evidence:
        return MdSafe("None recorded.")
    return MdSafe("\n".join(_md_lines(evidence, 0)))


def _md_lines(value: Any, depth: int) -> list[str]:
    indent = "  " * depth
    if isinstance(value, Mapping):
        lines = []
        for key, item in ordered(value).items():
            if is_flat(item):
                lines.append(f"{indent}- {md(label(key))}: {md(human(item, key))}")
            else:
                lines.append(f"{indent}- {md(label(key))}:")
                lines.extend(_md_lines(item, depth + 1))
        return lines
    if isinstance(value, list) and not is_flat(value):
        lines = [line for item in value for line in _md_item(item, depth)]
        if is_capped(value):  # a long list cut to its first rows (render.py, ROWS_SHOWN)
            lines.append(f"{indent}- {md(capped_note(value))}")
        return lines
    return [f"{indent}- {md(human(value))}"]


def _md_item(item: Any, depth: int) -> list[str]:
    """One element of a list: a flat record on one line, anything deeper nested."""
    indent = "  " * depth
    if isinstance(item, Mapping) and all(is_flat(v) for v in item.values()):
        pairs = " · ".join(f"{md(label(k))}: {md(human(v, k))}" for k, v in ordered(item).items())
        return [f"{indent}- {pairs or 'nothing recorded'}"]
    if isinstance(item, Mapping | list):
        return [f"{indent}-", *_md_lines(item, depth + 1)]
    return [f"{indent}- {md(human(item))}"]


# Statuses every audit can produce; a tile for any other is shown only when it is not zero
# or, for waivers, when a waivers file was given, so that "Waived 0" does not suggest a
# waiver was considered.
_ALWAYS_SHOWN = ("pass", "fail", "unknown")


def can_occur(status: str, results: Mapping[str, Any]) -> bool:
    return status in _ALWAYS_SHOWN or (status == "waived" and "waivers" in results)


def severities_in_run(results: Mapping[str, Any]) -> list[str]:
    """The severities of the rules that ran, most severe first: no column for "info"
    when no rule of that severity was evaluated."""
    present = {finding["severity"] for finding in results["findings"]}
    return [level for level in SEVERITIES if level in present]


VALUE_FILTERS = {"can_occur": can_occur, "severities_in_run": severities_in_run,
                 "human": human, "ordered": ordered, "record_columns": record_columns,
                 "md_evidence": md_evidence}
VALUE_TESTS = {"flat": is_flat, "narrow_records": is_narrow_records, "id_key": is_id}
