"""Issue 22: a secret is secret by what it is, not by the variable it arrives in.

A property test: hypothesis makes a secret, the slot it arrives in (its own variable,
where a server quotes it back; or the wrong one: SF_INSTANCE_URL and SF_ACCESS_TOKEN
swapped, a token copied into INTERCOM_REGION, a password in the userinfo of a URL) and
the form a server or a bug puts it in (tests/secret_leaks.py: escapings, base64, hex in
either case, lower and upper case, a part from the middle). Each of `audit`, `doctor`,
`fleet` (through a credentials map) and a crash then runs with it, and no channel may
hold any telling part of it: stdout, stderr, report.html, .md, .json, .sarif, .junit.xml,
the snapshot, the fleet roll-up (index.html, .md, .json) and the crash file.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auditor.cli import commands as cli_module
from auditor.cli import steps
from auditor.cli.commands import cli
from auditor.cli.exit_codes import EXIT_BAD_INPUT, EXIT_BUG, EXIT_PARTIAL
from auditor.safety.secrets import REDACTED
from tests.emulators.intercom import Fault as IntercomFault
from tests.intercom_fixtures import intercom, make_scenario
from tests.salesforce_lab import SalesforceLab
from tests.secret_leaks import TRANSFORMS, assert_no_leak
from tests.test_secrets_matrix import salesforce_echo

pytest_plugins = ("tests.salesforce_fixtures",)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REPORTS = ("report.html", "report.md", "report.json", "report.sarif", "report.junit.xml")
INDEX = ("index.html", "index.md", "index.json")
OTHER_TOKEN = "ic-other-token-5d1e8b"  # what a slot holds when the secret is elsewhere

_TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~+/=-"
secrets = st.builds(
    str.__add__,
    st.sampled_from(["", "00D5g000004XyZa!", "00D000000000001!"]),  # a session id's head
    st.text(st.sampled_from(_TOKEN_CHARS), min_size=20, max_size=90),
).filter(lambda secret: len(set(secret)) > 8)


@dataclass(frozen=True)
class Slot:
    """Where the secret arrives: the variables set, the options, and the exit code of
    a run that gets that far. `echoed`: a server quotes the secret back."""

    env: Callable[[str, str, str], dict[str, str]]  # (secret, Salesforce, Intercom URL)
    options: tuple[str, ...]
    exit_code: int
    echoed: bool = False


SLOTS = {
    "INTERCOM_ACCESS_TOKEN": Slot(
        lambda secret, _, url: {"INTERCOM_ACCESS_TOKEN": secret, "INTERCOM_BASE_URL": url},
        ("--no-salesforce",), EXIT_PARTIAL, echoed=True),
    "SF_ACCESS_TOKEN": Slot(
        lambda secret, sf, _: {"SF_INSTANCE_URL": sf, "SF_ACCESS_TOKEN": secret},
        ("--no-intercom",), EXIT_PARTIAL, echoed=True),
    # The cases: each other slot is the wrong place for it.
    "SF_INSTANCE_URL (swapped)": Slot(
        lambda secret, sf, _: {"SF_INSTANCE_URL": secret, "SF_ACCESS_TOKEN": sf},
        ("--no-intercom",), EXIT_BAD_INPUT),
    "INTERCOM_REGION (copied)": Slot(
        lambda secret, *_: {"INTERCOM_ACCESS_TOKEN": secret, "INTERCOM_REGION": secret},
        ("--no-salesforce",), EXIT_BAD_INPUT),
    "SF_INSTANCE_URL userinfo": Slot(
        lambda secret, sf, _: {"SF_INSTANCE_URL": sf.replace("://", f"://me:{quote(secret)}@"),
                               "SF_ACCESS_TOKEN": OTHER_TOKEN},
        ("--no-intercom",), EXIT_BAD_INPUT),
    "INTERCOM_BASE_URL userinfo": Slot(
        lambda secret, _, url: {"INTERCOM_ACCESS_TOKEN": OTHER_TOKEN,
                                "INTERCOM_BASE_URL": url.replace("://", f"://{quote(secret)}@")},
        ("--no-salesforce",), EXIT_BAD_INPUT),
}


@contextmanager
def arriving(secret: str, slot: Slot, form: Callable[[str], str], lab: SalesforceLab
             ) -> Iterator[dict[str, str]]:
    """The slot's variables, with the servers set to quote the secret back in `form`."""
    lab.scenario.access_token = secret
    lab.scenario.faults[:] = [salesforce_echo("rest", lambda _: form(secret))]
    workspace = make_scenario(teammates=1, events=1, users=(2, 0), leads=(1, 0), faults={
        "GET /me": [IntercomFault.echoing(401, "unauthorized", "Access Token Invalid: ",
                                          lambda _: form(secret), times=99)]})
    workspace.token = secret
    with intercom(workspace, https=False) as served:
        yield slot.env(secret, lab.emulator.base_url, served.env["INTERCOM_BASE_URL"])


