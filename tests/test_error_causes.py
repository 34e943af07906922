"""Error messages that name the file, the place and the real cause (issue 22): a second
YAML document, a rule override written in a config file, a read-only file system, and a
JSON file that starts with a byte order mark (read, as a YAML one is)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from auditor.cli.commands import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SNAPSHOT = EXAMPLES / "misconfigured.snapshot.json"
SETTINGS = EXAMPLES / "settings.yaml"
BOM = "\ufeff"


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def refusal(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    [paragraph] = [line for line in result.output.splitlines() if line.startswith("error:")]
    return paragraph


def audit(tmp_path: Path, *args: str | Path) -> tuple[Result, Path]:
    out = tmp_path / "reports"
    return invoke("audit", "--snapshot", SNAPSHOT, "--out", out, *args), out


# --- a second YAML document ------------------------------------------------------------------

def test_a_second_yaml_document_is_named_as_such(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("settings_version: 1\nworkspace: Acme\n---\nworkspace: Globex\n")
    result, out = audit(tmp_path, "--settings", settings)
    assert refusal(result) == (
        f"error: {settings}, line 3: this file holds more than one YAML document: the "
        "second one starts on this line. Each file is one document: remove the '---' (or "
        "'...') line that separates them, or move the second to a file of its own.")
    assert not out.exists()


def test_other_parser_words_are_not_garbled(tmp_path: Path) -> None:
    # PyYAML's "expected X, but found Y" once came out as "found expected X, but found Y".
    settings = tmp_path / "settings.yaml"
    settings.write_text("settings_version: 1\n&anchor!\n")
    message = refusal(audit(tmp_path, "--settings", settings)[0])
    assert message.startswith(f"error: {settings}, line 2: this is not valid YAML: expected ")
    assert "found expected" not in message and "found but" not in message


# --- rule overrides written in a config file ---------------------------------------------------

def write_config(tmp_path: Path, text: str) -> Path:
    config = tmp_path / "auditor.yaml"
    config.write_text(text)
    return config


def test_a_bad_parameter_value_in_the_config_is_reported_at_its_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, "config_version: 1\nfail_on: high\nparams:\n"
                                    "  api_usage.limit_recommended.recommended: lots\n")
    result, out = audit(tmp_path, "--config", config)
    assert refusal(result) == (
        f"error: {config}, line 4, at $.params[\"api_usage.limit_recommended.recommended\"]: "
        "'lots' is not of type 'integer'; expected the daily limit the guide (or the "
        "client's agreement) calls for, a whole number above 0.")
    assert not out.exists()


@pytest.mark.parametrize(("written", "path", "said"), [
    ("params: {cases.nope.window_days: 7}", '$.params["cases.nope.window_days"]',
     "there is no rule 'cases.nope' (see `auditor rules`)."),
    ("params: {cases.case_owner.nope: 7}", '$.params["cases.case_owner.nope"]',
     "rule 'cases.case_owner' has no parameter 'nope' (its parameters: none)."),
    ("severity: {cases.case_ownr: info}", '$.severity["cases.case_ownr"]',
     "there is no rule 'cases.case_ownr' (see `auditor rules`). Did you mean "
     "'cases.case_owner'?"),
])
def test_an_override_in_the_config_is_reported_in_the_config(
        tmp_path: Path, written: str, path: str, said: str) -> None:
    config = write_config(tmp_path, f"config_version: 1\n{written}\n")
    result, _ = audit(tmp_path, "--config", config)
    assert refusal(result) == f"error: {config}, line 2, at {path}: {said}"


def test_the_same_override_as_a_flag_is_reported_as_the_flag(tmp_path: Path) -> None:
    result, _ = audit(tmp_path, "--param", "api_usage.limit_recommended.recommended=lots")
    assert refusal(result) == (
        "error: --param api_usage.limit_recommended.recommended=\"lots\": 'lots' is not of "
        "type 'integer'; expected the daily limit the guide (or the client's agreement) "
        "calls for, a whole number above 0.")


def test_a_bad_parameter_in_a_fleet_targets_config_is_reported_in_the_fleet_file(
        tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    text = yaml.safe_dump({"fleet_version": 1, "out": "out", "targets": [
        {"name": "acme", "snapshot": str(SNAPSHOT),
         "config": {"params": {"cases.activities_flowing.window_days": 0}}}]})
    fleet.write_text(text)
    line = 1 + next(number for number, row in enumerate(text.splitlines())
                    if row.strip() == "cases.activities_flowing.window_days: 0")
    result = invoke("fleet", fleet)
    assert result.exit_code == 2, result.output
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["targets"][0]["reason"] == (
        f"{fleet}, line {line}, at $.targets[0].config.params"
        "[\"cases.activities_flowing.window_days\"]: 0 is less than the minimum of 1; "
        "expected how many days back to look for Tasks, a whole number from 1 to 36500 "
        "(collect with the same --window-days).")


# --- a read-only file system -------------------------------------------------------------------

def _can_mount_read_only() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o ro none /mnt"],
                          capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.skipif(not _can_mount_read_only(),
                    reason="needs `unshare -rm` to mount a read-only file system")
def test_a_read_only_file_system_is_named_as_such(tmp_path: Path) -> None:
    # A folder of a read-only tmpfs, mounted in a mount namespace of the auditor's own.
    folder = tmp_path / "read-only"
    folder.mkdir()
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", 'mount -t tmpfs -o ro none "$0" && exec "$@"',
         str(folder), sys.executable, "-m", "auditor", "audit", "--snapshot", str(SNAPSHOT),
         "--out", str(folder / "reports")],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"error: {folder / 'reports' / 'report.html'}: cannot write in the folder {folder}: "
        "it is on a read-only file system.\n")


# --- a byte order mark ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["settings.json", "settings.yaml"])
def test_a_settings_file_with_a_byte_order_mark_is_read(tmp_path: Path, name: str) -> None:
    data = yaml.safe_load(SETTINGS.read_text())
    text = (json.dumps(data, indent=2, default=str) if name.endswith(".json")
            else SETTINGS.read_text())
    plain, marked = tmp_path / "plain", tmp_path / "marked"
    for folder, prefix in ((plain, ""), (marked, BOM)):
        folder.mkdir()
        (folder / name).write_text(prefix + text, encoding="utf-8")
        result = invoke("audit", "--snapshot", SNAPSHOT, "--settings", folder / name,
                        "--out", folder / "reports", "--format", "json")
        assert result.exit_code == 1, result.output  # the misconfigured example's findings
    findings = [json.loads((folder / "reports" / "report.json").read_text())["findings"]
                for folder in (plain, marked)]
    assert findings[0] == findings[1]


def test_a_json_snapshot_with_a_byte_order_mark_keeps_its_lines_in_errors(
        tmp_path: Path) -> None:
    data = json.loads(SNAPSHOT.read_text())
    data["intercom"]["teammates"][0]["has_inbox_seat"] = "yes"
    text = json.dumps(data, indent=2)
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(BOM + text, encoding="utf-8")
    line = 1 + next(number for number, row in enumerate(text.splitlines())
                    if row.strip().startswith('"has_inbox_seat": "yes"'))
    message = refusal(invoke("audit", "--snapshot", snapshot, "--out", tmp_path / "r"))
    assert message.startswith(
        f"error: {snapshot}, line {line}, at $.intercom.teammates[0].has_inbox_seat: ")
