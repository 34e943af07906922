"""`auditor collect --no-salesforce` end to end, as a user runs it, against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from auditor.documents.snapshot import load_snapshot
from tests.intercom_fixtures import assert_no_token, intercom, make_scenario

BUDGET = 8
ITEMS = ("workspace", "teammates", "contacts", "app_events")


def auditor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # Only the environment the test gives: nothing Intercom-related from the caller's.
    inherited = {k: v for k, v in os.environ.items()
                 if not k.startswith("INTERCOM_") and k != "SSL_CERT_FILE"}
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args], env={**inherited, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_collect_writes_a_valid_snapshot_within_the_budget(tmp_path: Path) -> None:
    out = tmp_path / "snap.json"
    with intercom(make_scenario(teammates=150, events=150)) as served:
        result = auditor(served.env, "collect", "--no-salesforce", "--quiet", "-o", str(out))

    assert result.returncode == 0, result.stderr
    snapshot = load_snapshot(out)  # validates against the snapshot schema
    section = snapshot["intercom"]
    assert section["status"] == "collected"
    for item in ITEMS:
        assert "status" not in section[item], (item, section[item])
    assert section["requests"] == served.emulator.requests <= BUDGET
    assert snapshot["salesforce"]["status"] == "skipped"
    assert_no_token(out.read_text(encoding="utf-8"), result.stdout, result.stderr)


def test_collect_without_a_token_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "snap.json"
    result = auditor({}, "collect", "--no-salesforce", "--quiet", "-o", str(out))

    assert result.returncode == 2
    assert "INTERCOM_ACCESS_TOKEN is not set" in result.stderr
    assert not out.exists()


def test_collect_with_a_rejected_token_records_why(tmp_path: Path) -> None:
    out = tmp_path / "snap.json"
    scenario = make_scenario()
    scenario.token = "the-token-intercom-knows"
    with intercom(scenario) as served:
        result = auditor(served.env, "collect", "--no-salesforce", "--quiet",
                         "--allow-partial", "-o", str(out))

    written = out.read_text(encoding="utf-8")
    section = json.loads(written)["intercom"]
    assert section["status"] == "unavailable"
    assert "401 unauthorized: Access Token Invalid" in section["reason"]
    assert section["requests"] == served.emulator.requests
    assert_no_token(written, result.stdout, result.stderr)