def run_audit(folder: Path, options: tuple[str, ...]) -> tuple[int, dict[str, str]]:
    formats = [arg for fmt in ("html", "md", "json", "sarif", "junit") for arg in ("--format", fmt)]
    result = CliRunner().invoke(cli, ["audit", "--quiet", "--fail-on", "never", "--out",
                                      str(folder / "reports"), "--save-snapshot",
                                      str(folder / "snapshot.json"), *formats, *options],
                                catch_exceptions=False)
    return result.exit_code, {"stdout": result.stdout, "stderr": result.stderr,
                              **files(folder / "reports", REPORTS),
                              **files(folder, ("snapshot.json",))}


def run_doctor(folder: Path, options: tuple[str, ...]) -> tuple[int, dict[str, str]]:
    result = CliRunner().invoke(cli, ["doctor", *options], catch_exceptions=False)
    return result.exit_code, {"stdout": result.stdout, "stderr": result.stderr}


def run_fleet(folder: Path, options: tuple[str, ...], env: dict[str, str],
              monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, str]]:
    """One target whose credentials map names variables of its own for each slot."""
    settings_file = yaml.safe_load((EXAMPLES / "settings.yaml").read_text())
    settings_file["attested_at"] = date.today().isoformat()
    (folder / "settings.yaml").write_text(yaml.safe_dump(settings_file))
    for name, value in env.items():
        monkeypatch.delenv(name)
        monkeypatch.setenv(f"ACME_{name}", value)
    target = {"name": "acme", "settings": "settings.yaml",
              "credentials": {name: f"ACME_{name}" for name in env},
              **{option.removeprefix("--").replace("-", "_"): True for option in options}}
    (folder / "fleet.yaml").write_text(yaml.safe_dump({"fleet_version": 1, "targets": [target]}))
    result = CliRunner().invoke(cli, ["fleet", str(folder / "fleet.yaml"), "--out",
                                      str(folder / "out"), "--processes", "1"],
                                catch_exceptions=False)
    outputs = files(folder / "out", INDEX)
    exit_code = yaml.safe_load(outputs["index.json"])["targets"][0]["exit_code"]
    return exit_code, {"stdout": result.stdout, "stderr": result.stderr, **outputs,
                       **files(folder / "out" / "acme", REPORTS)}


def run_crash(folder: Path, options: tuple[str, ...], form: Callable[[str], str], secret: str,
              monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
              ) -> tuple[int, dict[str, str]]:
    """A bug whose message quotes the secret, before any variable is read."""
    crashes = folder / "crashes"
    crashes.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(crashes))

    def check_outputs_with_a_bug(*_: object) -> None:
        raise RuntimeError(f"unexpected value: {form(secret)}")

    monkeypatch.setattr(steps, "check_outputs", check_outputs_with_a_bug)
    monkeypatch.setattr(sys, "argv", ["auditor", "audit", "--quiet", *options,
                                      "--out", str(folder / "reports")])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        cli_module.main()
    captured = capsys.readouterr()
    [crash_file] = crashes.iterdir()
    assert "RuntimeError: unexpected value: " in crash_file.read_text()
    return int(str(exited.value.code)), {"stdout": captured.out, "stderr": captured.err,
                                         "crash file": crash_file.read_text()}


