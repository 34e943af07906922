"""`auditor schema NAME` prints a schema that stands alone: an outside validator
(check-jsonschema) validates a file with the printed schema and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.documents.load import SCHEMA_NAMES

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def printed(name: str, folder: Path) -> Path:
    result = subprocess.run([sys.executable, "-m", "auditor", "schema", name],
                            capture_output=True, text=True, check=True, cwd=folder)
    path = folder / f"printed-{name}.json"
    path.write_text(result.stdout, encoding="utf-8")
    return path


def check_jsonschema(schema: Path, instance: Path) -> subprocess.CompletedProcess[str]:
    # Run where no schema file lies beside it: nothing can be found but the printed file.
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile",
                           str(schema), str(instance)],
                          capture_output=True, text=True, check=False, cwd=schema.parent)


@pytest.mark.parametrize("example", ["compliant", "misconfigured", "partial"])
def test_the_printed_snapshot_schema_validates_an_example_alone(
        example: str, tmp_path: Path) -> None:
    result = check_jsonschema(printed("snapshot", tmp_path),
                              EXAMPLES / f"{example}.snapshot.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_the_bundled_settings_schema_is_applied(tmp_path: Path) -> None:
    # A snapshot whose attested settings break the settings schema is refused: the
    # settings part is checked, not skipped as an unresolvable reference.
    snapshot = json.loads((EXAMPLES / "misconfigured.snapshot.json").read_text("utf-8"))
    snapshot["settings"]["intercom_salesforce_app"]["lead_contact_sync"]["identifier"] = "phone"
    instance = tmp_path / "bad.snapshot.json"
    instance.write_text(json.dumps(snapshot), encoding="utf-8")
    result = check_jsonschema(printed("snapshot", tmp_path), instance)
    assert result.returncode == 1
    assert "$.settings.intercom_salesforce_app.lead_contact_sync.identifier" in result.stdout


def test_the_fleet_schema_carries_the_config_schema(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.json"
    fleet.write_text(json.dumps({"targets": [{"name": "acme", "config": {"fail_on": "nope"}}]}),
                     encoding="utf-8")
    result = check_jsonschema(printed("fleet", tmp_path), fleet)
    assert result.returncode == 1
    assert "$.targets[0].config" in result.stdout


def _file_refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_file_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_file_refs(item) for item in node))
    return set()


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_printed_schema_refers_only_within_itself(name: str, tmp_path: Path) -> None:
    schema = json.loads(printed(name, tmp_path).read_text(encoding="utf-8"))
    embedded = set(schema.get("$defs", {}))
    for ref in _file_refs(schema):
        target = ref.split("#", 1)[0]
        assert not target or target in embedded, (name, ref)
    # The embedded schemas keep their $id, by which the references resolve.
    for key, value in schema.get("$defs", {}).items():
        if key.endswith(".schema.json"):
            assert value["$id"].endswith(f"/{key}")
