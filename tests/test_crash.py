"""Issue 9: an internal error is not a traceback. One paragraph, a crash file without
secrets in the system's temporary folder, exit 4."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

from auditor.cli import commands as cli_module
from auditor.cli import pipeline
from auditor.cli.exit_codes import EXIT_BUG
from auditor.safety.secrets import Redactor

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "misconfigured.snapshot.json"
KEY_BODY = ["MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw",
            "7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFc"]
CREDENTIALS = {
    "SF_ACCESS_TOKEN": "00D5g000004XyZa!AQ4AQFakeAccessTokenThatMustNotLeak",
    "SF_PASSWORD": "Pw<&>'\"correct horse",
    "SF_SECURITY_TOKEN": "SecTok9f8e7d6c5b4a",
    "INTERCOM_ACCESS_TOKEN": "dG9rOmZha2UtaW50ZXJjb20tdG9rZW4tdGhhdC1tdXN0LW5vdC1sZWFr",
}
# The paragraph, whatever the crash file is called.
PARAGRAPH = re.compile(
    r"error: the auditor hit a bug \(RuntimeError\) and stopped\. This is a fault in the "
    r"auditor, not in your input or your systems; every file is either as it was or "
    r"completely written\. The details, with secrets removed, are in (?P<file>\S+); please "
    r"attach that file when you report the bug\.\n")


def forms(secret: str) -> list[str]:
    """The ways issue 9 saw secrets come back from servers."""
    return [secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode(),
            json.dumps(secret)[1:-1], html.escape(secret), secret[:20]]


def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "server.key"
    path.write_text("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(KEY_BODY)
                    + "\n-----END RSA PRIVATE KEY-----\n")
    return path


def secrets() -> list[str]:
    return [*CREDENTIALS.values(), *KEY_BODY]


def bug_message() -> str:
    """What a bug's exception might say: every secret, in every form."""
    return " | ".join(form for secret in secrets() for form in forms(secret))


def test_a_bug_is_one_paragraph_and_a_crash_file_without_secrets(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SF_PRIVATE_KEY_FILE", str(key_file(tmp_path)))
    crashes = tmp_path / "tmp"
    crashes.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(crashes))

    def evaluate_with_a_bug(*_: object, **__: object) -> None:
        password = os.environ["SF_PASSWORD"]  # a local: frames' locals are never dumped
        raise RuntimeError(f"unexpected {password!r}: {bug_message()}")

    monkeypatch.setattr(pipeline, "evaluate", evaluate_with_a_bug)
    monkeypatch.setattr(sys, "argv", ["auditor", "audit", "--snapshot", str(EXAMPLE),
                                      "--out", str(tmp_path / "reports")])

    with pytest.raises(SystemExit) as exited:
        cli_module.main()

    assert exited.value.code == EXIT_BUG
    captured = capsys.readouterr()
    match = PARAGRAPH.fullmatch(captured.err)
    assert match, captured.err
    [crash_file] = crashes.iterdir()
    assert match["file"] == str(crash_file)
    assert crash_file.name.startswith("auditor-crash-")
    assert stat.S_IMODE(crash_file.stat().st_mode) == 0o600  # only its owner can read it
    text = crash_file.read_text()
    assert "Traceback (most recent call last):" in text
    assert "in evaluate_with_a_bug" in text and "RuntimeError: unexpected" in text
    assert "credentials set: SF_ACCESS_TOKEN, SF_PASSWORD, SF_SECURITY_TOKEN, " \
           "INTERCOM_ACCESS_TOKEN, SF_PRIVATE_KEY_FILE" in text
    for secret in secrets():
        for form in forms(secret):
            assert form not in text, form
    assert "[redacted]" in text
    assert not (tmp_path / "reports").exists()


def test_a_bug_in_a_real_process_exits_4_without_a_traceback(tmp_path: Path) -> None:
    program = ("import sys; from auditor.cli import commands as cli, pipeline\n"
               "def boom(*args, **kwargs): raise RuntimeError('a bug')\n"
               "pipeline.evaluate = boom\n"
               f"sys.argv = ['auditor', 'audit', '--snapshot', {str(EXAMPLE)!r}, "
               f"'--out', {str(tmp_path / 'reports')!r}]\n"
               "cli.main()\n")
    env = {**os.environ, "TMPDIR": str(tmp_path), **CREDENTIALS}
    done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == EXIT_BUG
    match = PARAGRAPH.fullmatch(done.stderr)
    assert match, done.stderr
    assert Path(match["file"]).parent == tmp_path
    assert "RuntimeError: a bug" in Path(match["file"]).read_text()
    assert done.stdout == ""


def test_redact_removes_every_form_and_cut_off_prefixes() -> None:
    secret = "AQ4AQFakeAccessTokenThatMustNotLeak"
    text = f"a {secret[:12]}… b {quote('x ' + secret)} c {secret[:11]} d"
    assert Redactor([secret])(text) == "a [redacted]… b x%20[redacted] c AQ4AQFakeAc d"


def test_every_exit_code_is_in_the_readme_and_the_help() -> None:
    from click.testing import CliRunner

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    assert re.findall(r"^\| (\d+) \|", table, re.MULTILINE) == [
        "0", "1", "2", "3", "4", "130", "143"]
    for command in ([], ["audit"]):
        shown = CliRunner().invoke(cli_module.cli, [*command, "--help"]).output
        assert "Exit codes: 0 no failing finding" in shown
        assert "4 a bug in the auditor" in shown
        assert "130/143 stopped by SIGINT (Ctrl-C)/SIGTERM" in shown
