"""--notify: one notice to Slack, Teams and a plain JSON webhook, checked against a local
HTTPS receiver; nothing posted when nothing got worse; a failed post changes nothing."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import trustme
from click.testing import CliRunner, Result

from auditor.cli.commands import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SLACK_PATH = "/services/T0AUDIT/B0AUDIT/slacksecretpart0123456789"
TEAMS_PATH = "/workflows/teamsflow01/triggers/manual/paths/invoke?sig=teamssecret0123456789"
JSON_PATH = "/hooks/plain-json-secret-0123456789"
# What each receiver answers: Slack "ok" with 200, a Teams workflow 202 Accepted.
ANSWERS = {SLACK_PATH: (200, b"ok"), TEAMS_PATH: (202, b""), JSON_PATH: (204, b"")}


class Posted(NamedTuple):
    path: str
    content_type: str
    body: dict[str, Any]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, str]:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return server, str(ca_file)


@contextmanager
def receiver(context: ssl.SSLContext, status: int | None = None) -> Iterator[
        tuple[str, list[Posted]]]:
    """An HTTPS server on 127.0.0.1 that keeps every POST; `status` overrides the answer."""
    posted: list[Posted] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            posted.append(Posted(self.path, self.headers.get("Content-Type", ""),
                                 json.loads(body)))
            code, answer = ANSWERS.get(self.path, (404, b"no_service"))
            self.send_response(status or code)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", posted
    finally:
        server.shutdown()
        server.server_close()


def audit(tmp_path: Path, ca_file: str, *args: str | Path,
          env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["audit", "--out", str(tmp_path / "out"), *map(str, args)],
        env={"SSL_CERT_FILE": ca_file, "GITHUB_RUN_ID": "", "CI_JOB_URL": "", **(env or {})},
        catch_exceptions=False)


def baseline(tmp_path: Path, ca_file: str, example: str) -> Path:
    result = audit(tmp_path / "base", ca_file, "--snapshot",
                   EXAMPLES / f"{example}.snapshot.json", "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return tmp_path / "base" / "out" / "report.json"


def hooks(url: str) -> list[str]:
    return ["--notify", f"slack+{url}{SLACK_PATH}", "--notify", f"teams+{url}{TEAMS_PATH}",
            "--notify", f"{url}{JSON_PATH}"]


def misconfigured_after(tmp_path: Path, tls: tuple[ssl.SSLContext, str],
                        example: str) -> tuple[Result, list[Posted]]:
    """The misconfigured example audited against a baseline of `example`, notifying all
    three kinds of webhook."""
    context, ca_file = tls
    base = baseline(tmp_path, ca_file, example)
    with receiver(context) as (url, posted):
        result = audit(tmp_path, ca_file, "--snapshot", EXAMPLES / "misconfigured.snapshot.json",
                       "--baseline", base, *hooks(url))
    return result, posted


def test_new_failures_post_one_notice_to_slack_teams_and_json(
        tmp_path: Path, tls: tuple[ssl.SSLContext, str]) -> None:
    result, posted = misconfigured_after(tmp_path, tls, "compliant")
    assert result.exit_code == 1, result.output  # as without --notify
    assert [p.path for p in posted] == [SLACK_PATH, TEAMS_PATH, JSON_PATH]
    assert {p.content_type for p in posted} == {"application/json"}
    slack, teams, plain = (p.body for p in posted)

    assert plain["workspace"] == "Globex Corp"
    assert (plain["score"], plain["score_change"]) == (30, -70)
    assert plain["reasons"] == ["19 failing findings new since the last run",
                                "the score fell by 70 points"]
    assert {level: [f["rule_id"] for f in found]
            for level, found in plain["new_failures_by_severity"].items()} == {
        "critical": ["lead_contact_sync.email_identifier"],
        "high": ["connection.admin_access_temporary", "api_usage.limit_set",
                 "lead_contact_sync.mapped_fields_writable"],
        "medium": ["lead_contact_sync.required_lead_fields",
                   "lead_contact_sync.duplicate_emails", "cases.activities_flowing",
                   "ownership.teammates_mapped", "account_sync.no_account_writes",
                   "roi_reporting.skipped", "attestation.fresh"],
        "low": ["lead_contact_sync.two_way_mappings", "lead_contact_sync.duplicate_rules",
                "lead_contact_sync.contacts_without_email", "cases.case_owner",
                "cases.record_type", "ownership.all_accounts",
                "ownership.lead_creator_decided"],
        "info": ["lead_contact_sync.validation_rules_reviewed"],
    }
    assert plain["sources_unavailable"] == []
    assert plain["report"] == str((tmp_path / "out" / "report.html").resolve())

    title = ("Integration audit of Globex Corp: 19 failing findings new since the last run; "
             "the score fell by 70 points")
    assert slack["blocks"][0] == {"type": "header", "text": {"type": "plain_text",
                                                             "text": title[:150]}}
    section = slack["blocks"][1]["text"]
    assert section["type"] == "plain_text"
    assert section["text"].splitlines()[:3] == [
        "Score 30/100 (-70 since the last run)",
        "New critical: 1 (lead_contact_sync.email_identifier)",
        "New high: 3 (connection.admin_access_temporary, api_usage.limit_set, "
        "lead_contact_sync.mapped_fields_writable)"]
    assert "and 2 more" in section["text"]  # seven medium, five named
    assert slack["text"].startswith(title)

    assert teams["type"] == "message"
    (attachment,) = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    texts = [block["inlines"][0]["text"] for block in card["body"]]
    assert texts[0] == title and texts[1] == "Score 30/100 (-70 since the last run)"
    assert {block["type"] for block in card["body"]} == {"RichTextBlock"}
    assert "notice posted to the slack webhook at 127.0.0.1" in result.output


def test_nothing_is_posted_when_nothing_got_worse(
        tmp_path: Path, tls: tuple[ssl.SSLContext, str]) -> None:
    result, posted = misconfigured_after(tmp_path, tls, "misconfigured")
    assert result.exit_code == 1, result.output
    assert posted == []


@pytest.mark.parametrize(("drop", "notified"), [(15, True), (16, False)])
def test_a_score_drop_notifies_from_the_drop_asked_for(
        tmp_path: Path, tls: tuple[ssl.SSLContext, str], drop: int, notified: bool) -> None:
    context, ca_file = tls
    base = baseline(tmp_path, ca_file, "misconfigured")
    report = json.loads(base.read_text())
    report["summary"]["score"] = 45  # the same findings, a better score the night before
    base.write_text(json.dumps(report))
    with receiver(context) as (url, posted):
        result = audit(tmp_path, ca_file, "--snapshot", EXAMPLES / "misconfigured.snapshot.json",
                       "--baseline", base, "--notify", f"json+{url}{JSON_PATH}",
                       "--notify-drop", str(drop))
    assert result.exit_code == 1, result.output
    assert [p.body["reasons"] for p in posted] == (
        [["the score fell by 15 points"]] if notified else [])


def test_a_source_not_collected_notifies_without_a_baseline(
        tmp_path: Path, tls: tuple[ssl.SSLContext, str]) -> None:
    context, ca_file = tls
    with receiver(context) as (url, posted):
        result = audit(tmp_path, ca_file, "--snapshot", EXAMPLES / "partial.snapshot.json",
                       "--notify", f"{url}{JSON_PATH}",
                       env={"GITHUB_SERVER_URL": "https://github.example",
                            "GITHUB_REPOSITORY": "acme/audits", "GITHUB_RUN_ID": "42"})
    assert result.exit_code in (0, 1), result.output
    (notice,) = [p.body for p in posted]
    assert notice["reasons"] == ["Salesforce could not be collected"]
    assert notice["sources_unavailable"] == ["salesforce"]
    assert notice["report"] == "https://github.example/acme/audits/actions/runs/42"


def test_a_failed_post_is_a_warning_and_never_shows_the_address(
        tmp_path: Path, tls: tuple[ssl.SSLContext, str]) -> None:
    context, ca_file = tls
    base = baseline(tmp_path, ca_file, "compliant")
    with receiver(context, status=500) as (url, posted):
        result = audit(tmp_path, ca_file, "--snapshot", EXAMPLES / "misconfigured.snapshot.json",
                       "--baseline", base, "--notify", f"slack+{url}{SLACK_PATH}",
                       "--notify", "https://127.0.0.1:9/nobody-listens-here-0123456789")
    assert result.exit_code == 1, result.output  # as without --notify
    assert len(posted) == 1
    assert ("warning: the notice to the slack webhook at 127.0.0.1 was not delivered "
            "(HTTP 500 ok)") in result.output
    assert "warning: the notice to the json webhook at 127.0.0.1 was not delivered (Connect" \
        in result.output
    for secret in ("slacksecretpart", "nobody-listens", SLACK_PATH, url):
        assert secret not in result.output


def test_no_secret_and_no_customer_email_reach_a_notice(
        tmp_path: Path, tls: tuple[ssl.SSLContext, str]) -> None:
    context, ca_file = tls
    token = "tok_secret_intercom_0123456789abcdef"
    snapshot = json.loads((EXAMPLES / "misconfigured.snapshot.json").read_text())
    snapshot["settings"]["workspace"] = f"Globex for jane.doe@customer.example {token}"
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    base = baseline(tmp_path, ca_file, "compliant")
    with receiver(context) as (url, posted):
        result = audit(tmp_path, ca_file, "--snapshot", path, "--baseline", base, *hooks(url),
                       env={"INTERCOM_ACCESS_TOKEN": token})
    assert result.exit_code == 1, result.output
    assert len(posted) == 3
    for post in posted:
        text = json.dumps(post.body)
        assert token not in text and token[:12] not in text
        assert "jane.doe@" not in text and "j***@customer.example" in text
        for path_of_hook in (SLACK_PATH, TEAMS_PATH, JSON_PATH):
            assert path_of_hook not in text


def test_a_webhook_from_the_config_file_through_an_environment_variable(
        tmp_path: Path, tls: tuple[ssl.SSLContext, str]) -> None:
    context, ca_file = tls
    base = baseline(tmp_path, ca_file, "compliant")
    config = tmp_path / "auditor.yaml"
    config.write_text(f"config_version: 1\nsnapshot: {EXAMPLES / 'misconfigured.snapshot.json'}\n"
                      f"baseline: {base}\nnotify: [$AUDIT_HOOK]\nnotify_drop: 50\n")
    with receiver(context) as (url, posted):
        result = audit(tmp_path, ca_file, "--config", config,
                       env={"AUDIT_HOOK": f"teams+{url}{TEAMS_PATH}"})
    assert result.exit_code == 1, result.output
    assert [p.path for p in posted] == [TEAMS_PATH]


@pytest.mark.parametrize("value", ["http://hooks.example/secret-path-0123456789",
                                   "hooks.slack.com/services/T0/B0/secret0123456789",
                                   "$AUDIT_HOOK_NOT_SET"])
def test_a_bad_webhook_is_bad_input_that_never_repeats_the_address(
        tmp_path: Path, tls: tuple[ssl.SSLContext, str], value: str) -> None:
    result = audit(tmp_path, tls[1], "--snapshot", EXAMPLES / "misconfigured.snapshot.json",
                   "--notify", value)
    assert result.exit_code == 2
    assert "secret" not in result.output
    assert not (tmp_path / "out").exists()  # checked before anything was written


def test_the_fleet_refuses_notify_rather_than_ignore_it(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.json"
    fleet.write_text(json.dumps({"fleet_version": 1, "targets": [{
        "name": "acme", "snapshot": str(EXAMPLES / "misconfigured.snapshot.json"),
        "config": {"notify": ["$AUDIT_HOOK"]}}]}))
    result = CliRunner().invoke(cli, ["fleet", str(fleet), "--out", str(tmp_path / "out")],
                                catch_exceptions=False)
    assert result.exit_code == 2
    assert "notify is not supported by `auditor fleet` yet" in result.output
    assert "$.targets[0].config.notify" in result.output
