"""`auditor collect` and `auditor audit` against the Salesforce emulator, end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli.commands import EXIT_BAD_INPUT, EXIT_OK, EXIT_PARTIAL, cli
from tests.salesforce_lab import SalesforceLab, assert_no_secret, schema_errors

pytest_plugins = ("tests.salesforce_fixtures",)

ITEMS = ("audited_as", "org", "api_allowance", "intercom_tokens", "integration_users",
         "case_record_types", "integration_activity", "leads", "contacts", "installed_packages")


@pytest.fixture
def token_login(lab: SalesforceLab, monkeypatch: pytest.MonkeyPatch) -> SalesforceLab:
    monkeypatch.setenv("SF_INSTANCE_URL", lab.emulator.base_url)
    monkeypatch.setenv("SF_ACCESS_TOKEN", lab.scenario.access_token)
    return lab


def collect(out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["collect", "--no-intercom", "--quiet", "-o", str(out),
                                      *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def test_collect_writes_every_item_within_budget(token_login: SalesforceLab,
                                                 tmp_path: Path) -> None:
    out = tmp_path / "snap.json"
    code, output = collect(out, "--window-days", "30", "--timeout", "10")
    assert code == EXIT_OK, output
    snapshot = json.loads(out.read_text())
    assert schema_errors(snapshot) == []
    salesforce = snapshot["salesforce"]
    # Without Intercom there are no teammates to match Salesforce's users against.
    assert salesforce["status"] == "partial"
    assert salesforce["active_users"]["status"] == "unavailable"
    assert "Intercom's teammates were not available" in salesforce["active_users"]["reason"]
    for item in ITEMS:
        assert isinstance(salesforce[item], list) or salesforce[item].get("status") is None, item
    assert salesforce["requests"] == token_login.emulator.request_count <= 5
    assert_no_secret(token_login.secrets(), out.read_text(), output)


STALE = "00D000000000001!AQ4AQStaleTokenThatMustNotLeak"


def reject_token(lab: SalesforceLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", STALE)


def spend_allowance(lab: SalesforceLab, monkeypatch: pytest.MonkeyPatch) -> None:
    lab.scenario.api_used = lab.scenario.api_max


@pytest.mark.parametrize(("fault", "expected"), [
    (reject_token, "rejected the access token"),
    (spend_allowance, "daily API allowance is spent"),
])
def test_collect_when_salesforce_refuses(
        token_login: SalesforceLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        fault: Callable[[SalesforceLab, pytest.MonkeyPatch], None], expected: str) -> None:
    fault(token_login, monkeypatch)
    out = tmp_path / "snap.json"
    code, output = collect(out)
    assert code == EXIT_PARTIAL, output
    salesforce = json.loads(out.read_text())["salesforce"]
    assert salesforce["status"] == "unavailable" and expected in salesforce["reason"]
    # The first round (two Composite requests, the Tooling query and UserInfo) went out at
    # once; no more.
    assert salesforce["requests"] == token_login.emulator.request_count == 4
    assert "Traceback" not in output
    assert_no_secret([STALE, *token_login.secrets()], out.read_text(), output)


def test_collect_with_an_unreadable_object(token_login: SalesforceLab, tmp_path: Path) -> None:
    token_login.scenario.denied["OauthToken"] = (403, "INSUFFICIENT_ACCESS",
                                                 "insufficient access rights on object id")
    out = tmp_path / "snap.json"
    code, output = collect(out)
    assert code == EXIT_OK, output  # the source was collected; its rules come out unknown
    salesforce = json.loads(out.read_text())["salesforce"]
    assert salesforce["intercom_tokens"]["reason"].startswith("403 INSUFFICIENT_ACCESS")
    assert salesforce["org"]["name"] == "Acme Inc"


def test_collect_without_credentials(lab: SalesforceLab, tmp_path: Path) -> None:
    out = tmp_path / "snap.json"
    code, output = collect(out)
    assert code == EXIT_BAD_INPUT
    assert "No Salesforce credentials" in output and "--no-salesforce" in output
    assert "Traceback" not in output
    assert not out.exists()


def test_audit_collects_then_reports(token_login: SalesforceLab, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["audit", "--no-intercom", "--quiet", "--format", "json",
                                      "--out", str(tmp_path), "--fail-on", "never"])
    assert result.exit_code == EXIT_OK, result.output
    report = (tmp_path / "report.json").read_text()
    assert token_login.emulator.request_count <= 5
    assert_no_secret(token_login.secrets(), report, result.output)
