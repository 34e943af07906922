"""The command line from the outside: exit codes, files written, and bad input."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from auditor.cli.commands import cli
from auditor.documents.validation import validator_for
from auditor.engine.catalogue import load_rules

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REPORTS = ("report.html", "report.md", "report.json")


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def audit(snapshot: Path, out: Path, *extra: str | Path) -> Result:
    return run("audit", "--snapshot", snapshot, "--out", out, *extra)


def test_demo_writes_all_three_reports(tmp_path: Path) -> None:
    result = run("demo", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    for name in REPORTS:
        assert (tmp_path / name).stat().st_size > 0
    assert f"Open {tmp_path / 'report.html'}" in result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["summary"]["by_status"]["fail"] > 0
    assert validator_for("report").is_valid(report)


@pytest.mark.parametrize(
    ("example", "fail_on", "expected"),
    [
        ("compliant", "high", 0),
        ("misconfigured", "high", 1),
        ("misconfigured", "critical", 1),  # the identifier is user_id: a critical failure
        ("misconfigured", "never", 0),
        ("partial", "low", 0),  # unknown findings are not failures, nor passes
    ],
)
def test_exit_code_follows_fail_on(tmp_path: Path, example: str, fail_on: str,
                                   expected: int) -> None:
    result = audit(EXAMPLES / f"{example}.snapshot.json", tmp_path, "--fail-on", fail_on)
    assert result.exit_code == expected, result.output


def test_fail_on_counts_only_severities_at_or_above(tmp_path: Path) -> None:
    # Misconfigured, but with every critical and high rule fixed by parameters is not
    # possible; instead check a snapshot whose only failure is low.
    snapshot = json.loads((EXAMPLES / "compliant.snapshot.json").read_text())
    snapshot["settings"]["intercom_salesforce_app"]["cases"]["case_owner"] = "other"
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot))
    assert audit(path, tmp_path / "a", "--fail-on", "medium").exit_code == 0
    assert audit(path, tmp_path / "b", "--fail-on", "low").exit_code == 1


def test_summary_table_lists_failures_first(tmp_path: Path) -> None:
    result = audit(EXAMPLES / "misconfigured.snapshot.json", tmp_path, "--fail-on", "never")
    statuses = [line.split()[0] for line in result.output.splitlines()
                if line.split() and line.split()[0] in {"FAIL", "PASS", "UNKNOWN",
                                                         "NOT_APPLICABLE"}]
    assert statuses[0] == "FAIL"
    assert statuses.index("PASS") > max(i for i, s in enumerate(statuses) if s == "FAIL")


def test_format_option_limits_the_reports(tmp_path: Path) -> None:
    result = audit(EXAMPLES / "compliant.snapshot.json", tmp_path, "--format", "json")
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_settings_option_replaces_the_attested_settings(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    text = (EXAMPLES / "settings.yaml").read_text().replace("identifier: email",
                                                             "identifier: user_id")
    settings.write_text(text)
    result = audit(EXAMPLES / "compliant.snapshot.json", tmp_path / "out",
                   "--settings", settings, "--format", "json")
    assert result.exit_code == 1
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    finding = next(f for f in report["findings"]
                   if f["rule_id"] == "lead_contact_sync.email_identifier")
    assert finding["status"] == "fail"
    assert finding["provenance"][0]["file"] == "settings.yaml"  # the name, not the path


def test_param_override_changes_the_outcome(tmp_path: Path) -> None:
    result = audit(EXAMPLES / "compliant.snapshot.json", tmp_path, "--format", "json",
                   "--param", "api_usage.limit_recommended.recommended=25000",
                   "--fail-on", "never")
    assert result.exit_code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    statuses = {f["rule_id"]: f["status"] for f in report["findings"]}
    assert statuses["api_usage.limit_recommended"] == "fail"


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("nonsense", "expected RULE_ID.NAME=VALUE"),
        ("no_such.rule.x=1", "there is no rule 'no_such.rule'"),
        ("api_usage.limit_recommended.nope=1", "has no parameter 'nope'"),
        ("api_usage.limit_recommended.recommended=lots", "'lots' is not of type 'integer'"),
    ],
)
def test_bad_param_is_exit_2(tmp_path: Path, param: str, expected: str) -> None:
    result = audit(EXAMPLES / "compliant.snapshot.json", tmp_path, "--param", param)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[list[str | Path], str]]:
    good = (EXAMPLES / "compliant.snapshot.json").read_text()
    truncated = tmp_path / "truncated.json"
    truncated.write_text(good[: len(good) // 2])
    future = tmp_path / "future.json"
    future.write_text(good.replace('"snapshot_version": 1', '"snapshot_version": 7'))
    settings = tmp_path / "settings.yaml"
    settings.write_text((EXAMPLES / "settings.yaml").read_text()
                        .replace("identifier:", "identifer:"))
    compliant = EXAMPLES / "compliant.snapshot.json"
    return {
        "truncated snapshot": (["--snapshot", truncated], "truncated.json, line "),
        "unknown snapshot_version": (["--snapshot", future], "snapshot_version 7"),
        "invalid settings": (["--snapshot", compliant, "--settings", settings],
                             "Did you mean 'identifier'?"),
        "missing snapshot": (["--snapshot", tmp_path / "nope.json"], "does not exist"),
    }


@pytest.mark.parametrize("case", ["truncated snapshot", "unknown snapshot_version",
                                  "invalid settings", "missing snapshot"])
def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path, case: str) -> None:
    args, expected = _bad_inputs(tmp_path)[case]
    out = tmp_path / "reports"
    result = run("audit", *args, "--out", out)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1
    assert not out.exists()


def test_bad_input_leaves_earlier_reports_untouched(tmp_path: Path) -> None:
    assert audit(EXAMPLES / "compliant.snapshot.json", tmp_path).exit_code == 0
    before = {name: (tmp_path / name).read_bytes() for name in REPORTS}
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert audit(bad, tmp_path).exit_code == 2
    assert {name: (tmp_path / name).read_bytes() for name in REPORTS} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*REPORTS, "bad.json"])


def test_rules_lists_every_rule_and_shows_one() -> None:
    listing = run("rules")
    assert listing.exit_code == 0
    for rule in load_rules():
        assert rule.id in listing.output
    one = run("rules", "api_usage.limit_recommended")
    assert "api_usage.limit_recommended.recommended = 20000" in one.output
    assert "How to fix:" in one.output
    missing = run("rules", "no.such")
    assert missing.exit_code == 2


@pytest.mark.parametrize("name", ["settings", "snapshot", "rule", "report"])
def test_schema_prints_a_json_schema(name: str) -> None:
    result = run("schema", name)
    schema = json.loads(result.output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_user_rules_dir_adds_a_data_rule(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "cases.no_case_record_type.yaml").write_text(
        "id: cases.no_case_record_type\n"
        "title: No active Case record type\n"
        "section: cases\nseverity: info\nbasis: observed\n"
        "rationale: Intercom's custom case form stands in for record types.\n"
        "remediation: Review the active Case record types.\n"
        "reads: {rules: salesforce.case_record_types}\n"
        "expect: {properties: {rules: {maxItems: 0}}}\n"
        "messages: {pass: none, fail: '{{ rules | length }} active'}\n")
    result = audit(EXAMPLES / "compliant.snapshot.json", tmp_path / "out", "--format", "json",
                   "--rules-dir", tmp_path / "rules")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert {f["rule_id"]: f["status"] for f in report["findings"]}[
        "cases.no_case_record_type"] == "pass"


def test_python_m_auditor_runs() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "auditor", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "auditor" in result.stdout


def test_readme_names_every_rule() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    missing = [rule.id for rule in load_rules() if f"`{rule.id}`" not in readme]
    assert missing == []


def test_wheel_ships_rules_templates_schemas_and_examples(tmp_path: Path) -> None:
    """A fresh install outside the repository finds everything it needs."""
    import subprocess
    import sys
    import zipfile

    repo = Path(__file__).resolve().parent.parent
    build = tmp_path / "src"
    shutil.copytree(repo, build, ignore=shutil.ignore_patterns(
        ".git", "reports", "*.egg-info", "build", "__pycache__", ".*_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path / "dist"), str(build)], check=True)
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    rule_files = {p.name for p in (repo / "rules").glob("*.yaml")}
    assert {n.rsplit("/", 1)[-1] for n in names if n.startswith("auditor/rules/")
            } >= rule_files
    for needed in ("auditor/documents/schemas/settings.schema.json",
                   "auditor/documents/schemas/snapshot.schema.json",
                   "auditor/report/templates/audit.md.j2",
                   "auditor/examples/misconfigured.snapshot.json"):
        assert needed in names
    # Installed on its own and run from elsewhere, it finds its rules and examples.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, "-m", "auditor", "demo", "--out", "out"],
                            cwd=elsewhere, env={**os.environ, "PYTHONPATH": str(target)},
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert str(target) in subprocess.run(
        [sys.executable, "-c", "import auditor; print(auditor.__file__)"], cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True, text=True,
        check=True).stdout
    assert (elsewhere / "out" / "report.html").is_file()
