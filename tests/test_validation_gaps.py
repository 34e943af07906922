"""Validation without gaps (issue 22): names match as a whole (Python's `$` also matches
before a final line break), a fleet target cannot take a roll-up file's name, and a
waiver's reason and approver hold text a person can read. Through the command line:
exit 2, one paragraph naming the file and the JSON path, nothing audited or written."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from auditor.documents.vocabulary import SCHEMA_NAMES
from auditor.report.filters import md_code, web_url
from tests.refusals import invoke, refusal

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SNAPSHOT = str(EXAMPLES / "misconfigured.snapshot.json")


def run_fleet(tmp_path: Path, targets: list[dict[str, Any]]) -> Result:
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump({"fleet_version": 1, "out": "out", "targets": targets}))
    return invoke("fleet", path)


def offline(name: str) -> dict[str, Any]:
    return {"name": name, "snapshot": SNAPSHOT}


# --- whole names --------------------------------------------------------------------------

def test_a_target_name_with_a_final_line_break_is_refused(tmp_path: Path) -> None:
    # "acme\n" looked like acme in the roll-up, and its link opened acme's report.
    result = run_fleet(tmp_path, [offline("acme"), offline("acme\n")])
    assert refusal(result) == (
        f"error: {tmp_path / 'fleet.yaml'}, line 6, at $.targets[1].name: 'acme\\n' does not "
        "match '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$(?!\\\\n)'.")
    assert not (tmp_path / "out").exists()


def test_a_credential_variable_name_with_a_final_line_break_is_refused(tmp_path: Path) -> None:
    target = {**offline("acme"), "credentials": {"SF_ACCESS_TOKEN": "ACME_TOKEN\n"}}
    message = refusal(run_fleet(tmp_path, [target]))
    assert "at $.targets[0].credentials.SF_ACCESS_TOKEN: 'ACME_TOKEN\\n' does not match" in (
        message)
    assert not (tmp_path / "out").exists()


def test_a_parameter_name_with_a_final_line_break_in_the_config_is_refused(
        tmp_path: Path) -> None:
    config = tmp_path / "auditor.yaml"
    config.write_text(json.dumps({"config_version": 1,
                                  "params": {"cases.activities_flowing.window_days\n": 7}}))
    out = tmp_path / "reports"
    message = refusal(invoke("audit", "--config", config, "--snapshot", SNAPSHOT, "--out", out))
    assert message.startswith(f"error: {config}, line 1, at $.params: ")
    assert "window_days\\n' does not match" in message
    assert not out.exists()


def test_a_rule_id_with_a_final_line_break_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    rule = {"id": "cases.extra\n", "title": "t", "section": "cases", "severity": "info",
            "basis": "observed", "rationale": "r", "remediation": "r",
            "reads": {"types": "salesforce.case_record_types"},
            "expect": {"properties": {"types": {"maxItems": 0}}},
            "messages": {"pass": "none", "fail": "some"}}
    (rules / "cases.extra.yaml").write_text(yaml.safe_dump(rule))
    out = tmp_path / "reports"
    message = refusal(invoke("audit", "--rules-dir", rules, "--snapshot", SNAPSHOT, "--out", out))
    assert "at $.id: 'cases.extra\\n' does not match" in message
    assert not out.exists()


def schema_patterns(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "pattern" and isinstance(item, str):
                yield item
            else:
                yield from schema_patterns(item)
    elif isinstance(value, list):
        for item in value:
            yield from schema_patterns(item)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_every_schema_pattern_matches_the_whole_text(name: str) -> None:
    schema = json.loads(resources.files("auditor.documents.schemas").joinpath(
        f"{name}.schema.json").read_text(encoding="utf-8"))
    for pattern in schema_patterns(schema):
        assert pattern.startswith("^") and pattern.endswith("$(?!\\n)"), pattern
        # jsonschema applies a pattern with re.search: its end must not let a line break by.
        assert re.search(pattern, "x" * 3 + "\n") is None


@pytest.mark.parametrize("text", ["https://example.com/guide\n", "\nhttps://example.com/x"])
def test_a_link_with_a_line_break_gets_no_address(text: str) -> None:
    assert web_url(text) is None
    assert web_url(text.strip()) == text.strip()


def test_an_identifier_with_a_final_line_break_is_not_a_code_span() -> None:
    assert md_code("cases.case_owner") == "`cases.case_owner`"
    assert not md_code("cases.case_owner\n").startswith("`")


# --- the roll-up's own names ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["index.html", "index.md", "index.json", "INDEX.HTML",
                                  "Index.Json"])
def test_a_target_named_like_a_roll_up_file_is_refused_before_any_audit(
        tmp_path: Path, name: str) -> None:
    result = run_fleet(tmp_path, [offline("acme"), offline(name)])
    assert refusal(result) == (
        f"error: {tmp_path / 'fleet.yaml'}, line 6, at $.targets[1].name: the target name "
        f"'{name}' is the name of a file of the roll-up (index.html, index.md, index.json), "
        "written beside the targets' folders; name the target otherwise.")
    assert not (tmp_path / "out").exists()  # acme was not audited either


def test_target_names_that_differ_only_in_case_are_refused(tmp_path: Path) -> None:
    result = run_fleet(tmp_path, [offline("acme"), offline("ACME")])
    assert refusal(result) == (
        f"error: {tmp_path / 'fleet.yaml'}, line 6, at $.targets[1].name: the target name "
        "'ACME' differs from 'acme' only in case; names pick report folders, so they must "
        "differ, in more than case.")
    assert not (tmp_path / "out").exists()


def test_names_beside_the_roll_up_files_are_fine(tmp_path: Path) -> None:
    result = run_fleet(tmp_path, [offline("index"), offline("index.htm")])
    assert result.exit_code == 1, result.output  # the misconfigured example fails
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "index", "index.htm", "index.html", "index.json", "index.md"]


# --- waivers a person can read ---------------------------------------------------------------

@pytest.mark.parametrize(("key", "value"), [
    ("reason", "   "), ("reason", "\u200b\u2060"), ("reason", "\u2028\t"),
    ("approved_by", "\n"), ("approved_by", "\u3000\u200b")])
def test_a_waiver_without_visible_text_is_refused(tmp_path: Path, key: str, value: str) -> None:
    entry = {"rule": "cases.case_owner", "reason": "Cases are not used",
             "approved_by": "jane@acme.example", "expires": date.today().isoformat(),
             key: value}
    text = json.dumps({"waivers": [entry]}, indent=2)
    waivers = tmp_path / "waivers.json"
    waivers.write_text(text)
    out = tmp_path / "reports"
    message = refusal(invoke("audit", "--snapshot", SNAPSHOT, "--waivers", waivers,
                             "--out", out))
    meaning = {"reason": "why the deviation is accepted", "approved_by": "who accepted it"}[key]
    line = 1 + next(number for number, row in enumerate(text.splitlines())
                    if row.strip().startswith(f'"{key}"'))
    assert message == (
        f"error: {waivers}, line {line}, at $.waivers[0].{key}: the waiver of "
        f"'cases.case_owner' has no visible text in `{key}`, only spaces, line breaks or "
        f"invisible characters; write {meaning}.")
    assert not out.exists()
