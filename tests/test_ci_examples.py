"""The CI examples pass their tools' own schemas, and the example config and waivers load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

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


@pytest.mark.parametrize("script", ["audit-weekly.sh", "audit-nightly.sh"])
def test_cron_wrapper_is_valid_shell(script: str) -> None:
    done = subprocess.run(["sh", "-n", str(EXAMPLES / "cron" / script)],
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


ACTION = EXAMPLES.parent / "action.yml"


def test_the_action_passes_the_github_actions_metadata_schema() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions",
         str(ACTION)], capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def _action_step(name: str) -> dict[str, Any]:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    step: dict[str, Any] = next(s for s in action["runs"]["steps"] if s.get("name") == name)
    return step


@pytest.mark.parametrize(("fail_on", "code"), [("high", 1), ("never", 0)])
def test_the_actions_audit_step_runs_the_auditor_and_records_its_exit_code(
        tmp_path: Path, fail_on: str, code: int) -> None:
    step = _action_step("Audit")
    assert step["shell"] == "bash"
    output = tmp_path / "github_output"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(output), "AUDIT_SETTINGS": str(EXAMPLES / "settings.yaml"),
           "AUDIT_CONFIG": "", "AUDIT_BASELINE": str(tmp_path / "no-baseline-yet.json"),
           "AUDIT_FAIL_ON": fail_on, "AUDIT_FORMATS": "json,junit", "AUDIT_OUT": "reports"}
    # The step collects live; a snapshot stands in for the systems here.
    script = step["run"].replace("args=(audit ", "args=(audit --snapshot "
                                 f"{EXAMPLES / 'misconfigured.snapshot.json'} ", 1)
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr  # the exit code is kept for later
    assert output.read_text() == f"exit-code={code}\nsarif=reports/report.sarif\n"
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "report.json", "report.junit.xml", "report.md", "report.sarif"]


def test_the_nightly_cron_script_keeps_a_folder_per_run_and_the_trend(tmp_path: Path) -> None:
    home = tmp_path / "audit"
    (home / "runs").mkdir(parents=True)
    (home / "auditor.yaml").write_text(
        f"config_version: 1\nsnapshot: {EXAMPLES / 'misconfigured.snapshot.json'}\n"
        "fail_on: never\n")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "AUDIT_HOME": str(home),
           "SLACK_AUDIT_WEBHOOK": "https://127.0.0.1:9/services/T0/B0/nightly-secret-0123"}
    # The night before: the compliant example, kept as its run's folder.
    before = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", "--snapshot",
         str(EXAMPLES / "compliant.snapshot.json"), "--format", "json", "--out",
         str(home / "runs" / "20000101T000000Z")], capture_output=True, text=True, check=False)
    assert before.returncode == 0, before.stderr
    done = subprocess.run(["sh", str(EXAMPLES / "cron" / "audit-nightly.sh")], env=env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr  # fail_on never; the post failed
    assert "warning: the notice to the json webhook at 127.0.0.1 was not delivered" \
        in done.stderr
    assert "nightly-secret" not in done.stdout + done.stderr
    trend = json.loads((home / "trend" / "trend.json").read_text())
    assert [r["score"] for r in trend["runs"]] == [100, 30]
    tonight = sorted((home / "runs").iterdir())[-1] / "report.json"
    assert json.loads(tonight.read_text())["since_baseline"]["score"]["change"] == -70


def test_the_readme_shows_the_nightly_script_as_it_is() -> None:
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    script = (EXAMPLES / "cron" / "audit-nightly.sh").read_text(encoding="utf-8")
    assert f"```sh\n{script}```" in readme
    assert len(script.splitlines()) == 10
