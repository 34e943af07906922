"""auditor.yaml: the settings of a scheduled audit, so that a CI job is one short command.

Each key stands for a flag; the command line wins over the file. Paths in the file are
relative to the file's folder, so the job may run from anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.documents.load import load_document
from auditor.documents.validation import validate_document

_PATH_KEYS = ("settings", "snapshot", "waivers", "out", "baseline")


def load_config(path: Path) -> dict[str, Any]:
    """The config file's values, with paths made relative to where the command runs."""
    doc = load_document(path, "config file")
    if not isinstance(doc.data, dict):
        raise doc.error("expected a mapping of settings such as 'fail_on: high' "
                        "(see `auditor schema config`).")
    validate_document(doc, "config")
    return resolve_paths(doc.data, path.parent)


def resolve_paths(config: dict[str, Any], base: Path) -> dict[str, Any]:
    """The config with its paths read from `base`, the folder of the file that held them."""
    resolved = dict(config)
    for key in _PATH_KEYS:
        if key in resolved:
            resolved[key] = str(base / resolved[key])
    if "rules_dirs" in resolved:
        resolved["rules_dirs"] = [str(base / folder) for folder in resolved["rules_dirs"]]
    return resolved


def as_flag_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """The config as defaults for the commands' parameters (click's default_map)."""
    names = {"settings": "settings_file", "snapshot": "snapshot_file", "out": "out_dir",
             "formats": "formats", "rules_dirs": "rules_dirs"}
    defaults: dict[str, Any] = {}
    for key, value in config.items():
        if key == "config_version":
            continue
        if key == "params":
            defaults["params"] = [f"{name}={json.dumps(v)}" for name, v in value.items()]
        elif key == "severity":
            defaults["severities"] = [f"{rule}={level}" for rule, level in value.items()]
        else:
            defaults[names.get(key, key)] = value
    return defaults
