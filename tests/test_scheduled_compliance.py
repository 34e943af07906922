"""Scheduled compliance from the outside: config file, waivers, baseline, diff, formats."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from auditor.cli.commands import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
APP = ("settings", "intercom_salesforce_app")


def run(*args: str | Path, cwd: Path | None = None) -> Result:
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
    with runner.isolated_filesystem(temp_dir=cwd):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)


def snapshot_with(tmp_path: Path, name: str, **app: dict[str, Any]) -> Path:
    data = json.loads((EXAMPLES / "compliant.snapshot.json").read_text())
    for section, values in app.items():
        data["settings"]["intercom_salesforce_app"][section].update(values)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def report(out: Path, name: str = "report.json") -> dict[str, Any]:
    return json.loads((out / name).read_text())


def statuses(out: Path) -> dict[str, str]:
    return {f["rule_id"]: f["status"] for f in report(out)["findings"]}


def test_an_all_unknown_run_fails_with_fail_on_unknown(tmp_path: Path) -> None:
    partial = EXAMPLES / "partial.snapshot.json"
    lenient = run("audit", "--snapshot", partial, "--out", tmp_path / "a", "--fail-on", "low")
    assert lenient.exit_code == 0
    strict = run("audit", "--snapshot", partial, "--out", tmp_path / "b", "--fail-on", "low",
                 "--fail-on-unknown")
    assert strict.exit_code == 1
    assert "(unknown counts as failing)" in strict.output.splitlines()[-1]
    assert report(tmp_path / "b")["fail_on_unknown"] is True


def test_overrides_are_recorded_and_shown_in_the_header(tmp_path: Path) -> None:
    result = run("audit", "--snapshot", EXAMPLES / "compliant.snapshot.json", "--out", tmp_path,
                 "--param", "api_usage.limit_recommended.recommended=50000",
                 "--severity", "cases.case_owner=info")
    assert result.exit_code in (0, 1), result.output
    configuration = report(tmp_path)["configuration"]
    assert configuration["changes"] == [
        {"rule_id": "api_usage.limit_recommended", "setting": "recommended",
         "default": 20000, "effective": 50000},
        {"rule_id": "cases.case_owner", "setting": "severity", "default": "low",
         "effective": "info"},
    ] or configuration["changes"] == [
        {"rule_id": "cases.case_owner", "setting": "severity", "default": "low",
         "effective": "info"},
        {"rule_id": "api_usage.limit_recommended", "setting": "recommended",
         "default": 20000, "effective": 50000},
    ]
    assert configuration["rules"]["cases.case_owner"]["severity"] == "info"
    html = (tmp_path / "report.html").read_text()
    assert "2 settings differ from the guide&#39;s defaults" in html
    assert "api_usage.limit_recommended.recommended = 50000 (default 20000)" in html
    assert "cases.case_owner severity info (default low)" in html


def test_waivers_from_the_command_line(tmp_path: Path) -> None:
    failing = snapshot_with(tmp_path, "s.json", cases={"case_owner": "other"})
    waivers = tmp_path / "waivers.yaml"
    expires = date.today() + timedelta(days=30)
    waivers.write_text("waivers:\n  - rule: cases.case_owner\n    reason: Cases unused\n"
                       f"    approved_by: ops@acme.example\n    expires: {expires}\n")
    result = run("audit", "--snapshot", failing, "--out", tmp_path / "out", "--fail-on", "low",
                 "--waivers", waivers)
    assert result.exit_code == 0, result.output
    finding = next(f for f in report(tmp_path / "out")["findings"]
                   if f["rule_id"] == "cases.case_owner")
    assert finding["status"] == "waived"
    assert finding["waiver"]["original_status"] == "fail"
    assert "Waived (really fail): Cases unused" in (tmp_path / "out/report.html").read_text()


def test_a_waiver_without_a_reason_is_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - rule: cases.case_owner\n    approved_by: ops\n"
                       "    expires: 2027-01-01\n")
    result = run("audit", "--snapshot", EXAMPLES / "compliant.snapshot.json",
                 "--out", tmp_path / "out", "--waivers", waivers)
    assert result.exit_code == 2
    assert "the required key 'reason' is missing" in result.output
    assert not (tmp_path / "out").exists()


def test_baseline_marks_new_findings_and_fail_on_new(tmp_path: Path) -> None:
    before = EXAMPLES / "compliant.snapshot.json"
    after = snapshot_with(tmp_path, "after.json", roi_reporting={"enabled": True})
    first = run("audit", "--snapshot", before, "--out", tmp_path / "last")
    assert first.exit_code == 0, first.output
    baseline = tmp_path / "last/report.json"
    again = run("audit", "--snapshot", before, "--out", tmp_path / "same", "--baseline",
                baseline, "--fail-on", "low", "--fail-on-new")
    assert again.exit_code == 0, again.output
    changed = run("audit", "--snapshot", after, "--out", tmp_path / "now", "--baseline",
                  baseline, "--fail-on", "medium", "--fail-on-new")
    assert changed.exit_code == 1
    assert "exit 1: 1 medium new finding fails" in changed.output
    now = report(tmp_path / "now")
    marks = {f["rule_id"]: f["since_baseline"] for f in now["findings"]}
    assert marks["roi_reporting.skipped"] == "new"
    assert [f["rule_id"] for f in now["since_baseline"]["new"]] == ["roi_reporting.skipped"]
    assert now["since_baseline"]["score"]["change"] < 0


def test_fail_on_new_needs_a_baseline(tmp_path: Path) -> None:
    result = run("audit", "--snapshot", EXAMPLES / "compliant.snapshot.json", "--out",
                 tmp_path, "--fail-on-new")
    assert result.exit_code == 2
    assert "--fail-on-new needs --baseline" in result.output


def test_diff_of_two_snapshots(tmp_path: Path) -> None:
    before = snapshot_with(tmp_path, "before.json", account_sync={"enabled": True})
    after = snapshot_with(tmp_path, "after.json", roi_reporting={"enabled": True})
    result = run("diff", before, after)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "New (1)" in lines
    assert "- roi_reporting.skipped (medium): pass -> fail" in lines
    assert "Resolved (1)" in lines
    assert "- account_sync.disabled (high): fail -> pass" in lines
    assert ("- settings.intercom_salesforce_app.roi_reporting.enabled: false -> true"
            in lines)
    as_json = json.loads(run("diff", before, after, "--format", "json").output)
    assert as_json["values"]["count"] == 2


def test_diff_of_two_reports_and_of_mixed_inputs(tmp_path: Path) -> None:
    run("audit", "--snapshot", EXAMPLES / "compliant.snapshot.json", "--out", tmp_path / "a")
    run("audit", "--snapshot", EXAMPLES / "misconfigured.snapshot.json", "--out", tmp_path / "b")
    result = run("diff", tmp_path / "a/report.json", tmp_path / "b/report.json",
                 "--format", "md")
    assert result.exit_code == 0
    assert "## New (" in result.output
    mixed = run("diff", tmp_path / "a/report.json", EXAMPLES / "compliant.snapshot.json")
    assert mixed.exit_code == 2
    assert "compare two snapshots or two report.json files" in mixed.output


def test_a_config_file_stands_in_for_flags_and_flags_win(tmp_path: Path) -> None:
    (tmp_path / "auditor.yaml").write_text(
        f"snapshot: {EXAMPLES / 'partial.snapshot.json'}\nfail_on: low\n"
        "fail_on_unknown: true\nformats: [json, sarif, junit]\nout: out\n")
    from_file = run("audit", "--config", tmp_path / "auditor.yaml")
    assert from_file.exit_code == 1, from_file.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "report.json", "report.junit.xml", "report.sarif"]
    flag_wins = run("audit", "--config", tmp_path / "auditor.yaml", "--fail-on", "never")
    assert flag_wins.exit_code == 0


def test_a_config_key_typo_names_the_nearest_key(tmp_path: Path) -> None:
    (tmp_path / "auditor.yaml").write_text("fail_onn: low\n")
    result = run("audit", "--config", tmp_path / "auditor.yaml")
    assert result.exit_code == 2
    assert "fail_onn" in result.output
    assert "fail_on" in result.output.replace("fail_onn", "")


def test_onboarding_writes_a_checklist_beside_the_report(tmp_path: Path) -> None:
    snapshot = EXAMPLES / "compliant.snapshot.json"
    run("audit", "--snapshot", snapshot, "--out", tmp_path)
    run("audit", "--snapshot", snapshot, "--out", tmp_path, "--profile", "onboarding")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checklist.html", "checklist.json", "checklist.md",
        "report.html", "report.json", "report.md"]


def test_reports_name_input_files_by_name_unless_show_paths(tmp_path: Path) -> None:
    snapshot = EXAMPLES / "compliant.snapshot.json"
    run("audit", "--snapshot", snapshot, "--out", tmp_path / "a")
    assert report(tmp_path / "a")["snapshot"]["file"] == "compliant.snapshot.json"
    run("audit", "--snapshot", snapshot, "--out", tmp_path / "b", "--show-paths")
    assert report(tmp_path / "b")["snapshot"]["file"] == str(snapshot)


@pytest.mark.parametrize("command", ["audit", "rules", "diff", "fleet", "doctor", "schema"])
def test_dash_h_works_everywhere(command: str) -> None:
    result = run(command, "-h")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_audit_help_ends_with_environment_and_exit_codes() -> None:
    text = run("audit", "--help").output
    assert "INTERCOM_ACCESS_TOKEN" in text and "SF_ACCESS_TOKEN" in text
    assert text.rstrip().endswith("no file half-written.")


def test_an_unknown_rule_id_gets_a_suggestion() -> None:
    result = run("rules", "cases.activity_flowing")
    assert result.exit_code == 2
    assert "Did you mean 'cases.activities_flowing'?" in result.output


def test_sarif_points_at_the_settings_line_holding_the_attested_value(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    text = (EXAMPLES / "settings.yaml").read_text()
    settings.write_text(text.replace("case_owner: salesforce_configuration",
                                     "case_owner: other"))
    line = next(n for n, row in enumerate(settings.read_text().splitlines(), start=1)
                if "case_owner: other" in row)
    result = run("audit", "--snapshot", EXAMPLES / "compliant.snapshot.json", "--settings",
                 settings, "--out", tmp_path / "out", "--format", "sarif")
    assert result.exit_code == 0, result.output
    log = json.loads((tmp_path / "out/report.sarif").read_text())
    found = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"]}
    assert found["cases.case_owner"] == {"artifactLocation": {"uri": "settings.yaml"},
                                         "region": {"startLine": line}}
