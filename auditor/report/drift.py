"""Drift: what changed between two runs, so a weekly report is read as a difference.

Findings are compared by rule id. A finding to act on (fail or unknown) is `new` unless
the earlier run had it with the same status; a finding that was to act on and no longer
is, is `resolved`; a rule whose status or severity moved otherwise is `changed`. For two
snapshots, every attested or observed value that changed is listed as well, old -> new.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from auditor.documents.plain_data import json_text
from auditor.documents.snapshot import SOURCES, evidence_items

OPEN = ("fail", "unknown")
# A value diff of two big snapshots is capped; the count says how many more changed.
VALUES_SHOWN = 200


def _by_rule(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {finding["rule_id"]: finding for finding in results["findings"]}


def since(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """How one finding stands against the earlier run's finding of the same rule."""
    if new["status"] in OPEN:
        return "unchanged" if old is not None and old["status"] == new["status"] else "new"
    if old is not None and old["status"] in OPEN:
        return "resolved"
    return "unchanged"


def compare_results(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Findings new, resolved and changed between two results (report.json) documents."""
    before, after = _by_rule(old), _by_rule(new)
    new_findings, resolved, changed = [], [], []
    for rule_id, finding in after.items():
        earlier = before.get(rule_id)
        mark = since(earlier, finding)
        entry = {"rule_id": rule_id, "title": finding["title"], "severity": finding["severity"],
                 "status": finding["status"],
                 "was": None if earlier is None else earlier["status"]}
        if mark == "new":
            new_findings.append(entry)
        elif mark == "resolved":
            resolved.append(entry)
        elif earlier is not None and (earlier["status"], earlier["severity"]) != (
                finding["status"], finding["severity"]):
            changed.append({**entry, "severity_was": earlier["severity"]})
    for rule_id, finding in before.items():
        if rule_id not in after and finding["status"] in OPEN:
            resolved.append({"rule_id": rule_id, "title": finding["title"],
                             "severity": finding["severity"], "status": "removed",
                             "was": finding["status"]})
    old_score, new_score = old["summary"]["score"], new["summary"]["score"]
    change = None if old_score is None or new_score is None else new_score - old_score
    return {"new": new_findings, "resolved": resolved, "changed": changed,
            "score": {"before": old_score, "after": new_score, "change": change},
            "baseline_generated_at": old.get("generated_at")}


def mark_baseline(results: dict[str, Any], baseline: dict[str, Any],
                  baseline_file: str) -> dict[str, Any]:
    """The results with each finding marked against the baseline, and a summary of it."""
    before = _by_rule(baseline)
    marked = [{**f, "since_baseline": since(before.get(f["rule_id"]), f)}
              for f in results["findings"]]
    return {**results, "findings": marked,
            "since_baseline": {**compare_results(baseline, results), "file": baseline_file}}


def changed_values(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Every attested or observed value that differs between two snapshots."""
    before = dict(_leaves(_comparable(old)))
    after = dict(_leaves(_comparable(new)))
    changes = [{"path": path, "old": before.get(path), "new": after.get(path)}
               for path in sorted(before.keys() | after.keys())
               if before.get(path, _ABSENT) != after.get(path, _ABSENT)]
    return {"count": len(changes), "shown": changes[:VALUES_SHOWN]}


_ABSENT = object()


def _comparable(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What a person attested and what the systems showed, without collection details."""
    parts: dict[str, Any] = {"settings": {k: v for k, v in (snapshot.get("settings") or {}).items()
                                          if k not in ("attested_at", "attested_by")}}
    for source in SOURCES:
        section = snapshot.get(source) or {}
        parts[source] = (evidence_items(section) if section.get("status") in
                         ("collected", "partial") else {"status": section.get("status")})
    return parts


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def render_diff(diff: dict[str, Any], fmt: str, escape: Callable[[str], str]) -> str:
    """The diff as terminal text or Markdown; `escape` makes a value safe for the one or
    the other (one_line, md)."""
    if fmt == "json":
        return json_text(diff)
    heading = "## " if fmt == "md" else ""
    bullet = "- "
    lines = []
    score = diff["score"]
    change = score["change"]
    lines.append(f"{heading}Score: {score['before']} -> {score['after']}"
                 + (f" ({change:+d})" if change is not None else ""))
    for key, title in (("new", "New"), ("resolved", "Resolved"), ("changed", "Changed")):
        entries = diff[key]
        lines += ["", f"{heading}{title} ({len(entries)})"]
        lines += [bullet + escape(_describe_finding(entry)) for entry in entries] or \
                 [bullet + "none"]
    values = diff.get("values")
    if values is not None:
        lines += ["", f"{heading}Values changed ({values['count']})"]
        lines += [bullet + escape(f"{v['path']}: {_shown(v['old'])} -> {_shown(v['new'])}")
                  for v in values["shown"]] or [bullet + "none"]
        hidden = values["count"] - len(values["shown"])
        if hidden > 0:
            lines.append(bullet + f"and {hidden:,} more (all in --format json)")
    return "\n".join(lines) + "\n"


def _describe_finding(entry: dict[str, Any]) -> str:
    was = entry.get("was") or "absent"
    text = f"{entry['rule_id']} ({entry['severity']}): {was} -> {entry['status']}"
    if entry.get("severity_was") and entry["severity_was"] != entry["severity"]:
        text += f", severity {entry['severity_was']} -> {entry['severity']}"
    return text


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if value is not None else "absent"
    return text if len(text) <= 120 else text[:117] + "..."
