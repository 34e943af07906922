"""Loading settings, snapshots and rule files: bad input gets one clear paragraph that
names the file, the line or JSON path, and what was expected."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from auditor.documents.errors import InputError
from auditor.documents.load import parse_document
from auditor.documents.settings import check_settings, load_settings
from auditor.documents.snapshot import check_snapshot, dump_snapshot, load_snapshot, with_settings
from auditor.engine.catalogue import load_rules, resolve_params
from auditor.engine.evaluate import STATUSES, evaluate
from tests.snapshots import EXAMPLES, compliant_snapshot, run, run_all

SETTINGS_TEXT = (EXAMPLES / "settings.yaml").read_text(encoding="utf-8")
SNAPSHOT_TEXT = (EXAMPLES / "compliant.snapshot.json").read_text(encoding="utf-8")
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def line_of(text: str, needle: str) -> int:
    """The 1-based line holding needle, which must occur exactly once."""
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


def load_error(loader: Any, path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        loader(path)
    message = str(caught.value)
    assert "\n" not in message, "one paragraph"
    assert message.startswith(f"{path}, ") or message.startswith(f"{path}: ")
    return message


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "at", "expected"), [
    pytest.param("identifier: email", "identifer: email",
                 "$.intercom_salesforce_app.lead_contact_sync.identifer",
                 "unknown key 'identifer'. Did you mean 'identifier'?", id="unknown key"),
    pytest.param("workspace: Acme Inc", "wrkspace: Acme Inc", "$.wrkspace",
                 "unknown key 'wrkspace'. Did you mean 'workspace'?", id="unknown top key"),
    pytest.param("identifier: email", "identifier: emial",
                 "$.intercom_salesforce_app.lead_contact_sync.identifier",
                 'expected one of "email", "user_id"; found "emial".', id="enum"),
    pytest.param("limit: 20000", 'limit: "lots"', "$.intercom_salesforce_app.api_usage.limit",
                 'expected a whole number or null; found "lots".', id="type"),
    pytest.param("limit: 20000", "limit: 0", "$.intercom_salesforce_app.api_usage.limit",
                 "0 is less than the minimum of 1.", id="limit 0"),
    pytest.param("respect_lead_creator: true", "respect_lead_creator: maybe",
                 "$.intercom_salesforce_app.ownership.respect_lead_creator",
                 'expected true or false or null; found "maybe".', id="boolean"),
    pytest.param("settings_version: 1", "settings_version: 2", "$.settings_version",
                 "expected 1; found 2.", id="version"),
    *(pytest.param("attested_at: 2026-11-18", f"attested_at: {bad}", "$.attested_at",
                   f'expected a date written YYYY-MM-DD; found "{bad}".', id=f"date {bad}")
      for bad in ("2026-13-45", "18/11/2026", "2026-W47-1", "2026-11-18T10:00")),
])
def test_a_bad_settings_value(tmp_path: Path, old: str, new: str, at: str, expected: str) -> None:
    text = SETTINGS_TEXT.replace(old, new)
    message = load_error(load_settings, tmp_path / "settings.yaml", text)
    assert f", line {line_of(text, new)}, at {at}: {expected}" in message


@pytest.mark.parametrize(("text", "line", "expected"), [
    pytest.param("settings_version: 1\nworkspace: a\nworkspace: b\n", 3,
                 "the key 'workspace' appears twice in the same mapping; keep one.",
                 id="duplicate key"),
    pytest.param("settings_version: 1\nintercom_salesforce_app:\n  cases: [\n", 4,
                 "this is not valid YAML", id="unclosed list"),
    pytest.param("settings_version: 1\n\tworkspace: a\n", 2, "this is not valid YAML",
                 id="tab"),
    pytest.param("settings_version: 1\nworkspace: \x07\n", 2,
                 "this is not valid YAML: it holds a character YAML does not allow (#x0007).",
                 id="control character"),
    pytest.param("- settings_version: 1\n", 1,
                 "expected a settings mapping starting with 'settings_version: 1'",
                 id="not a mapping"),
])
def test_a_settings_file_that_is_not_usable(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    message = load_error(load_settings, tmp_path / "settings.yaml", text)
    assert f"line {line}" in message
    assert expected in message


def test_aliases_cannot_expand_without_bound(tmp_path: Path) -> None:
    # Seven levels of ten-fold aliases would be ten million values once expanded.
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for previous, name in zip("abcdef", "bcdefg", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]")
    message = load_error(load_settings, tmp_path / "settings.yaml", "\n".join(lines))
    assert "expands to more than 200,000 values" in message


def test_settings_in_json_form(tmp_path: Path) -> None:
    as_yaml = load_settings(EXAMPLES / "settings.yaml")
    text = json.dumps(as_yaml, indent=2)
    (tmp_path / "settings.json").write_text(text, encoding="utf-8")
    assert load_settings(tmp_path / "settings.json") == as_yaml
    wrong = text.replace('"identifier"', '"identifer"')
    message = load_error(load_settings, tmp_path / "settings.json", wrong)
    assert f"line {line_of(wrong, 'identifer')}" in message
    assert "Did you mean 'identifier'?" in message
    duplicate = text.replace('"workspace": "Acme Inc"', '"workspace": "A", "workspace": "B"')
    assert "the key 'workspace' appears twice" in load_error(
        load_settings, tmp_path / "settings.json", duplicate)
    # A key with a line break in it is shown escaped, keeping the message one paragraph.
    odd_key = text.replace('"workspace"', '"work\\nspace"')
    assert "at $[\"work\\nspace\"]: unknown key 'work\\nspace'." in load_error(
        load_settings, tmp_path / "settings.json", odd_key)


@pytest.mark.parametrize(("api_usage", "status"), [
    ("  api_usage:\n    limit: null\n", "fail"),  # attested: no limit is set
    ("  api_usage:\n    limit:\n", "fail"),  # YAML's empty value is the same null
    ("  api_usage: {}\n", "unknown"),  # left out: nobody looked
    ("", "unknown"),
])
def test_explicit_null_is_not_the_same_as_left_out(
    tmp_path: Path, api_usage: str, status: str
) -> None:
    text = SETTINGS_TEXT.replace(
        "  api_usage:\n    limit: 20000                    # integer > 0, or null = no limit set\n",
        api_usage)
    assert text != SETTINGS_TEXT
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    snapshot = with_settings(compliant_snapshot(), load_settings(path), str(path))
    finding = run("api_usage.limit_set", snapshot)
    assert finding.status == status
    expected_files = [] if status == "unknown" else [str(path)]
    assert [p.file for p in finding.provenance] == expected_files


# --- snapshots --------------------------------------------------------------------------


def test_a_truncated_snapshot(tmp_path: Path) -> None:
    text = SNAPSHOT_TEXT[: SNAPSHOT_TEXT.index('"intercom_tokens"')]
    message = load_error(load_snapshot, tmp_path / "snap.json", text)
    assert f"line {text.count(chr(10)) + 1}" in message
    assert "this is not valid JSON" in message and "truncated" in message


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(SNAPSHOT_TEXT.replace('"snapshot_version": 1', '"snapshot_version": 2'),
                 "line 2, at $.snapshot_version: found snapshot_version 2, but this auditor "
                 "(0.1.0) reads snapshot_version 1 only.", id="version 2"),
    pytest.param(SNAPSHOT_TEXT.replace('"snapshot_version": 1,', ""),
                 "found no snapshot_version", id="no version"),
    pytest.param("[]", "expected a snapshot: a JSON object", id="a list"),
    pytest.param('"snapshot"', "expected a snapshot: a JSON object", id="a string"),
    pytest.param("", "this is not valid JSON", id="empty"),
    pytest.param(SNAPSHOT_TEXT.replace('"tasks_created": 1843', '"tasks_created": -1'),
                 "at $.salesforce.integration_activity.tasks_created: -1 is less than the "
                 "minimum of 0.", id="negative count"),
    pytest.param(SNAPSHOT_TEXT.replace('"created_at": "2026-11-20T10:00:00Z"',
                                       '"created_at": "2026-11-20T10:00:00"'),
                 "at $.created_at: expected a timestamp with a time zone", id="naive time"),
    pytest.param("[" * 10_000, "nested more than 64 levels deep", id="deep"),
    # Inside a oneOf (settings or null; collected or not), the branch that was meant.
    pytest.param(SNAPSHOT_TEXT.replace('"limit": 20000', '"limit": "lots"'),
                 "line 15, at $.settings.intercom_salesforce_app.api_usage.limit: expected a "
                 'whole number or null; found "lots".', id="settings inside"),
    pytest.param(SNAPSHOT_TEXT.replace('"collected_at": "2026-11-20T10:00:02Z",', ""),
                 "at $.salesforce: the required key 'collected_at' is missing.",
                 id="collected without collected_at"),
    pytest.param(SNAPSHOT_TEXT.replace('"case_record_types": []',
                                       '"case_record_types": {"status": "unavailable"}'),
                 "at $.salesforce.case_record_types: the required key 'reason' is missing.",
                 id="unavailable without reason"),
])
def test_a_bad_snapshot(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in load_error(load_snapshot, tmp_path / "snap.json", text)


def test_a_snapshot_round_trips(tmp_path: Path) -> None:
    (tmp_path / "snap.json").write_text(dump_snapshot(compliant_snapshot()), encoding="utf-8")
    assert load_snapshot(tmp_path / "snap.json") == compliant_snapshot()


# --- rule files -------------------------------------------------------------------------

USER_RULE_FILE = "api_usage.acme_cap.yaml"
USER_RULE = """\
id: api_usage.acme_cap
title: The API limit stays under Acme's own cap
section: api_usage
severity: high
basis: attested
rationale: Acme's other integrations need most of the allowance.
remediation: Lower the limit in Manage API usage.
parameters:
  cap:
    default: 30000
    schema: {type: integer, minimum: 1}
    description: the highest limit Acme accepts
