"""`auditor fleet`: three targets against the emulators, one of them unreachable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from auditor.cli.commands import cli
from auditor.cli.fleet_run import worst_exit
from tests.intercom_fixtures import Served, intercom, make_scenario
from tests.salesforce_lab import SalesforceLab, assert_no_secret
from tests.secret_leaks import assert_no_leak

pytest_plugins = ("tests.salesforce_fixtures",)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def workspace() -> Iterator[Served]:
    scenario = make_scenario(teammates=2, events=3)
    with intercom(scenario, https=False) as served:
        yield served


def write_fleet(tmp_path: Path, lab: SalesforceLab, served: Served) -> Path:
    settings = yaml.safe_load((EXAMPLES / "settings.yaml").read_text())
    settings["attested_at"] = date.today().isoformat()
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump(settings))
    live = {"SF_INSTANCE_URL": "ORG_URL", "SF_ACCESS_TOKEN": "ORG_TOKEN",
            "INTERCOM_ACCESS_TOKEN": "IC_TOKEN", "INTERCOM_BASE_URL": "IC_URL"}
    fleet = {
        "fleet_version": 1,
        "out": "fleet-out",
        "targets": [
            {"name": "acme", "settings": "settings.yaml", "credentials": live},
            {"name": "globex", "settings": "settings.yaml", "credentials": live,
             "config": {"fail_on": "never"}},
            {"name": "initech", "no_salesforce": True,
             "credentials": {"INTERCOM_ACCESS_TOKEN": "IC_TOKEN",
                             "INTERCOM_BASE_URL": "DOWN_URL"}},
        ],
    }
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(fleet))
    return path


def test_three_targets_one_unreachable(tmp_path: Path, lab: SalesforceLab, workspace: Served,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_fleet(tmp_path, lab, workspace)
    monkeypatch.setenv("ORG_URL", lab.emulator.base_url)
    monkeypatch.setenv("ORG_TOKEN", lab.scenario.access_token)
    monkeypatch.setenv("IC_TOKEN", workspace.env["INTERCOM_ACCESS_TOKEN"])
    monkeypatch.setenv("IC_URL", workspace.env["INTERCOM_BASE_URL"])
    monkeypatch.setenv("DOWN_URL", "http://127.0.0.1:9")  # nothing listens there
    result = CliRunner().invoke(cli, ["fleet", str(path), "--concurrency", "3"],
                                catch_exceptions=False)
    out = tmp_path / "fleet-out"
    index = json.loads((out / "index.json").read_text())
    rows = {row["name"]: row for row in index["targets"]}
    assert rows["acme"]["status"] == rows["globex"]["status"] == "audited"
    assert rows["acme"]["exit_code"] == 1  # the typical org has failing high findings
    assert rows["globex"]["exit_code"] == 0  # its own config: --fail-on never
    assert rows["initech"]["exit_code"] == 3
    assert "Intercom could not be reached" in rows["initech"]["reason"]
    assert rows["acme"]["sources"] == {"salesforce": "collected", "intercom": "collected"}
    assert result.exit_code == 3 == index["exit_code"]
    for name in ("acme", "globex", "initech"):
        assert (out / name / "report.html").exists()
    html = (out / "index.html").read_text()
    assert '<a href="acme/report.html">acme</a>' in html
    assert "fleet: 3 of 3 targets done" in result.output
    assert_no_secret([lab.scenario.access_token, workspace.env["INTERCOM_ACCESS_TOKEN"]],
                     result.output, html, (out / "index.json").read_text())


def test_a_credential_variable_not_set_fails_only_its_target(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "offline", "snapshot": str(EXAMPLES / "compliant.snapshot.json")},
        {"name": "nocreds", "credentials": {"INTERCOM_ACCESS_TOKEN": "NOT_SET_ANYWHERE"},
         "no_salesforce": True},
    ]}))
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    result = CliRunner().invoke(cli, ["fleet", str(tmp_path / "fleet.yaml"), "--out",
                                      str(tmp_path / "o")], catch_exceptions=False)
    index = json.loads((tmp_path / "o/index.json").read_text())
    rows = {row["name"]: row for row in index["targets"]}
    assert rows["offline"]["exit_code"] == 0
    assert rows["nocreds"] == {"name": "nocreds", "exit_code": 2, "status": "failed",
                               "reason": "the credential variable NOT_SET_ANYWHERE is not set",
                               "report": None}
    assert result.exit_code == 2


def test_a_bad_fleet_file_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text("targets:\n  - name: a\n  - name: a\n")
    result = CliRunner().invoke(cli, ["fleet", str(tmp_path / "fleet.yaml")])
    assert result.exit_code == 2
    assert "the target name 'a' is used twice" in result.output


@pytest.mark.parametrize(("codes", "worst"), [
    ([0, 1, 3], 3), ([1, 2, 3], 2), ([0, 4, 2], 4), ([], 0), ([0, 0], 0), ([1, 0], 1)])
def test_the_fleet_exits_with_the_worst_code(codes: list[int], worst: int) -> None:
    assert worst_exit(codes) == worst


# A mixed-case token fits the pattern of a variable's name; one with a "!" does not.
PASTED_TOKEN = "aZ3kQ9wE2rT7yU1iO5pL8mN4bV6cX0zS"
PASTED_SESSION_ID = "00D5g000004ABCD!AQ8AQJ1xQ2v3b4n5m6k7l8p9o0i9u8y7t6r5e4w3q2"


def test_a_secret_pasted_where_a_variable_name_belongs_is_never_shown(
        tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "pasted", "credentials": {"INTERCOM_ACCESS_TOKEN": PASTED_TOKEN,
                                           "INTERCOM_REGION": "NOT_SET_EITHER"},
         "no_salesforce": True},
    ]}))
    result = CliRunner().invoke(cli, ["fleet", str(tmp_path / "fleet.yaml"), "--out",
                                      str(tmp_path / "o")], catch_exceptions=False)
    (row,) = json.loads((tmp_path / "o/index.json").read_text())["targets"]
    assert row["reason"] == (
        "the credential variables NOT_SET_EITHER, whose name holds 32 characters that look "
        "like an access token or key are not set")
    written = {str(path): path.read_text() for path in (tmp_path / "o").rglob("*")
               if path.is_file()}
    assert_no_leak([PASTED_TOKEN], output=result.output, **written)


def test_a_secret_that_breaks_the_name_pattern_is_described_not_quoted(
        tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text(yaml.safe_dump({"targets": [
        {"name": "pasted", "credentials": {"SF_ACCESS_TOKEN": PASTED_SESSION_ID},
         "no_salesforce": True},
    ]}))
    result = CliRunner().invoke(cli, ["fleet", str(tmp_path / "fleet.yaml"), "--out",
                                      str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "found a value that holds 58 characters that look like a Salesforce access token" \
        in result.output
    assert_no_leak([PASTED_SESSION_ID], output=result.output)
    assert not (tmp_path / "o").exists()
