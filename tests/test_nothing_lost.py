"""Issue 9, "nothing lost", at the command line: a failed collection never replaces a good
snapshot, the reports are replaced as a set, and a bad output target costs no request."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from auditor.cli.commands import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_PARTIAL, cli
from auditor.collect import SourceUnavailable
from tests.salesforce_lab import SalesforceLab

pytest_plugins = ("tests.salesforce_fixtures",)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "misconfigured.snapshot.json"
GOOD = '{"a good snapshot": "collected last week"}\n'
REASON = "Intercom could not be reached at https://api.intercom.io: ConnectError."


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def intercom_down(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The Intercom collector, unable to reach Intercom; the list counts its calls."""
    calls: list[int] = []

    def unreachable(*_: Any, **__: Any) -> dict[str, Any]:
        calls.append(1)
        raise SourceUnavailable(REASON, requests=1)

    monkeypatch.setattr("auditor.collect.intercom.collector.collect_intercom", unreachable)
    return calls


def partial_copies(folder: Path) -> list[Path]:
    return sorted(folder.glob("s.partial-*.json"))


COMMANDS: dict[str, Callable[[Path, Path], list[str | Path]]] = {
    "collect": lambda target, _: ["collect", "--no-salesforce", "--quiet", "-o", target],
    "audit": lambda target, out: ["audit", "--no-salesforce", "--quiet", "--out", out,
                                  "--save-snapshot", target],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_failed_collection_never_replaces_a_good_snapshot(
        tmp_path: Path, intercom_down: list[int], command: str) -> None:
    target = tmp_path / "s.json"
    target.write_text(GOOD)

    result = run(*COMMANDS[command](target, tmp_path / "reports"))

    assert result.exit_code == EXIT_PARTIAL, result.output
    assert target.read_text() == GOOD
    [copy] = partial_copies(tmp_path)
    snapshot = json.loads(copy.read_text())
    assert snapshot["intercom"] == {"status": "unavailable", "reason": REASON, "requests": 1}
    assert copy.name == "s.partial-{}.json".format(
        snapshot["created_at"].replace("-", "").replace(":", ""))
    assert result.stderr.splitlines()[-1] == (
        f"note: a source that was asked for could not be collected, so {target} is kept as it "
        f"was and this collection goes to {copy}. Pass --allow-partial to replace it anyway.")
    assert f"wrote {copy}\n" in result.stdout
    if command == "audit":  # the reports name the snapshot that was actually written
        report = json.loads((tmp_path / "reports" / "report.json").read_text())
        assert report["snapshot"]["file"] == copy.name


@pytest.mark.parametrize("command", COMMANDS)
def test_allow_partial_lets_the_collection_replace_the_snapshot(
        tmp_path: Path, intercom_down: list[int], command: str) -> None:
    target = tmp_path / "s.json"
    target.write_text(GOOD)

    result = run(*COMMANDS[command](target, tmp_path / "reports"), "--allow-partial")

    assert result.exit_code in (0, EXIT_FINDINGS), result.output
    assert json.loads(target.read_text())["intercom"]["status"] == "unavailable"
    assert partial_copies(tmp_path) == []


def test_a_failed_collection_with_no_snapshot_yet_writes_the_target(
        tmp_path: Path, intercom_down: list[int]) -> None:
    target = tmp_path / "s.json"
    result = run(*COMMANDS["collect"](target, tmp_path))
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert json.loads(target.read_text())["intercom"]["status"] == "unavailable"
    assert partial_copies(tmp_path) == []


def test_a_report_that_is_a_link_stops_the_run_before_any_report_is_replaced(
        tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert run("audit", "--snapshot", EXAMPLE, "--out", out).exit_code == EXIT_FINDINGS
    before = {name: (out / name).read_text() for name in ("report.html", "report.json")}
    elsewhere = tmp_path / "notes.md"
    elsewhere.write_text("someone's notes")
    (out / "report.md").unlink()
    (out / "report.md").symlink_to(elsewhere)

    result = run("audit", "--snapshot", EXAMPLE, "--out", out, "--show-emails")

    assert result.exit_code == EXIT_BAD_INPUT
    assert result.stderr == (f"error: {out}/report.md: expected a regular file to write to, "
                             "but this is a link. Remove the link, or name the file it points "
                             "to.\n")
    assert {name: (out / name).read_text() for name in before} == before
    assert elsewhere.read_text() == "someone's notes"
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.md"]


def _link(tmp_path: Path) -> Path:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "somewhere.json")
    return link


def _report_is_a_folder(tmp_path: Path) -> Path:
    (tmp_path / "reports" / "report.json").mkdir(parents=True)
    return tmp_path / "reports" / "report.json"


def _under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "plain").write_text("a file")
    return tmp_path / "plain" / "s.json"


BAD_TARGETS: dict[str, tuple[Callable[[Path], Path], Callable[[Path, Path], list[str | Path]],
                             str]] = {
    "collect -o a link": (_link, lambda bad, _: ["collect", "-o", bad],
                          "expected a regular file to write to, but this is a link."),
    "collect -o under a file": (_under_a_file, lambda bad, _: ["collect", "-o", bad],
                                "cannot make the folder for this file:"),
    "--save-snapshot a link": (_link, lambda bad, out: ["audit", "--out", out,
                                                        "--save-snapshot", bad],
                               "expected a regular file to write to, but this is a link."),
    "--out holding a folder for a report": (
        _report_is_a_folder, lambda _, out: ["audit", "--out", out],
        "expected a regular file to write to, but this is a folder."),
    "--save-snapshot onto a report": (
        lambda tmp: tmp / "reports" / "report.json",
        lambda bad, out: ["audit", "--out", out, "--save-snapshot", bad],
        "--save-snapshot names a file a report is written to"),
}


@pytest.mark.parametrize("case", BAD_TARGETS)
def test_a_bad_output_target_costs_no_request(
        tmp_path: Path, lab: SalesforceLab, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    monkeypatch.setenv("SF_INSTANCE_URL", lab.emulator.base_url)
    monkeypatch.setenv("SF_ACCESS_TOKEN", lab.scenario.access_token)
    make_bad, command, expected = BAD_TARGETS[case]
    bad = make_bad(tmp_path)

    result = run(*command(bad, tmp_path / "reports"), "--no-intercom", "--quiet")

    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert result.stderr.startswith(f"error: {bad}: {expected}"), result.stderr
    assert lab.emulator.request_count == 0
    assert not any(tmp_path.rglob("*.tmp"))