reads:
  limit: settings.intercom_salesforce_app.api_usage.limit
expect:
  properties:
    limit: {type: integer, maximum: {$param: cap}}
messages:
  pass: "{{ limit }} is within Acme's cap of {{ params.cap }}."
  fail: "{{ limit }} is above Acme's cap of {{ params.cap }}."
"""


def test_a_user_rule_is_pure_data_and_works_end_to_end(tmp_path: Path) -> None:
    (tmp_path / USER_RULE_FILE).write_text(USER_RULE, encoding="utf-8")
    rules = load_rules([tmp_path])
    assert len(rules) == 27
    [user_rule] = [r for r in rules if r.origin == str(tmp_path / USER_RULE_FILE)]
    assert user_rule.id == "api_usage.acme_cap"

    def status_and_message(snapshot: dict[str, Any], overrides: dict[str, Any]) -> list[str]:
        findings = evaluate(rules, snapshot, resolve_params(rules, overrides))
        [finding] = [f for f in findings if f.rule is user_rule]
        return [finding.status, finding.message]

    snapshot = compliant_snapshot()
    assert status_and_message(snapshot, {}) == ["pass", "20000 is within Acme's cap of 30000."]
    assert status_and_message(snapshot, {"api_usage.acme_cap.cap": 10000}) == [
        "fail", "20000 is above Acme's cap of 10000."]
    del snapshot["settings"]["intercom_salesforce_app"]["api_usage"]["limit"]
    assert status_and_message(snapshot, {})[0] == "unknown"


@pytest.mark.parametrize(("old", "new", "key", "expected"), [
    pytest.param("expect:\n  properties:\n    limit: {type: integer, maximum: {$param: cap}}\n",
                 "check: limit_is_fine\n", "check",
                 "no check named 'limit_is_fine'; the checks are: ", id="unknown check"),
    pytest.param("section: api_usage", "section: billing", "section",
                 "unknown section 'billing'; expected one of: connection, api_usage", id="section"),
    pytest.param("pass: \"{{ limit }} is", "pass: \"{{ limit is", "messages.pass",
                 "the message is not a valid template", id="template"),
    pytest.param("expect:\n  properties:\n    limit: {type: integer, maximum: {$param: cap}}",
                 "expect:\n  properties:\n    limit: {type: integer, maximum: {$param: kap}}",
                 "expect", "{$param: kap} names no parameter of this rule; its parameters: cap.",
                 id="unknown parameter"),
    pytest.param("severity: high", "severity: urgent", "severity",
                 'expected one of "critical", "high", "medium", "low", "info"; found "urgent"',
                 id="severity"),
    pytest.param("    default: 30000", "    default: lots", "parameters.cap.default",
                 "the default does not satisfy the parameter's schema", id="parameter default"),
])
def test_a_bad_rule_file(tmp_path: Path, old: str, new: str, key: str, expected: str) -> None:
    text = USER_RULE.replace(old, new)
    assert text != USER_RULE
    (tmp_path / USER_RULE_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rules([tmp_path])
    message = str(caught.value)
    first_line = new.splitlines()[0].strip()
    assert message.startswith(f"{tmp_path / USER_RULE_FILE}, line {line_of(text, first_line)}, "
                              f"at $.{key}: {expected}")


@pytest.mark.parametrize(("files", "expected"), [
    pytest.param({"api_usage.limit_set.yaml":
                  USER_RULE.replace("api_usage.acme_cap", "api_usage.limit_set")},
                 "the rule id 'api_usage.limit_set' is already defined in "
                 "rules/api_usage.limit_set.yaml", id="clashes with a shipped rule"),
    pytest.param({USER_RULE_FILE: USER_RULE, "sub/api_usage.acme_cap.yml": USER_RULE},
                 "the rule id 'api_usage.acme_cap' is already defined in ", id="twice in the dir"),
])
def test_a_duplicate_rule_id(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rules([tmp_path])
    assert expected in str(caught.value)
    assert "rule ids must be unique" in str(caught.value)


def test_rules_dir_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--rules-dir must name a folder"):
        load_rules([tmp_path / "missing"])


# --- fuzzing: nothing but InputError, ever ----------------------------------------------


def parse_as(text: str, name: str, check: Any) -> None:
    try:
        check(parse_document(text, name))
    except InputError as exc:
        assert str(exc).strip()


@FUZZ
@given(text=st.text(max_size=300), name=st.sampled_from(["s.yaml", "s.json"]))
def test_any_text_as_settings_or_snapshot(text: str, name: str) -> None:
    parse_as(text, name, check_settings)
    parse_as(text, name, check_snapshot)


@FUZZ
@given(data=st.binary(max_size=300), name=st.sampled_from(["s.yaml", "s.json"]))
def test_any_bytes_as_a_file(tmp_path: Path, data: bytes, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    for loader in (load_settings, load_snapshot):
        try:
            loader(path)
        except InputError as exc:
            assert str(path) in str(exc)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(["email", "other", "2026-11-18", "both", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8,
)


def paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_in(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """The base document with a few values replaced, removed or added."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths_in(doc)))
        if not path:
            continue
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["alike", "alike", "replace", "remove", "add"]))
        if action == "remove":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(JSON_VALUES)
        elif action == "alike":
            # A value of the same kind gets past the schema more often, and so reaches
            # the rules with values the examples never hold.
            parent[path[-1]] = draw(alike(parent[path[-1]]))
        else:
            parent[path[-1]] = draw(JSON_VALUES)
    return doc


