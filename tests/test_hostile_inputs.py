"""Every input either loads or exits 2 (issue 9): one test per defect a hostile user found.

Each refusal is asserted through the command line, as a user meets it: exit 2, one
`error:` paragraph naming the file (and line and JSON path where there is one) and what
was expected, no traceback, and no report written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from auditor.cli.commands import cli
from auditor.documents.errors import InputError
from auditor.documents.load import parse_document
from auditor.documents.plain_data import MAX_TEXT
from auditor.documents.timestamps import parse_date, parse_timestamp

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SNAPSHOT = EXAMPLES / "compliant.snapshot.json"
SETTINGS_TEXT = (EXAMPLES / "settings.yaml").read_text(encoding="utf-8")


def invoke(*args: str | Path) -> Result:
    # Exceptions are caught, so that a crash shows as a failed assertion on its output.
    return CliRunner().invoke(cli, [str(a) for a in args])


def refused(result: Result, out: Path) -> str:
    """Assert a clean refusal, and return its one paragraph."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exc_info)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists(), "no report, not even the folder, for bad input"
    [paragraph] = [line for line in result.output.splitlines()
                   if line.lower().startswith("error:")]
    return paragraph


def snapshot_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return data


def write_json(path: Path, data: Any, raw: dict[str, str] | None = None) -> Path:
    """Write data as JSON; each string "RAW:name" in it becomes raw[name], verbatim, for
    what json.dumps will not write (a 5,000-digit number, NaN)."""
    text = json.dumps(data, indent=2)
    for name, value in (raw or {}).items():
        text = text.replace(json.dumps(f"RAW:{name}"), value)
    path.write_text(text, encoding="utf-8")
    return path


def audit_snapshot(tmp_path: Path, snapshot: Path, *extra: str | Path) -> str:
    out = tmp_path / "reports"
    return refused(invoke("audit", "--snapshot", snapshot, "--out", out, *extra), out)


def audit_settings(tmp_path: Path, text: str, name: str = "settings.yaml") -> str:
    settings = tmp_path / name
    settings.write_text(text, encoding="utf-8")
    return audit_snapshot(tmp_path, SNAPSHOT, "--settings", settings)


def line_of(text: str, needle: str) -> int:
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


PLAIN_DATA = ("is not allowed: only plain data is read (text, numbers, true, false, null, "
              "lists and mappings), without tags.")


# --- YAML tags --------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "tag"), [
    pytest.param("!!binary QWNtZQ==", "'!!binary'", id="binary"),
    pytest.param("!!timestamp 2026-11-18", "'!!timestamp'", id="timestamp"),
    pytest.param("!!python/object/apply:os.getcwd []", "'!!python/object/apply:os.getcwd'",
                 id="python object"),
    pytest.param("!acme Acme Inc", "'!acme'", id="custom tag"),
    pytest.param("!!set {Acme: null}", "'!!set'", id="set"),
    pytest.param("!!float 12", "'!!float'", id="tag that changes the value"),
])
def test_a_yaml_tag_in_settings_is_refused_by_name(tmp_path: Path, value: str, tag: str) -> None:
    text = SETTINGS_TEXT.replace("workspace: Acme Inc", f"workspace: {value}")
    assert audit_settings(tmp_path, text) == (
        f"error: {tmp_path / 'settings.yaml'}, line {line_of(text, value)}: "
        f"the YAML tag {tag} {PLAIN_DATA}")


def test_a_yaml_merge_key_is_refused_by_name(tmp_path: Path) -> None:
    text = SETTINGS_TEXT.replace("workspace: Acme Inc", "<<: {workspace: Acme Inc}")
    assert audit_settings(tmp_path, text).endswith(
        f"line {line_of(text, '<<')}: the YAML tag '!!merge' (the merge key <<) {PLAIN_DATA}")


