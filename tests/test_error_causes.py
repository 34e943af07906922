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

from tests.refusals import invoke, refusal

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SNAPSHOT = EXAMPLES / "misconfigured.snapshot.json"
SETTINGS = EXAMPLES / "settings.yaml"
BOM = "\ufeff"


def refused_with(tmp_path: Path, flag: str, name: str, text: str) -> tuple[str, Path]:
    """Audit with `flag` naming a file of this text: its refusal, and the file."""
    path, out = tmp_path / name, tmp_path / "reports"
    path.write_text(text)
    message = refusal(invoke("audit", "--snapshot", SNAPSHOT, "--out", out, flag, path))
    assert not out.exists()
    return message, path


@pytest.mark.parametrize(("flag", "name", "text", "said"), [
    pytest.param("--settings", "settings.yaml",
                 "settings_version: 1\nworkspace: Acme\n---\nworkspace: Globex\n",
                 "line 3: this file holds more than one YAML document: the second one starts "
                 "on this line. Each file is one document: remove the '---' (or '...') line "
                 "that separates them, or move the second to a file of its own.",
                 id="a second YAML document"),
    pytest.param("--config", "auditor.yaml",
                 "config_version: 1\nfail_on: high\nparams:\n"
                 "  api_usage.limit_recommended.recommended: lots\n",
                 "line 4, at $.params[\"api_usage.limit_recommended.recommended\"]: 'lots' is "
                 "not of type 'integer'; expected the daily limit the guide (or the client's "
                 "agreement) calls for, a whole number above 0.",
                 id="a bad parameter value in the config, at its line"),
])
def test_the_message_names_the_file_the_place_and_the_cause(
        tmp_path: Path, flag: str, name: str, text: str, said: str) -> None:
    message, path = refused_with(tmp_path, flag, name, text)
    assert message == f"error: {path}, {said}"


def test_other_parser_words_are_not_garbled(tmp_path: Path) -> None:
    # PyYAML's "expected X, but found Y" once came out as "found expected X, but found Y".
    message, settings = refused_with(tmp_path, "--settings", "settings.yaml",
                                     "settings_version: 1\n&anchor!\n")
    assert message.startswith(f"error: {settings}, line 2: this is not valid YAML: expected ")
    assert "found expected" not in message and "found but" not in message


# --- rule overrides written in a config file ---------------------------------------------------

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
    message, config = refused_with(tmp_path, "--config", "auditor.yaml",
                                   f"config_version: 1\n{written}\n")
    assert message == f"error: {config}, line 2, at {path}: {said}"


def test_the_same_override_as_a_flag_is_reported_as_the_flag(tmp_path: Path) -> None:
    result = invoke("audit", "--snapshot", SNAPSHOT, "--out", tmp_path / "reports",
                    "--param", "api_usage.limit_recommended.recommended=lots")
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
