"""auditor.yaml: the settings of a scheduled audit, so that a CI job is one short command.

Each key stands for a flag; the command line wins over the file. Paths in the file are
relative to the file's folder, so the job may run from anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from auditor.documents.errors import InputError
from auditor.documents.load import load_document
from auditor.documents.plain_data import JsonPath
from auditor.documents.validation import validate_document

_PATH_KEYS = ("settings", "snapshot", "waivers", "out", "baseline")


Locate = Callable[[str, JsonPath], InputError]  # a problem at a path -> the error there


def load_config(path: Path) -> dict[str, Any]:
    """The config file's values, with paths made relative to where the command runs."""
    return _read(path)[0]


def config_defaults(path: Path) -> dict[str, Any]:
    """The config file as defaults for the commands' parameters (see as_flag_defaults);
    a rule override that does not fit is reported at its line in the file."""
    config, locate = _read(path)
    return as_flag_defaults(config, locate)


def _read(path: Path) -> tuple[dict[str, Any], Locate]:
    doc = load_document(path, "config file")
    if not isinstance(doc.data, dict):
        raise doc.error("expected a mapping of settings such as 'fail_on: high' "
                        "(see `auditor schema config`).")
    validate_document(doc, "config")
    return resolve_paths(doc.data, path.parent), doc.error


def resolve_paths(config: dict[str, Any], base: Path) -> dict[str, Any]:
    """The config with its paths read from `base`, the folder of the file that held them."""
    resolved = dict(config)
    for key in _PATH_KEYS:
        if key in resolved:
            resolved[key] = str(base / resolved[key])
    if "rules_dirs" in resolved:
        resolved["rules_dirs"] = [str(base / folder) for folder in resolved["rules_dirs"]]
    return resolved


class Written(tuple[str, Any]):
    """A rule override (RULE_ID.NAME -> value under `params`, RULE_ID -> severity under
    `severity`) as written in a file: one that does not fit says so at its line there,
    not as a flag nobody typed. A pair, as the command line's flags give."""

    locate: Locate
    path: JsonPath

    def __new__(cls, key: str, value: Any, locate: Locate, path: JsonPath) -> Written:
        pair = super().__new__(cls, (key, value))
        pair.locate, pair.path = locate, path
        return pair

    def __reduce__(self) -> tuple[type[Written], tuple[str, Any, Locate, JsonPath]]:
        # Pickled whole (a fleet's worker processes), not as a plain tuple.
        return Written, (self[0], self[1], self.locate, self.path)

    def error(self, problem: str) -> InputError:
        return self.locate(problem, self.path)


def as_flag_defaults(config: dict[str, Any], locate: Locate, at: JsonPath = ()
                     ) -> dict[str, Any]:
    """The config as defaults for the commands' parameters (click's default_map).
    `locate`, with the config's own path `at` in its file: where a rule override that
    does not fit is reported (see Written)."""
    names = {"settings": "settings_file", "snapshot": "snapshot_file", "out": "out_dir",
             "formats": "formats", "rules_dirs": "rules_dirs"}
    overrides = {"params": "params", "severity": "severities"}
    defaults: dict[str, Any] = {}
    for key, value in config.items():
        if key == "config_version":
            continue
        if key in overrides:
            defaults[overrides[key]] = [Written(name, v, locate, (*at, key, name))
                                        for name, v in value.items()]
        else:
            defaults[names.get(key, key)] = value
    return defaults
