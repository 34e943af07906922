"""The CI examples pass their tools' own schemas, and the example config and waivers load."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from auditor.documents.config import load_config
from auditor.engine.catalogue import load_rules
from auditor.engine.waivers import load_waivers

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(("file", "schema"), [
    ("ci/github-actions.yml", "vendor.github-workflows"),
    ("ci/gitlab-ci.yml", "vendor.gitlab-ci"),
])
def test_ci_example_passes_its_tools_schema(file: str, schema: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
         str(EXAMPLES / file)], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cron_wrapper_is_valid_shell() -> None:
    done = subprocess.run(["sh", "-n", str(EXAMPLES / "cron/audit-weekly.sh")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_example_config_loads_with_paths_beside_it() -> None:
    config = load_config(EXAMPLES / "auditor.yaml")
    assert config["settings"] == str(EXAMPLES / "settings.yaml")
    assert config["fail_on_unknown"] is True


def test_example_waivers_load() -> None:
    waivers = load_waivers(EXAMPLES / "waivers.yaml", [r.id for r in load_rules()],
                           today=date(2026, 11, 26))
    assert [w.rule for w in waivers] == ["api_usage.limit_recommended"]
