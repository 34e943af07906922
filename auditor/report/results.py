"""The results model: one plain dictionary that every reporter renders.

It is also, unchanged, the content of report.json, so its shape is a public contract
(`schema_version`). Reporters never look at findings or snapshots directly.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from auditor import TOOL_NAME, __version__
from auditor.documents.snapshot import SOURCES, evidence_items, is_unavailable, timestamp
from auditor.documents.vocabulary import PROFILES as PROFILES  # re-exported
from auditor.engine.catalogue import SEVERITIES, Rule
from auditor.engine.evaluate import STATUSES, Finding
from auditor.engine.sections import SECTIONS

RESULTS_SCHEMA_VERSION = 1

# How much a rule weighs in the score. Unknown findings count against the score:
# evidence nobody supplied is never credit.
SEVERITY_WEIGHTS = {"critical": 10, "high": 5, "medium": 3, "low": 1, "info": 0}
SCORED_STATUSES = ("pass", "fail", "unknown")



def _score(findings: list[Finding]) -> int | None:
    scored = [f for f in findings if f.status in SCORED_STATUSES]
    total = sum(SEVERITY_WEIGHTS[f.rule.severity] for f in scored)
    if not total:
        return None
    passed = sum(SEVERITY_WEIGHTS[f.rule.severity] for f in scored if f.status == "pass")
    return round(100 * passed / total)


def _summary(findings: list[Finding]) -> dict[str, Any]:
    by_status = Counter(f.status for f in findings)
    failing = Counter(f.rule.severity for f in findings if f.status == "fail")
    return {
        "total": len(findings),
        "by_status": {status: by_status[status] for status in STATUSES},
        "failures_by_severity": {severity: failing[severity] for severity in SEVERITIES},
        "score": _score(findings),
    }


def _collection(snapshot: dict[str, Any]) -> dict[str, Any]:
    collection = {}
    for source in SOURCES:
        section = snapshot.get(source) or {}
        entry = {key: section[key] for key in ("status", "reason", "collected_at", "requests")
                 if key in section}
        if section.get("status") in ("collected", "partial"):
            entry["unavailable_items"] = [
                {"item": name, "reason": value["reason"]}
                for name, value in evidence_items(section).items() if is_unavailable(value)]
            entry.update(_ABOUT[source](section))
        collection[source] = entry
    return collection


def _readable(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) and not is_unavailable(value) else None


def _about_salesforce(section: dict[str, Any]) -> dict[str, Any]:
    """Which org was read, and as whom: the report's header and the audit's reach."""
    about: dict[str, Any] = {}
    org = _readable(section.get("org"))
    if org:
        about["subject"] = {"name": org["name"], "edition": org.get("edition"),
                            "sandbox": org.get("is_sandbox"),
                            "address": section.get("instance_url")}
    audited_as = _readable(section.get("audited_as"))
    if audited_as:
        about["audited_as"] = {"user": audited_as.get("username") or audited_as.get("user_id"),
                               "permissions": audited_as["permissions"]}
    return about


def _about_intercom(section: dict[str, Any]) -> dict[str, Any]:
    about: dict[str, Any] = {}
    workspace = _readable(section.get("workspace"))
    if workspace:
        about["subject"] = {"name": workspace["name"], "region": workspace.get("region"),
                            "address": section.get("base_url")}
        admin = workspace.get("admin") or {}
        user = admin.get("email") or admin.get("name") or admin.get("id")
        if user:
            about["audited_as"] = {"user": user}
    return about


_ABOUT = {"salesforce": _about_salesforce, "intercom": _about_intercom}


def _snapshot_metadata(snapshot: dict[str, Any], snapshot_file: str | None) -> dict[str, Any]:
    settings = snapshot.get("settings") or {}
    metadata = {
        "file": snapshot_file,
        "created_at": snapshot["created_at"],
        "tool": snapshot["tool"],
        "settings_file": snapshot.get("settings_file"),
        "workspace": settings.get("workspace"),
        "attested_by": settings.get("attested_by"),
        "attested_at": settings.get("attested_at"),
    }
    return {key: value for key, value in metadata.items() if value is not None}


def finding_as_dict(finding: Finding) -> dict[str, Any]:
    rule = finding.rule
    return {
        "rule_id": rule.id,
        "title": rule.title,
        "section": rule.section,
        "severity": rule.severity,
        "status": finding.status,
        "message": finding.message,
        "basis": finding.basis,
        "evidence": finding.evidence,
        "provenance": [p.as_dict() for p in finding.provenance],
        "missing": [
            {"path": m.path, "reason": m.reason, "how_to_supply": m.how_to_supply}
            for m in finding.missing
        ],
        "where": rule.where,
        "rationale": rule.rationale,
        "remediation": rule.remediation,
        "references": list(rule.references),
        "rule_file": rule.origin,
        "about": evidence_item(rule),
        **({"waiver": finding.waiver} if finding.waiver else {}),
    }


def evidence_item(rule: Rule) -> str:
    """The evidence item a rule is about: the first value its definition reads. The same
    in every run whatever was collected, so a finding can be followed from run to run."""
    return next((read.path for read in rule.reads.values()), rule.id)


def effective_configuration(rules: list[Rule], params: dict[str, dict[str, Any]]
                            ) -> dict[str, Any]:
    """Each rule's severity and parameters as this run used them, and every change from
    the shipped defaults, so that an audit cannot be softened without it showing."""
    configured: dict[str, Any] = {}
    changes: list[dict[str, Any]] = []
    for rule in rules:
        defaults = rule.default_params()
        used = params.get(rule.id, defaults)
        shipped = rule.shipped_severity or rule.severity
        configured[rule.id] = {"severity": rule.severity, "default_severity": shipped,
                               "parameters": used, "default_parameters": defaults}
        if rule.severity != shipped:
            changes.append({"rule_id": rule.id, "setting": "severity",
                            "default": shipped, "effective": rule.severity})
        changes += [{"rule_id": rule.id, "setting": name, "default": defaults.get(name),
                     "effective": value}
                    for name, value in used.items() if value != defaults.get(name)]
    return {"rules": configured, "changes": changes}


def build_results(
    findings: list[Finding],
    snapshot: dict[str, Any],
    *,
    generated_at: datetime,
    snapshot_file: str | None = None,
    profile: str = "audit",
    fail_on: str = "high",
    fail_on_unknown: bool = False,
    configuration: dict[str, Any] | None = None,
    waivers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The results of one audit, ready to render or to dump as report.json."""
    used_sections = {f.rule.section for f in findings}
    extra: dict[str, Any] = {}
    if configuration is not None:
        extra["configuration"] = configuration
    if waivers is not None:
        extra["waivers"] = waivers
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "generated_at": timestamp(generated_at),
        "profile": profile,
        "fail_on": fail_on,
        "fail_on_unknown": fail_on_unknown,
        "snapshot": _snapshot_metadata(snapshot, snapshot_file),
        "summary": _summary(findings),
        "collection": _collection(snapshot),
        "sections": [
            {"key": s.key, "title": s.title, "where": s.where}
            for s in SECTIONS
            if s.key in used_sections
        ],
        "findings": [finding_as_dict(f) for f in findings],
        **extra,
    }