def test_tags_that_say_what_the_value_is_anyway_are_plain_data(tmp_path: Path) -> None:
    text = (SETTINGS_TEXT.replace("workspace: Acme Inc", "workspace: !!str 2026")
            .replace("limit: 20000", "limit: !!int 20000"))
    settings = tmp_path / "settings.yaml"
    settings.write_text(text, encoding="utf-8")
    result = invoke("audit", "--snapshot", SNAPSHOT, "--settings", settings,
                    "--out", tmp_path / "reports", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "reports" / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["by_status"]["fail"] == 0


def test_a_yaml_tag_in_a_rule_file_is_refused_by_name(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "acme.yaml").write_text("id: acme.rule\ntitle: !!binary QWNtZQ==\n",
                                     encoding="utf-8")
    out = tmp_path / "reports"
    result = invoke("audit", "--snapshot", SNAPSHOT, "--rules-dir", rules, "--out", out)
    assert refused(result, out) == (
        f"error: {rules / 'acme.yaml'}, line 2: the YAML tag '!!binary' {PLAIN_DATA}")


def test_a_yaml_tag_in_a_snapshot_is_refused_by_name(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.yaml"
    snapshot.write_text("snapshot_version: 1\ncreated_at: !!timestamp 2026-11-20T10:00:00Z\n",
                        encoding="utf-8")
    assert audit_snapshot(tmp_path, snapshot) == (
        f"error: {snapshot}, line 2: the YAML tag '!!timestamp' {PLAIN_DATA}")


# --- numbers and strings beyond a sane size -----------------------------------------------

BEYOND = "is beyond the whole numbers this tool reads, from -9007199254740991 to " \
         "9007199254740991 (2^53 - 1)."


def test_a_number_over_4300_digits_in_a_snapshot_is_refused(tmp_path: Path) -> None:
    data = snapshot_data()
    data["salesforce"]["integration_activity"]["tasks_created"] = "RAW:big"
    snapshot = write_json(tmp_path / "s.json", data, {"big": "9" * 5000})
    message = audit_snapshot(tmp_path, snapshot)
    assert message.startswith(f"error: {snapshot}, line ")
    assert message.endswith(", at $.salesforce.integration_activity.tasks_created: a whole "
                            f"number written with 5,000 characters {BEYOND}")


def test_a_number_over_4300_digits_in_settings_is_refused(tmp_path: Path) -> None:
    text = SETTINGS_TEXT.replace("limit: 20000", "limit: " + "1" * 5000)
    assert audit_settings(tmp_path, text) == (
        f"error: {tmp_path / 'settings.yaml'}, line {line_of(text, 'limit:')}, at "
        "$.intercom_salesforce_app.api_usage.limit: a whole number written with 5,000 "
        f"characters {BEYOND}")


def test_a_whole_number_beyond_2_53_is_refused(tmp_path: Path) -> None:
    text = SETTINGS_TEXT.replace("limit: 20000", f"limit: {2**53}")
    assert audit_settings(tmp_path, text).endswith(
        f"at $.intercom_salesforce_app.api_usage.limit: {2**53} {BEYOND}")


@pytest.mark.parametrize(("raw", "shown"), [
    ("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf"), ("1e400", "inf")])
def test_a_number_that_is_not_finite_in_a_snapshot_is_refused(
        tmp_path: Path, raw: str, shown: str) -> None:
    data = snapshot_data()
    data["salesforce"]["api_allowance"]["max"] = "RAW:n"
    snapshot = write_json(tmp_path / "s.json", data, {"n": raw})
    assert audit_snapshot(tmp_path, snapshot).endswith(
        f"at $.salesforce.api_allowance.max: {shown} is not a number this tool reads: numbers "
        "must be finite, not NaN or infinity.")


def test_yaml_nan_in_settings_is_refused(tmp_path: Path) -> None:
    text = SETTINGS_TEXT.replace("limit: 20000", "limit: .nan")
    assert audit_settings(tmp_path, text).endswith(
        "at $.intercom_salesforce_app.api_usage.limit: nan is not a number this tool reads: "
        "numbers must be finite, not NaN or infinity.")


def test_a_huge_string_is_refused(tmp_path: Path) -> None:
    text = SETTINGS_TEXT.replace("workspace: Acme Inc", "workspace: " + "A" * (MAX_TEXT + 1))
    assert audit_settings(tmp_path, text).endswith(
        "at $.workspace: this text is 65,537 characters long, over the limit of 65,536 "
        "characters for one text.")


def test_a_huge_key_is_refused_where_it_stands(tmp_path: Path) -> None:
    data = snapshot_data()
    data["intercom"]["K" * (MAX_TEXT + 1)] = 1
    snapshot = write_json(tmp_path / "s.json", data)
    assert audit_snapshot(tmp_path, snapshot).endswith(
        "at $.intercom: this key is 65,537 characters long, over the limit of 65,536 "
        "characters for one key.")


# --- lone surrogates and control characters -----------------------------------------------

SURROGATE = ("holds a lone surrogate (U+D800 at character 1): half of a UTF-16 pair, not a "
             "character. Write the character in full, or remove it.")


def test_a_lone_surrogate_in_a_snapshot_is_refused(tmp_path: Path) -> None:
    data = snapshot_data()
    data["salesforce"]["intercom_tokens"][0]["app_name"] = "\ud800"
    snapshot = write_json(tmp_path / "s.json", data)
    assert '"\\ud800"' in snapshot.read_text(encoding="utf-8")
    message = audit_snapshot(tmp_path, snapshot)
    assert message.endswith(f"at $.salesforce.intercom_tokens[0].app_name: this text {SURROGATE}")


def test_a_lone_surrogate_in_yaml_settings_is_refused(tmp_path: Path) -> None:
    text = SETTINGS_TEXT.replace("workspace: Acme Inc", 'workspace: "\\ud800"')
    assert audit_settings(tmp_path, text) == (
        f"error: {tmp_path / 'settings.yaml'}, line {line_of(text, 'workspace')}, at "
        f"$.workspace: this text {SURROGATE}")


def test_a_lone_surrogate_in_a_key_is_refused(tmp_path: Path) -> None:
    settings = {"settings_version": 1, "\ud800": 1}
    path = write_json(tmp_path / "settings.json", settings)
    message = audit_snapshot(tmp_path, SNAPSHOT, "--settings", path)
    assert message.endswith(f'at $["\\ud800"]: this key {SURROGATE}')


@pytest.mark.parametrize(("written", "code", "at"), [
    pytest.param('"Acme\\e[31m"', "U+001B at character 5", "at $.workspace", id="escape"),
    pytest.param('"Acme\\x07"', "U+0007 at character 5", "at $.workspace", id="bell"),
    pytest.param('"Acme\\x85"', "U+0085 at character 5", "at $.workspace", id="C1 next line"),
    pytest.param('"\\x7f"', "U+007F at character 1", "at $.workspace", id="delete"),
])
def test_a_control_character_in_a_value_is_refused(
        tmp_path: Path, written: str, code: str, at: str) -> None:
    text = SETTINGS_TEXT.replace("workspace: Acme Inc", f"workspace: {written}")
    assert audit_settings(tmp_path, text).endswith(
        f"{at}: this text holds the control character {code}; only tab and line breaks are "
        "allowed. Remove it.")


def test_a_control_character_in_a_snapshot_key_is_refused(tmp_path: Path) -> None:
    data = snapshot_data()
    data["intercom"]["work\u001bspace"] = 1
    snapshot = write_json(tmp_path / "s.json", data)
    assert audit_snapshot(tmp_path, snapshot).endswith(
        'at $.intercom["work\\u001bspace"]: this key holds the control character U+001B at '
        "character 5; only tab and line breaks are allowed. Remove it.")


def test_tabs_and_line_breaks_are_text(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text(SETTINGS_TEXT.replace("workspace: Acme Inc",
                                              'workspace: "Acme\\tInc\\r\\nEurope"'),
                        encoding="utf-8")
    result = invoke("audit", "--snapshot", SNAPSHOT, "--settings", settings,
                    "--out", tmp_path / "reports", "--format", "json")
    assert result.exit_code == 0, result.output


# --- dates at the calendar's edges -------------------------------------------------------

YEARS = "is outside the years this tool accepts, from 1900 to 9998."


@pytest.mark.parametrize(("field", "value", "year"), [
    pytest.param(("created_at",), "9999-12-31T23:59:59-05:00", 9999, id="end of the calendar"),
    pytest.param(("created_at",), "0001-01-01T00:00:00+05:00", 1, id="start, ahead of UTC"),
    pytest.param(("created_at",), "0001-01-01T00:00:00-05:00", 1, id="start, behind UTC"),
    pytest.param(("salesforce", "intercom_tokens", 0, "last_used_date"),
                 "9999-12-31T23:59:59Z", 9999, id="an observation's timestamp"),
])
def test_a_timestamp_at_the_calendars_edge_is_refused(
        tmp_path: Path, field: tuple[str | int, ...], value: str, year: int) -> None:
    data = snapshot_data()
    parent = data
    for part in field[:-1]:
        parent = parent[part]
    parent[field[-1]] = value
    snapshot = write_json(tmp_path / "s.json", data)
    path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in field)
    assert audit_snapshot(tmp_path, snapshot).endswith(
        f"at {path}: expected a timestamp with a time zone, like 2026-11-20T09:30:00Z "
        f'(RFC 3339); found "{value}". The year {year} {YEARS}')


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_an_attestation_date_at_the_calendars_edge_is_refused(tmp_path: Path, value: str) -> None:
    text = SETTINGS_TEXT.replace("attested_at: 2026-11-18", f"attested_at: {value}")
    assert audit_settings(tmp_path, text).endswith(
        f'at $.attested_at: expected a date written YYYY-MM-DD; found "{value}". '
        f"The year {int(value[:4])} {YEARS}")


# --- one timestamp form: RFC 3339 --------------------------------------------------------


@pytest.mark.parametrize(("text", "utc"), [
    ("2026-11-20T10:00:00Z", "2026-11-20 10:00:00+00:00"),
    ("2026-11-20t10:00:00z", "2026-11-20 10:00:00+00:00"),  # lower case, as RFC 3339 allows
    ("2026-11-20T11:30:00+01:30", "2026-11-20 10:00:00+00:00"),
    ("2026-11-20T10:00:00-00:00", "2026-11-20 10:00:00+00:00"),  # UTC, local offset unknown
    ("2026-11-20T10:00:00.123456789Z", "2026-11-20 10:00:00.123456+00:00"),
    ("2016-12-31T23:59:60Z", "2016-12-31 23:59:59.999999+00:00"),  # a leap second
    ("1900-01-01T00:00:00+23:59", "1899-12-31 00:01:00+00:00"),
    ("9998-12-31T23:59:59-23:59", "9999-01-01 23:58:59+00:00"),
])
def test_rfc_3339_timestamps_are_read(text: str, utc: str) -> None:
    from datetime import UTC

    assert str(parse_timestamp(text).astimezone(UTC)) == utc


@pytest.mark.parametrize(("text", "why"), [
    ("2026-11-20T10Z", "not an RFC 3339 timestamp"),  # hours only
    ("2026-W47-5T10:00:00Z", "not an RFC 3339 timestamp"),  # a week date
    ("2026-11-20T10:00Z", "not an RFC 3339 timestamp"),  # no seconds
    ("2026-11-20 10:00:00Z", "not an RFC 3339 timestamp"),  # a space for the T
    ("20261120T100000Z", "not an RFC 3339 timestamp"),  # ISO 8601 basic form
    ("2026-11-20T10:00:00", "not an RFC 3339 timestamp"),  # no time zone
    ("2026-11-20T10:00:00+0100", "not an RFC 3339 timestamp"),
    ("2026-11-20T10:00:00.Z", "not an RFC 3339 timestamp"),
    ("\uff12\uff10\uff12\uff16-11-20T10:00:00Z", "not an RFC 3339 timestamp"),  # full width
    ("2026-11-20T10:00:00Z\n", "not an RFC 3339 timestamp"),
    ("2026-02-29T10:00:00Z", "there is no day 29 in month 02 of 2026"),
    ("2026-11-20T24:00:00Z", "there is no time 24:00:00"),
    ("2026-11-20T10:00:61Z", "there is no time 10:00:61"),
    ("2026-11-20T10:00:00+24:00", "there is no time zone offset 24:00"),
])
def test_other_timestamp_forms_are_refused(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=f"^{why}"):
        parse_timestamp(text)


@pytest.mark.parametrize("text", ["2026-11-18T00:00:00Z", "20261118", "2026-W47-3", "2026-322",
                                  "2026-11-18 ", "2026-11-31"])
def test_dates_are_rfc_3339_full_dates_only(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_a_lower_case_rfc_3339_snapshot_audits_as_the_upper_case_one(tmp_path: Path) -> None:
    data = snapshot_data()
    data["created_at"] = data["created_at"].lower()
    token = data["salesforce"]["intercom_tokens"][0]
    token["last_used_date"] = token["last_used_date"].lower()
    reports = {}
    for name, snapshot in (("upper", SNAPSHOT), ("lower", write_json(tmp_path / "s.json", data))):
        result = invoke("audit", "--snapshot", snapshot, "--out", tmp_path / name,
                        "--format", "json")
        assert result.exit_code == 0, result.output
        report = json.loads((tmp_path / name / "report.json").read_text(encoding="utf-8"))
        reports[name] = {f["rule_id"]: (f["status"], f["message"]) for f in report["findings"]}
    assert reports["lower"] == reports["upper"]
    assert reports["lower"]["connection.integration_user"][0] == "pass"


@pytest.mark.parametrize("value", ["2026-11-20T10Z", "2026-W47-5T10:00:00Z"])
def test_a_snapshot_with_another_timestamp_form_is_refused(tmp_path: Path, value: str) -> None:
    data = snapshot_data()
    data["created_at"] = value
    snapshot = write_json(tmp_path / "s.json", data)
    assert audit_snapshot(tmp_path, snapshot).endswith(
        "at $.created_at: expected a timestamp with a time zone, like 2026-11-20T09:30:00Z "
        f'(RFC 3339); found "{value}".')


# --- special files and files over a size bound -------------------------------------------


def test_dev_zero_as_a_snapshot_is_refused_before_reading(tmp_path: Path) -> None:
    assert audit_snapshot(tmp_path, Path("/dev/zero")) == (
        "error: /dev/zero: expected a snapshot in a regular file; this is a character device, "
        "which is not read.")


def test_dev_zero_as_settings_is_refused_before_reading(tmp_path: Path) -> None:
    assert audit_snapshot(tmp_path, SNAPSHOT, "--settings", "/dev/zero") == (
        "error: /dev/zero: expected a settings file in a regular file; this is a character "
        "device, which is not read.")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
@pytest.mark.timeout(20)  # a regression would wait for a writer forever
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    assert audit_snapshot(tmp_path, fifo) == (
        f"error: {fifo}: expected a snapshot in a regular file; this is a named pipe, which "
        "is not read.")
    assert audit_snapshot(tmp_path, SNAPSHOT, "--settings", fifo).endswith(
        "expected a settings file in a regular file; this is a named pipe, which is not read.")
    rules = tmp_path / "rules"
    rules.mkdir()
    os.mkfifo(rules / "acme.yaml")
    assert audit_snapshot(tmp_path, SNAPSHOT, "--rules-dir", rules) == (
        f"error: {rules / 'acme.yaml'}: expected a rule file in a regular file; this is a "
        "named pipe, which is not read.")


def test_a_folder_as_a_snapshot_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "snap.json"
    folder.mkdir()
    assert audit_snapshot(tmp_path, folder) == (
        f"error: {folder}: expected a snapshot, found a folder.")


def test_a_snapshot_over_128_mib_is_refused_before_reading(tmp_path: Path) -> None:
    # 128 MiB: the largest snapshot that audits within 1 GiB of memory (bench/RESULTS.md).
    snapshot = tmp_path / "big.json"
    with snapshot.open("wb") as handle:
        handle.truncate(128 * 1024**2 + 1)  # sparse: takes no disk space
    assert audit_snapshot(tmp_path, snapshot) == (
        f"error: {snapshot}: the snapshot is over 128 MiB, the most this tool reads from a "
        "snapshot; it was not read.")


def test_a_settings_file_over_1_mib_is_refused(tmp_path: Path) -> None:
    text = SETTINGS_TEXT + "#" * (1024**2)
    assert audit_settings(tmp_path, text) == (
        f"error: {tmp_path / 'settings.yaml'}: the settings file is over 1 MiB, the most this "
        "tool reads from a settings file; it was not read.")


def test_a_rule_file_over_1_mib_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "acme.yaml").write_text("#" * (1024**2 + 1), encoding="utf-8")
    assert audit_snapshot(tmp_path, SNAPSHOT, "--rules-dir", rules).endswith(
        "the rule file is over 1 MiB, the most this tool reads from a rule file; it was not "
        "read.")


def test_a_yaml_document_over_4_mib_is_refused_unread() -> None:
    with pytest.raises(InputError) as caught:
        parse_document("a: b\n" + "#" * (4 * 1024**2), "snapshot.yaml")
    assert str(caught.value) == (
        "snapshot.yaml: this YAML document is over 4 MiB, more than YAML is read for; write a "
        "document this large as JSON, in a .json file.")


def test_a_file_name_with_a_line_break_keeps_the_message_one_paragraph(tmp_path: Path) -> None:
    missing = tmp_path / "snap\nshot.json"
    escaped = str(missing).replace("\n", "\\n")
    assert audit_snapshot(tmp_path, missing) == f"error: {escaped}: the snapshot does not exist."