def files(folder: Path, names: tuple[str, ...]) -> dict[str, str]:
    return {name: (folder / name).read_text() for name in names if (folder / name).exists()}


@pytest.mark.parametrize("command", ["audit", "doctor", "fleet", "crash"])
@settings(max_examples=2, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(slot="INTERCOM_ACCESS_TOKEN", secret="dG9rOmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MTIz",
         form="hex")
@example(slot="SF_ACCESS_TOKEN", secret="00D5g000004XyZa!AQ4AQFakeSessionToken.Lp9xWq2Ze7Rt",
         form="lower")
@example(slot="SF_INSTANCE_URL (swapped)",
         secret="00D5g000004XyZa!AQ4AQFakeSessionToken.Lp9xWq2Ze7Rt", form="middle")
@example(slot="INTERCOM_REGION (copied)", secret="dG9rOmFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6",
         form="hex_upper")
@example(slot="SF_INSTANCE_URL userinfo", secret="Pw-7xQ2mZk9LrT4vN8bW", form="basic_auth")
@example(slot="INTERCOM_BASE_URL userinfo", secret="Pw-7xQ2mZk9LrT4vN8bW", form="upper")
@given(slot=st.sampled_from(list(SLOTS)), secret=secrets, form=st.sampled_from(list(TRANSFORMS)))
def test_no_channel_holds_a_secret_whatever_slot_it_arrives_in(
        command: str, slot: str, secret: str, form: str, lab: SalesforceLab,
        capsys: pytest.CaptureFixture[str]) -> None:
    chosen, shape = SLOTS[slot], TRANSFORMS[form]
    with (tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as monkeypatch,
          arriving(secret, chosen, shape, lab) as env):
        folder = Path(tmp)
        for name in ("INTERCOM_ACCESS_TOKEN", "INTERCOM_BASE_URL", "INTERCOM_REGION"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        if command == "audit":
            exit_code, outputs = run_audit(folder, chosen.options)
        elif command == "doctor":
            exit_code, outputs = run_doctor(folder, chosen.options)
        elif command == "fleet":
            exit_code, outputs = run_fleet(folder, chosen.options, env, monkeypatch)
        else:
            exit_code, outputs = run_crash(folder, chosen.options, shape, secret,
                                           monkeypatch, capsys)
    assert exit_code == (EXIT_BUG if command == "crash" else chosen.exit_code), outputs
    if chosen.echoed and command == "audit":
        assert REDACTED in outputs["report.json"]  # the server's quote got there
    assert_no_leak([secret], **outputs)


def test_a_token_in_the_url_variable_is_told_by_its_shape(
        lab: SalesforceLab, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "00D5g000004XyZa!AQ4AQFakeSessionToken.Lp9xWq2Ze7Rt"
    monkeypatch.setenv("SF_INSTANCE_URL", token)
    monkeypatch.setenv("SF_ACCESS_TOKEN", lab.emulator.base_url)
    result = CliRunner().invoke(cli, ["collect", "--no-intercom", "-o", "unused.json"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.stderr.splitlines()[-1].startswith(
        "error: SF_INSTANCE_URL holds 50 characters that look like a Salesforce access "
        "token; expected the org's https:// address with no user name or password in it")
    assert lab.emulator.request_count == 0


def test_a_url_with_a_password_in_it_is_refused_unsent(monkeypatch: pytest.MonkeyPatch) -> None:
    with intercom(make_scenario(teammates=1, events=1), https=False) as served:
        url = served.env["INTERCOM_BASE_URL"].replace("://", "://me:Pw-7xQ2mZk9LrT4vN8bW@")
        monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", OTHER_TOKEN)
        monkeypatch.setenv("INTERCOM_BASE_URL", url)
        result = CliRunner().invoke(cli, ["doctor", "--no-salesforce"])
        assert served.emulator.requests == 0
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.stderr == (
        f"error: INTERCOM_BASE_URL holds {len(url)} characters that look like a URL starting "
        "http:// with a user name or password in it; the auditor sends no credentials in a "
        "URL: remove the part before @ and give the access token in INTERCOM_ACCESS_TOKEN.\n")
