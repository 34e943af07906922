"""Results models for the reporter tests, built the real way: rules -> engine -> results.

The snapshot is demo-like (a mix of pass, fail, unknown and not_applicable) and carries
hostile text in places a settings file or an API controls: the workspace label, a field
mapping, a teammate's name and a Salesforce username.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from auditor.engine.catalogue import load_rules, resolve_params
from auditor.engine.evaluate import evaluate
from auditor.report.results import build_results

SCRIPT = "<script>alert(1)</script>"
PIPE = "| pipe"
LINK = "[link](http://x)"
IMAGE = "![img](http://x)"
HOSTILE = (SCRIPT, PIPE, LINK, IMAGE)

CREATED_AT = "2026-11-21T09:30:00Z"
GENERATED_AT = datetime(2026, 11, 21, 9, 31, tzinfo=UTC)


def demo_snapshot(*, hostile: bool = True) -> dict[str, Any]:
    """A typical, partly misconfigured audit; `hostile` plants markup in user-controlled text."""
    name = f"Sam {SCRIPT}" if hostile else "Sam Lee"
    workspace = f"Acme {PIPE} {LINK} {IMAGE} {SCRIPT}" if hostile else "Acme Inc"
    mapped_field = f"job_title {PIPE} {LINK}" if hostile else "job_title"
    return {
        "snapshot_version": 1,
        "created_at": CREATED_AT,
        "tool": {"name": "intercom-sfdc-auditor", "version": "0.1.0"},
        "settings_file": "settings.yaml",
        "settings": {
            "settings_version": 1,
            "workspace": workspace,
            "attested_by": "jane@acme.example",
            "attested_at": "2026-11-20",
            "intercom_salesforce_app": {
                "api_usage": {"limit": 50000},
                "lead_contact_sync": {
                    "identifier": "email",
                    "field_mappings": [
                        {"intercom": mapped_field, "salesforce": "Title", "direction": "both"},
                    ],
                },
                "cases": {
                    "create_activities": True,
                    "case_owner": "salesforce_configuration",
                    "record_type": "custom_form",
                },
                "ownership": {"accounts_list": "all_accounts", "respect_lead_creator": None},
                "account_sync": {"enabled": False},
                # roi_reporting left out: not attested, so its rule is unknown.
            },
        },
        "salesforce": {
            "status": "collected",
            "collected_at": "2026-11-21T09:28:00Z",
            "requests": 14,
            "api_allowance": {"daily_max": 100000, "daily_remaining": 91000},
            "intercom_tokens": [
                {
                    "app_name": "Intercom",
                    "user_id": "005A1",
                    "last_used_date": "2026-11-20T17:00:00Z",
                    "use_count": 1200,
                }
            ],
            "integration_users": [
                {
                    "id": "005A1",
                    "username": "intercom@acme.example",
                    "email": "intercom@acme.example",
                    "is_active": True,
                    "profile_name": "System Administrator",
                    "modify_all_data_from_profile": True,
                    "modify_all_data_permission_sets": [],
                }
            ],
            "active_users": [
                {"username": "jane@acme.example", "email": "jane@acme.example"},
            ],
            "case_record_types": [{"id": "012A1", "name": "Support", "developer_name": "Support"}],
            "integration_activity": {
                "window_days": 30,
                "since": "2026-10-22T09:28:00Z",
                "tasks_created": 0,
                "accounts_created": 0,
            },
            "leads": {"status": "unavailable", "reason": "403 INSUFFICIENT_ACCESS on Lead"},
            "contacts": {
                "total": 900,
                "without_email": 12,
                "duplicate_emails": {"count": 0, "examples": []},
            },
        },
        "intercom": {
            "status": "collected",
            "collected_at": "2026-11-21T09:29:00Z",
            "requests": 6,
            "teammates": [
                {"id": "1", "name": "Jane Roe", "email": "jane@acme.example",
                 "has_inbox_seat": True},
                {"id": "2", "name": name, "email": "sam@acme.example", "has_inbox_seat": True},
            ],
            "contacts": {
                "users": {"total": 800, "without_email": 10},
                "leads": {"total": 200, "without_email": 5},
            },
        },
    }


def results_for(
    snapshot: dict[str, Any], *, profile: str = "audit", snapshot_file: str | None = None
) -> dict[str, Any]:
    rules = load_rules()
    findings = evaluate(rules, copy.deepcopy(snapshot), resolve_params(rules, {}))
    return build_results(
        findings,
        snapshot,
        generated_at=GENERATED_AT,
        snapshot_file=snapshot_file or "demo.snapshot.json",
        profile=profile,
    )


def demo_results(*, profile: str = "audit", hostile: bool = True) -> dict[str, Any]:
    return results_for(demo_snapshot(hostile=hostile), profile=profile)
