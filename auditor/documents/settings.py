"""Attested settings: the Intercom Salesforce app's configuration, written by a person."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.documents.load import Document, load_document
from auditor.documents.validation import validate_document

SETTINGS_VERSION = 1


def check_settings(doc: Document) -> dict[str, Any]:
    if not isinstance(doc.data, dict):
        raise doc.error(
            "expected a settings mapping starting with 'settings_version: 1' "
            "(see `auditor schema settings`)."
        )
    if "settings_version" not in doc.data and _SNAPSHOT_KEYS & doc.data.keys():
        raise doc.error("this is a snapshot, not a settings file: pass it with --snapshot "
                        "(a settings file is what `auditor capture` writes).")
    validate_document(doc, "settings")
    return doc.data


# Keys only a snapshot has: a settings file passed where a snapshot belongs is named as one.
_SNAPSHOT_KEYS = frozenset({"snapshot_version", "salesforce", "intercom", "tool"})


def load_settings(path: Path) -> dict[str, Any]:
    return check_settings(load_document(path, "settings file"))
