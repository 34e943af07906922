"""Issue 22: every channel, through the command line, against one corpus of hostile text.

Control characters reach the auditor only in a server's answer (a snapshot, settings,
rule or waivers file refuses them), so they come from the Intercom emulator's error
text; everything else a file admits comes from a snapshot, a rule file and a waivers
file. Each command's output and every file it writes must hold none of them raw, no
value may become markup or a link, and a snapshot the auditor saved must read back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from auditor.cli.commands import cli
from auditor.documents.snapshot import load_snapshot
from tests.emulators.intercom import Fault
from tests.hostile_text import CONTROLS, NEUTRAL, SHOWN, raw_characters, sarif_messages
from tests.intercom_fixtures import Served, intercom, make_scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FORMATS = ("html", "md", "json", "sarif", "junit")
# What a server's error text carries: every control character of the corpus, at most
# the 300 characters an error text is kept to.
SERVER_TEXT = " ".join(CONTROLS.values())
# The right-to-left override of the corpus, spelled out: in markup, and on a terminal.
REVEALED, REVEALED_PLAIN = "moc.&lt;U+202E&gt;elpmaxe", "moc.<U+202E>elpmaxe"


def invoke(*args: str | Path, env: dict[str, str] | None = None, input: str | None = None
           ) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, input=input)


def assert_no_raw_output(result: Result) -> None:
    assert "Traceback" not in result.output, result.output
    assert raw_characters(result.stdout) == [], result.stdout
    assert raw_characters(result.stderr) == [], result.stderr


def assert_reports_neutral(out: Path, name: str = "report") -> dict[str, str]:
    written = {fmt: (out / f"{name}.{'junit.xml' if fmt == 'junit' else fmt}")
               .read_text(encoding="utf-8") for fmt in FORMATS}
    for fmt, check in NEUTRAL.items():
        check(written[fmt])
    assert raw_characters(written["json"]) == []  # the data exact, as JSON escapes
    return written


def settings_file(tmp_path: Path) -> Path:
    settings = yaml.safe_load((EXAMPLES / "settings.yaml").read_text(encoding="utf-8"))
    settings["attested_at"] = date.today().isoformat()
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


# --- control characters from a server ----------------------------------------------------


@pytest.fixture
def hostile_server() -> Iterator[Served]:
    """An Intercom whose teammates cannot be read, for a reason full of control characters."""
    assert len(SERVER_TEXT) < 300
    fault = Fault.error(403, "forbidden", SERVER_TEXT, times=99)
    with intercom(make_scenario(teammates=2, events=3, faults={"GET /admins": [fault]}),
                  https=False) as served:
        yield served


def test_a_servers_control_characters_reach_no_channel_and_the_snapshot_reads_back(
        tmp_path: Path, hostile_server: Served) -> None:
    snapshot, out = tmp_path / "snapshot.json", tmp_path / "reports"
    formats = [arg for fmt in FORMATS for arg in ("--format", fmt)]
    result = invoke("audit", "--no-salesforce", "--settings", settings_file(tmp_path),
                    "--save-snapshot", snapshot, "--out", out, *formats, "--quiet",
                    "--fail-on", "never", "--allow-partial", env=hostile_server.env)

    assert result.exit_code == 0, result.output
    assert_no_raw_output(result)
    saved = snapshot.read_text(encoding="utf-8")
    assert raw_characters(saved) == []
    reason = load_snapshot(snapshot)["intercom"]["teammates"]["reason"]
    assert reason.startswith("GET /admins: 403 forbidden: ") and "[31mred" in reason
    reports = assert_reports_neutral(out)
    assert "[31mred" in reports["html"]  # the reason is shown, without its escape codes
    again = invoke("audit", "--snapshot", snapshot, "--out", tmp_path / "again",
                   "--format", "json", "--fail-on", "never")
    assert again.exit_code == 0, again.output  # the auditor reads its own snapshot


def test_a_servers_control_characters_reach_no_file_of_the_fleet(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = Fault.error(401, "unauthorized", SERVER_TEXT, times=99)
    scenario = make_scenario(teammates=2, events=3, faults={"GET /me": [refused]})
    with intercom(scenario, https=False) as served:
        monkeypatch.setenv("HOSTILE_TOKEN", served.env["INTERCOM_ACCESS_TOKEN"])
        monkeypatch.setenv("HOSTILE_URL", served.env["INTERCOM_BASE_URL"])
        fleet = tmp_path / "fleet.yaml"
        fleet.write_text(yaml.safe_dump({"fleet_version": 1, "out": "fleet-out", "targets": [
            {"name": "hostile", "no_salesforce": True, "settings": str(settings_file(tmp_path)),
             "credentials": {"INTERCOM_ACCESS_TOKEN": "HOSTILE_TOKEN",
                             "INTERCOM_BASE_URL": "HOSTILE_URL"}}]}), encoding="utf-8")
        result = invoke("fleet", fleet)

    assert result.exit_code == 3, result.output
    assert_no_raw_output(result)
    out = tmp_path / "fleet-out"
    [row] = json.loads((out / "index.json").read_text(encoding="utf-8"))["targets"]
    assert "401 unauthorized" in row["reason"] and "[31mred" in row["reason"]
    assert raw_characters((out / "index.json").read_text(encoding="utf-8")) == []
    NEUTRAL["html"]((out / "index.html").read_text(encoding="utf-8"))
    NEUTRAL["md"]((out / "index.md").read_text(encoding="utf-8"))
    NEUTRAL["html"]((out / "hostile" / "report.html").read_text(encoding="utf-8"))
    NEUTRAL["md"]((out / "hostile" / "report.md").read_text(encoding="utf-8"))


def test_a_collected_snapshot_keeps_a_servers_text_exact_and_safe_to_print(
        tmp_path: Path) -> None:
    scenario = make_scenario(teammates=2, events=3)
    scenario.admins[1]["name"] = SHOWN
    snapshot = tmp_path / "snapshot.json"
    with intercom(scenario, https=False) as served:
        result = invoke("collect", "--no-salesforce", "--quiet", "-o", snapshot,
                        env=served.env)

    assert result.exit_code == 0, result.output
    assert_no_raw_output(result)
    assert raw_characters(snapshot.read_text(encoding="utf-8")) == []
    names = [t["name"] for t in load_snapshot(snapshot)["intercom"]["teammates"]]
    assert SHOWN in names


def old_snapshot(tmp_path: Path, **changes: Any) -> Path:
    """A snapshot as an auditor that kept reasons raw saved it (before issue 22)."""
    snapshot: dict[str, Any] = json.loads(
        (EXAMPLES / "misconfigured.snapshot.json").read_text(encoding="utf-8"))
    snapshot["intercom"]["teammates"] = {"status": "unavailable",
                                         "reason": f"GET /admins: 403 forbidden: {SERVER_TEXT}"}
    snapshot["salesforce"] = {"status": "unavailable", "reason": SERVER_TEXT, "requests": 1}
    snapshot.update(changes)
    path = tmp_path / "old.snapshot.json"
    path.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    return path


def test_an_older_snapshot_with_a_raw_reason_still_reads(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    formats = [arg for fmt in FORMATS for arg in ("--format", fmt)]
    result = invoke("audit", "--snapshot", old_snapshot(tmp_path), "--out", out, *formats,
                    "--fail-on", "never")

    assert result.exit_code == 0, result.output
    assert_no_raw_output(result)
    reports = assert_reports_neutral(out)
    collection = json.loads(reports["json"])["collection"]
    assert collection["salesforce"]["reason"].startswith(" [31mred [0m")
    assert collection["intercom"]["unavailable_items"][0]["reason"].startswith(
        "GET /admins: 403 forbidden:  [31mred")


def test_an_older_snapshot_with_a_raw_reason_can_be_compared(tmp_path: Path) -> None:
    result = invoke("diff", old_snapshot(tmp_path), EXAMPLES / "misconfigured.snapshot.json")

    assert result.exit_code == 0, result.output
    assert_no_raw_output(result)
    # The first 200 changes are listed: the Intercom section's, whose reason was raw, among them.
    assert "intercom.teammates.status: \"unavailable\" -> absent" in result.stdout


def test_an_older_snapshot_with_another_control_character_is_still_refused(
        tmp_path: Path) -> None:
    # Found after the reasons are cleaned: the Salesforce section comes first.
    intercom = json.loads((EXAMPLES / "misconfigured.snapshot.json").read_text(
        encoding="utf-8"))["intercom"]
    intercom["workspace"]["name"] = "Acme\x1b[2J"
    intercom["teammates"] = {"status": "unavailable", "reason": SERVER_TEXT}
    result = invoke("audit", "--snapshot", old_snapshot(tmp_path, intercom=intercom),
                    "--out", tmp_path / "reports")

    assert result.exit_code == 2, result.output
    assert result.stderr.endswith(
        "at $.intercom.workspace.name: this text holds the control character U+001B at "
        "character 5; only tab and line breaks are allowed. Remove it.\n")
    assert not (tmp_path / "reports").exists()


# --- everything a snapshot, a rule file and a waivers file admit -------------------------

RULE_ID = "cases.hostile_copy"


def hostile_snapshot(tmp_path: Path) -> Path:
    snapshot: dict[str, Any] = json.loads(
        (EXAMPLES / "misconfigured.snapshot.json").read_text(encoding="utf-8"))
    snapshot["settings"]["workspace"] = SHOWN
    user = snapshot["salesforce"]["integration_users"][0]
    user["profile_name"] = SHOWN
    user["modify_all_data_permission_sets"] = [SHOWN]
    snapshot["salesforce"]["intercom_tokens"][0]["app_name"] = "Intercom " + SHOWN
    snapshot["intercom"]["teammates"][0]["name"] = SHOWN
    path = tmp_path / "hostile.snapshot.json"
    path.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    return path


def hostile_rules(tmp_path: Path) -> Path:
    """A copy of a shipped rule whose every text a person reads is the corpus."""
    rule = yaml.safe_load((ROOT / "rules" / "cases.case_owner.yaml").read_text(encoding="utf-8"))
    rule.update(id=RULE_ID, title=f"Hostile {SHOWN}", rationale=SHOWN, remediation=SHOWN,
                where=SHOWN, references=[{"title": SHOWN, "url": "https://example.com/guide"}])
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / f"{RULE_ID}.yaml").write_text(yaml.safe_dump(rule), encoding="utf-8")
    return folder


def hostile_waivers(tmp_path: Path) -> Path:
    expires = (date.today() + timedelta(days=30)).isoformat()
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers_version": 1, "waivers": [
        {"rule": "roi_reporting.skipped", "reason": f"Accepted: {SHOWN}",
         "approved_by": f"ops {SHOWN}", "expires": expires}]}), encoding="utf-8")
    return path


@pytest.fixture
def hostile_files(tmp_path: Path) -> dict[str, Path]:
    return {"snapshot": hostile_snapshot(tmp_path), "rules": hostile_rules(tmp_path),
            "waivers": hostile_waivers(tmp_path)}


def test_every_report_of_an_audit_neutralises_what_files_admit(
        tmp_path: Path, hostile_files: dict[str, Path]) -> None:
    out = tmp_path / "reports"
    formats = [arg for fmt in FORMATS for arg in ("--format", fmt)]
    result = invoke("audit", "--snapshot", hostile_files["snapshot"], "--rules-dir",
                    hostile_files["rules"], "--waivers", hostile_files["waivers"],
                    "--out", out, *formats, "--fail-on", "never")

    assert result.exit_code == 0, result.output
    assert_no_raw_output(result)
    assert REVEALED_PLAIN in result.stdout  # a message quoting the profile name
    reports = assert_reports_neutral(out)
    assert REVEALED in reports["html"] and REVEALED in reports["md"]
    messages = sarif_messages(reports["sarif"])
    assert any("\\[click here\\](https://evil.example/login)" in text
               for text in messages["plain"])
    [justification] = messages["justification"]
    assert justification.startswith("Accepted: ") and REVEALED_PLAIN in justification
    assert json.loads(reports["json"])["snapshot"]["workspace"] == SHOWN


def test_the_onboarding_checklist_neutralises_rule_titles(
        tmp_path: Path, hostile_files: dict[str, Path]) -> None:
    out = tmp_path / "checklist"
    result = invoke("audit", "--snapshot", hostile_files["snapshot"], "--rules-dir",
                    hostile_files["rules"], "--profile", "onboarding", "--out", out,
                    "--format", "html", "--format", "md", "--fail-on", "never")

    assert result.exit_code == 0, result.output
    assert_no_raw_output(result)
    assert "Hostile " in result.stdout and REVEALED_PLAIN in result.stdout
    NEUTRAL["html"]((out / "checklist.html").read_text(encoding="utf-8"))
    NEUTRAL["md"]((out / "checklist.md").read_text(encoding="utf-8"))


def test_the_rule_catalogue_and_one_rule_neutralise_rule_texts(
        hostile_files: dict[str, Path]) -> None:
    listed = invoke("rules", "--rules-dir", hostile_files["rules"])
    described = invoke("rules", RULE_ID, "--rules-dir", hostile_files["rules"])

    for result in (listed, described):
        assert result.exit_code == 0, result.output
        assert_no_raw_output(result)
        assert REVEALED_PLAIN in result.stdout
    assert "<https://example.com/guide>" in described.stdout


@pytest.mark.parametrize("fmt", ["text", "md", "json"])
def test_a_diff_neutralises_the_values_that_changed(
        tmp_path: Path, hostile_files: dict[str, Path], fmt: str) -> None:
    result = invoke("diff", EXAMPLES / "misconfigured.snapshot.json",
                    hostile_files["snapshot"], "--format", fmt)

    assert result.exit_code == 0, result.output
    assert_no_raw_output(result)
    if fmt == "json":
        changes = json.loads(result.stdout)["values"]["shown"]
        assert SHOWN in [change["new"] for change in changes]  # the data exact
        return
    if fmt == "md":
        NEUTRAL["md"](result.stdout)
        assert REVEALED in result.stdout
    else:
        assert REVEALED_PLAIN in result.stdout
    # One line per value: no value's line break starts a line of its own.
    values = result.stdout.split("Values changed")[1].strip().splitlines()[1:]
    assert values and all(line.startswith("- ") for line in values)


def test_capture_shows_an_existing_files_values_neutralised(tmp_path: Path) -> None:
    settings = yaml.safe_load((EXAMPLES / "settings.yaml").read_text(encoding="utf-8"))
    settings["workspace"] = f"Acme {SHOWN}"
    app = settings["intercom_salesforce_app"]
    app["lead_contact_sync"]["field_mappings"][0]["intercom"] = SHOWN
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    # Enter wherever the file supplies the value, keep both lists, then write (yes).
    answers = ["", "", "", "", "yes", "", "", "", "", "", "yes", "", "", "yes"]
    result = invoke("capture", "-o", path, input="\n".join(answers) + "\n")

    assert result.exit_code == 0, result.output
    assert_no_raw_output(result)
    assert REVEALED_PLAIN in result.stdout.split("== Review ==")[1]  # the review
    assert REVEALED_PLAIN in result.stdout.split("lists 2 field mappings:")[1]
