"""GitLab's Code Quality report (`artifacts:reports:codequality`), read by merge requests.

GitLab reads a subset of the Code Climate issue format: an array of issues, each with a
description, a check name, a fingerprint, a severity and a location (a path and a first
line); see docs/ci.md. The audit maps onto it as SARIF does: a failing finding is an
issue at its severity, an unknown finding an `info` issue whose description starts
"Unknown:", and passing, not applicable and waived findings are left out. The fingerprint is SARIF's
(the rule id and the item it is about), so GitLab keeps an issue as the same from run to
run and can tell which are new in a merge request.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.report.sarif import fingerprint

# GitLab's five severities, one for each of the audit's.
SEVERITIES = {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor",
              "info": "info"}


def render_codequality(results: dict[str, Any]) -> str:
    issues = [_issue(f) for f in results["findings"]
              if f["status"] in ("fail", "unknown")]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _issue(finding: dict[str, Any]) -> dict[str, Any]:
    unknown = finding["status"] == "unknown"
    where = finding.get("location") or {"file": finding.get("rule_file") or "rules"}
    return {
        "description": ("Unknown: " if unknown else "") + finding["message"],
        "check_name": finding["rule_id"],
        "fingerprint": fingerprint(finding),
        "severity": "info" if unknown else SEVERITIES[finding["severity"]],
        "location": {"path": where["file"], "lines": {"begin": where.get("line") or 1}},
    }
