"""The snapshot: the boundary between collection and evaluation.

A snapshot is plain JSON. Collectors fill its source sections; the rule engine reads
it; any audit can be re-run offline from a saved one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor import TOOL_NAME, __version__
from auditor.documents import Document, load_document, validate_document

SNAPSHOT_VERSION = 1
SOURCES = ("salesforce", "intercom")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, the one timestamp shape snapshots use."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def unavailable(reason: str) -> dict[str, str]:
    """The marker for evidence that could not be read, with the reason the API gave."""
    return {"status": "unavailable", "reason": reason}


def skipped(reason: str) -> dict[str, str]:
    return {"status": "skipped", "reason": reason}


def is_unavailable(value: Any) -> bool:
    return isinstance(value, dict) and value.get("status") == "unavailable" and "reason" in value


def new_snapshot(
    *,
    settings: dict[str, Any] | None,
    salesforce: dict[str, Any],
    intercom: dict[str, Any],
    created_at: datetime | None = None,
    settings_file: str | None = None,
) -> dict[str, Any]:
    snapshot: dict[str, Any] = {
        "snapshot_version": SNAPSHOT_VERSION,
        "created_at": timestamp(created_at or utc_now()),
        "tool": {"name": TOOL_NAME, "version": __version__},
        "settings": settings,
    }
    if settings_file:
        snapshot["settings_file"] = settings_file
    snapshot["salesforce"] = salesforce
    snapshot["intercom"] = intercom
    return snapshot


def check_snapshot(doc: Document) -> dict[str, Any]:
    """Validate a parsed snapshot; the version is checked first for a clearer message."""
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error("expected a snapshot: a JSON object with snapshot_version, created_at, "
                        "tool, settings, salesforce and intercom.")
    version = data.get("snapshot_version")
    if version != SNAPSHOT_VERSION:
        found = "no snapshot_version" if version is None else f"snapshot_version {version!r}"
        raise doc.error(
            f"found {found}, but this auditor ({__version__}) reads snapshot_version "
            f"{SNAPSHOT_VERSION} only. Re-collect the snapshot with this version, or audit it "
            "with the version that wrote it.",
            ("snapshot_version",),
        )
    validate_document(doc, "snapshot")
    return data


def load_snapshot(path: Path) -> dict[str, Any]:
    return check_snapshot(load_document(path, "snapshot"))


def dump_snapshot(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, indent=2, ensure_ascii=False) + "\n"


def with_settings(
    snapshot: dict[str, Any], settings: dict[str, Any], settings_file: str
) -> dict[str, Any]:
    """A copy of the snapshot whose attested settings come from another file."""
    replaced = dict(snapshot)
    replaced["settings"] = settings
    replaced["settings_file"] = settings_file
    return replaced


