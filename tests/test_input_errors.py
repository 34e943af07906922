"""Mistakes in input files explained to the end: the wrong kind of file named as such,
every schema problem of a file at once in file order, YAML syntax in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli.commands import cli
from auditor.documents.errors import InputError
from auditor.documents.settings import load_settings
from auditor.documents.snapshot import load_snapshot

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SETTINGS_TEXT = (EXAMPLES / "settings.yaml").read_text(encoding="utf-8")


def _problem(loader: object, path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        loader(path)  # type: ignore[operator]
    message = str(caught.value)
    assert "\n" not in message, "one paragraph"
    return message


def test_a_settings_file_passed_as_a_snapshot_is_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["audit", "--snapshot", str(EXAMPLES / "settings.yaml"),
                                      "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert ("this is a settings file, not a snapshot: pass it with --settings"
            in result.stderr)
    assert "snapshot_version" not in result.stderr


def test_a_snapshot_passed_as_settings_is_named(tmp_path: Path) -> None:
    snapshot = EXAMPLES / "misconfigured.snapshot.json"
    result = CliRunner().invoke(cli, ["audit", "--snapshot", str(snapshot), "--settings",
                                      str(snapshot), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "this is a snapshot, not a settings file: pass it with --snapshot" in result.stderr
    assert "created_at" not in result.stderr


def test_every_problem_is_shown_in_file_order(tmp_path: Path) -> None:
    text = (SETTINGS_TEXT.replace("identifier: email", "identifer: email")
            .replace("respect_lead_creator: true", "respect_lead_creator: maybe")
            .replace("workspace: Acme Inc", "wrkspace: Acme Inc"))
    lines = text.splitlines()
    first = next(n for n, line in enumerate(lines, 1) if "wrkspace" in line)
    second = next(n for n, line in enumerate(lines, 1) if "identifer" in line)
    third = next(n for n, line in enumerate(lines, 1) if "maybe" in line)
    message = _problem(load_settings, tmp_path / "settings.yaml", text)
    assert message.startswith(f"{tmp_path / 'settings.yaml'}: 3 problems, in file order: "
                              f"(1) line {first}, at $.wrkspace: unknown key 'wrkspace'.")
    assert message.index(f"(2) line {second}, at $.intercom_salesforce_app.lead_contact_sync"
                         ".identifer") < message.index(f"(3) line {third}, at ")


def test_at_most_twenty_problems_then_a_count(tmp_path: Path) -> None:
    extra = "".join(f"extra_{n:02}: 1\n" for n in range(25))
    message = _problem(load_settings, tmp_path / "settings.yaml", SETTINGS_TEXT + extra)
    assert "(20) line" in message and "(21)" not in message
    assert message.endswith("And 5 more.")


def test_one_problem_reads_as_before(tmp_path: Path) -> None:
    text = SETTINGS_TEXT.replace("identifier: email", "identifier: emial")
    message = _problem(load_settings, tmp_path / "settings.yaml", text)
    assert "problems" not in message
    assert ", at $.intercom_salesforce_app.lead_contact_sync.identifier: expected one of" \
        in message


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("a: b: c\n", 1, "found a ':' where no new key can start at column 5. Hint: a value that "
     "holds ': ' must be quoted"),
    ("a:\n\tb: 1\n", 2, "found a tab at column 1. Hint: YAML indents with spaces only"),
    ("a:\n  b: 1\n c: 2\n", 3, "found indentation that does not line up with the lines above"),
    ('a: "open\n', 2, "found the end of the file inside a quoted value"),
    ("a: [1, 2\n", 2, "found a [list] that is not closed"),
    ("k: @x\n", 1, "found a value starting with '@' at column 4. Hint: quote"),
])
def test_yaml_syntax_errors_in_plain_words(tmp_path: Path, text: str, line: int,
                                           expected: str) -> None:
    message = _problem(load_settings, tmp_path / "settings.yaml", text)
    assert message.startswith(f"{tmp_path / 'settings.yaml'}, line {line}: "
                              "this is not valid YAML: ")
    assert expected in message


def test_a_snapshot_with_settings_keys_only_is_named_too(tmp_path: Path) -> None:
    message = _problem(load_snapshot, tmp_path / "snap.json", '{"settings_version": 1}')
    assert "this is a settings file, not a snapshot" in message
