"""Attested settings: the Intercom Salesforce app's configuration, written by a person."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auditor.documents.load import Document, load_document, validate_document

SETTINGS_VERSION = 1


def check_settings(doc: Document) -> dict[str, Any]:
    if not isinstance(doc.data, dict):
        raise doc.error(
            "expected a settings mapping starting with 'settings_version: 1' "
            "(see `auditor schema settings`)."
        )
    validate_document(doc, "settings")
    return doc.data


def load_settings(path: Path) -> dict[str, Any]:
    return check_settings(load_document(path, "settings file"))
