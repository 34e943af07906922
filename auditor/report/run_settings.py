"""Plain-text lines about how the run was configured: changed defaults and waivers.

Every report's header says them, so an audit softened by overrides or waivers shows it.
The templates escape what these return, as they escape every value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def configuration_text(results: dict[str, Any]) -> str:
    """`the guide's defaults`, or `2 settings differ from the guide's defaults: …`."""
    changes = (results.get("configuration") or {}).get("changes", [])
    if not changes:
        return "the guide's defaults"
    listed = "; ".join(
        f"{c['rule_id']} severity {c['effective']} (default {c['default']})"
        if c["setting"] == "severity"
        else f"{c['rule_id']}.{c['setting']} = {_value(c['effective'])} "
             f"(default {_value(c['default'])})"
        for c in changes)
    count = len(changes)
    return f"{count} setting{'s' if count != 1 else ''} differ{'s' if count == 1 else ''} " \
           f"from the guide's defaults: {listed}"


def waivers_text(results: dict[str, Any]) -> str:
    """`1 applied, 1 expired (…), 1 unused (…)`, or empty when no waivers file was given."""
    waivers = results.get("waivers")
    if not waivers:
        return ""
    parts = [f"{len(waivers['applied'])} applied"]
    if waivers["expired"]:
        parts.append(f"{len(waivers['expired'])} expired ({', '.join(waivers['expired'])})")
    if waivers["unused"]:
        names = ", ".join(w["rule"] for w in waivers["unused"])
        parts.append(f"{len(waivers['unused'])} unused, accepting nothing this run ({names})")
    return ", ".join(parts)


def waiver_text(finding: dict[str, Any]) -> str:
    """`Waived (really fail): reason. Approved by …; expires …`."""
    waiver = finding.get("waiver")
    if not waiver:
        return ""
    if waiver.get("expired"):
        return f"Waiver expired on {waiver['expires']}: {waiver['reason']}"
    return (f"Waived (really {waiver['original_status']}): {waiver['reason']}. Approved by "
            f"{waiver['approved_by']}; expires {waiver['expires']}.")


RUN_FILTERS: dict[str, Callable[..., str]] = {
    "configuration_text": configuration_text,
    "waivers_text": waivers_text,
    "waiver_text": waiver_text,
}
