"""A schema as one self-contained document, for `auditor schema NAME`.

The schemas refer to each other by file name (the snapshot's settings are
settings.schema.json), which only resolves beside those files. Printed, each schema
carries every schema it refers to under $defs, each keeping its own $id: JSON Schema
2020-12 resolves a `$ref` to an embedded resource by that $id, so any validator needs
only the printed file.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from auditor.documents.validation import load_schema

_SUFFIX = ".schema.json"


def _file_refs(node: Any) -> Iterator[str]:
    """The names of the schemas a schema refers to by file ("settings.schema.json")."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.split("#", 1)[0].endswith(_SUFFIX):
            yield ref.split("#", 1)[0]
        for value in node.values():
            yield from _file_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _file_refs(item)


def bundled_schema(name: str) -> dict[str, Any]:
    """The schema NAME with every schema it refers to, directly or not, under $defs."""
    root = copy.deepcopy(load_schema(name))
    embedded: dict[str, Any] = {}
    waiting = list(_file_refs(root))
    while waiting:
        file = waiting.pop()
        if file in embedded or file == f"{name}{_SUFFIX}":
            continue
        schema = copy.deepcopy(load_schema(file.removesuffix(_SUFFIX)))
        schema.pop("$schema", None)  # the root's dialect holds for the whole document
        embedded[file] = schema
        waiting.extend(_file_refs(schema))
    if embedded:
        root["$defs"] = {**root.get("$defs", {}), **dict(sorted(embedded.items()))}
    return root