def alike(value: Any) -> st.SearchStrategy[Any]:
    if isinstance(value, bool):
        return st.booleans() | st.none()
    if isinstance(value, int):
        return st.integers(0, 10**7) | st.none()
    if isinstance(value, str):
        return st.sampled_from(["", "Intercom", "2026-11-20T10:00:00Z", "2020-02-29",
                                "JANE@ACME.EXAMPLE", "x@y"]) | st.text(max_size=8)
    if isinstance(value, list):
        return st.just(value[:1]) | st.just([]) | st.just(value * 2)
    return st.just(value)


BASE_SETTINGS = load_settings(EXAMPLES / "settings.yaml")


@FUZZ
@given(mutated(BASE_SETTINGS), st.booleans())
def test_mutated_settings_load_cleanly_or_say_why(
    tmp_path: Path, data: dict[str, Any], as_json: bool
) -> None:
    path = tmp_path / ("settings.json" if as_json else "settings.yaml")
    path.write_text(json.dumps(data) if as_json else yaml.safe_dump(data), encoding="utf-8")
    try:
        loaded = load_settings(path)
    except InputError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        event("refused")
        return
    event("loaded")
    # Whatever the schema lets through, every rule can evaluate.
    snapshot = with_settings(compliant_snapshot(), loaded, str(path))
    assert {f.status for f in run_all(snapshot)} <= set(STATUSES)


@FUZZ
@given(mutated(compliant_snapshot()))
def test_mutated_snapshots_load_cleanly_or_say_why(data: dict[str, Any]) -> None:
    try:
        snapshot = check_snapshot(parse_document(json.dumps(data, indent=1), "snap.json"))
    except InputError as exc:
        assert str(exc).startswith("snap.json") and "\n" not in str(exc)
        event("refused")
        return
    event("loaded")
    assert {f.status for f in run_all(snapshot)} <= set(STATUSES)
