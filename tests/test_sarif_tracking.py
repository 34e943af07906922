"""SARIF that code scanning can track from run to run, checked through the command line:
stable partial fingerprints, a region on every location, the driver's informationUri,
and no error or warning from Microsoft's SARIF multitool (where node is present)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor import PROJECT_URL
from auditor.cli.commands import cli
from auditor.report.sarif import FINGERPRINT_KEY

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# The multitool version the test installs when none is given (AUDITOR_SARIF_MULTITOOL).
MULTITOOL_VERSION = "5.7.0"
MULTITOOL_HOME = Path(os.environ.get("AUDITOR_SARIF_MULTITOOL_HOME")
                      or Path.home() / ".cache" / "intercom-sfdc-auditor-tests"
                      / f"sarif-multitool-{MULTITOOL_VERSION}")


def sarif_of(tmp_path: Path, name: str, *args: str | Path) -> dict[str, Any]:
    out = tmp_path / name
    result = CliRunner().invoke(cli, [str(a) for a in (*args, "--out", out, "--format",
                                                       "sarif", "--fail-on", "never")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    log: dict[str, Any] = json.loads((out / "report.sarif").read_text(encoding="utf-8"))
    return log


def results_by_rule(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in log["runs"][0]["results"]}


def test_fingerprints_stay_when_the_line_the_message_and_the_run_change(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    text = (EXAMPLES / "settings.yaml").read_text(encoding="utf-8")
    settings.write_text(text, encoding="utf-8")
    first = sarif_of(tmp_path, "a", "audit", "--snapshot",
                     EXAMPLES / "misconfigured.snapshot.json", "--settings", settings)
    # The next night: two comment lines on top move every attested value down.
    settings.write_text("# reviewed\n# again\n" + text, encoding="utf-8")
    second = sarif_of(tmp_path, "b", "audit", "--snapshot",
                      EXAMPLES / "misconfigured.snapshot.json", "--settings", settings)
    before, after = results_by_rule(first), results_by_rule(second)
    assert before.keys() == after.keys() and before
    for rule, result in after.items():
        assert (result["partialFingerprints"][FINGERPRINT_KEY]
                == before[rule]["partialFingerprints"][FINGERPRINT_KEY]), rule
    attested = [rule for rule, r in before.items()
                if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "settings.yaml"]
    assert attested
    for rule in attested:
        lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"]
                 for r in (before[rule], after[rule])]
        assert lines[1] == lines[0] + 2, rule


def test_each_result_has_its_own_fingerprint_and_every_location_a_region(
        tmp_path: Path) -> None:
    log = sarif_of(tmp_path, "a", "audit", "--snapshot",
                   EXAMPLES / "misconfigured.snapshot.json")
    run = log["runs"][0]
    assert run["tool"]["driver"]["informationUri"] == PROJECT_URL
    fingerprints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints) == 19  # 19 failing findings
    for result in run["results"]:
        for location in result["locations"]:
            # Without a settings file, the rule's own file, as a whole.
            assert location["physicalLocation"] == {
                "artifactLocation": {"uri": f"rules/{result['ruleId']}.yaml"},
                "region": {"startLine": 1}}


def test_a_fingerprint_is_the_rule_and_the_item_not_the_snapshot(tmp_path: Path) -> None:
    misconfigured = results_by_rule(sarif_of(tmp_path, "a", "audit", "--snapshot",
                                             EXAMPLES / "misconfigured.snapshot.json"))
    partial = results_by_rule(sarif_of(tmp_path, "b", "audit", "--snapshot",
                                       EXAMPLES / "partial.snapshot.json"))
    shared = misconfigured.keys() & partial.keys()
    assert "cases.record_type" in shared  # failing in one, unknown in the other
    for rule in shared:
        assert (misconfigured[rule]["partialFingerprints"]
                == partial[rule]["partialFingerprints"]), rule


# --- Microsoft's SARIF multitool ------------------------------------------------------

def _multitool() -> str:
    """The multitool's launcher: AUDITOR_SARIF_MULTITOOL, else installed with npm into
    MULTITOOL_HOME once. Skips with the reason where node is absent; in CI
    (AUDITOR_REQUIRE_SARIF_MULTITOOL=1) a missing multitool fails instead."""
    given = os.environ.get("AUDITOR_SARIF_MULTITOOL")
    if given:
        return given
    required = os.environ.get("AUDITOR_REQUIRE_SARIF_MULTITOOL") == "1"
    npm, node = shutil.which("npm"), shutil.which("node")
    if not (npm and node):
        reason = "node and npm are needed to run Microsoft's SARIF multitool"
        if required:
            pytest.fail(reason)
        pytest.skip(reason)
    launcher = MULTITOOL_HOME / "node_modules" / ".bin" / "sarif-multitool"
    if not launcher.exists():
        done = subprocess.run(
            [npm, "install", "--no-save", "--prefix", str(MULTITOOL_HOME),
             f"@microsoft/sarif-multitool@{MULTITOOL_VERSION}"],
            capture_output=True, text=True, check=False, timeout=600)
        if done.returncode != 0 or not launcher.exists():
            reason = f"could not install the SARIF multitool with npm: {done.stderr[-500:]}"
            if required:
                pytest.fail(reason)
            pytest.skip(reason)
    return str(launcher)


@pytest.mark.parametrize(("example", "settings"), [
    ("misconfigured", True), ("partial", False), ("compliant", True)])
def test_the_sarif_multitool_finds_no_error_and_no_warning(
        tmp_path: Path, example: str, settings: bool) -> None:
    tool = _multitool()
    args: list[str | Path] = ["audit", "--snapshot", EXAMPLES / f"{example}.snapshot.json",
                              "--waivers", EXAMPLES / "waivers.yaml"]
    if settings:
        args += ["--settings", EXAMPLES / "settings.yaml"]
    sarif_of(tmp_path, "out", *args)
    verdict = tmp_path / "validation.sarif"
    # Values as separate words: the npm launcher passes its arguments through a shell,
    # where the multitool's "a;b" lists would be cut at the semicolon.
    done = subprocess.run(
        [tool, "validate", str(tmp_path / "out" / "report.sarif"), "--output", str(verdict),
         "--rule-kind", "Sarif", "Gh", "--level", "Error", "Warning"],
        capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    run = json.loads(verdict.read_text(encoding="utf-8-sig"))["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is True
    problems = [(r["ruleId"], r["message"]) for r in run.get("results", [])]
    assert problems == []
