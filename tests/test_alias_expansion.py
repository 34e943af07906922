"""YAML aliases are bounded by what they expand to in characters, not only in values
(issue 22): a small settings file of one long text referred to many times wrote hundreds
of megabytes of reports. Through the command line: exit 2 naming the file, no report."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result

from auditor.documents.plain_data import MAX_DOCUMENT_BYTES
from tests.test_hostile_inputs import SNAPSHOT, invoke, refused

LONG = "x" * 60_000  # one text, well within the 65,536 characters a value may hold


def settings_referring(references: int) -> str:
    """A valid settings file whose workspace label, a long text, is referred to by the
    `intercom` field of `references` field mappings."""
    lines = ["settings_version: 1", f"workspace: &long {LONG}", "intercom_salesforce_app:",
             "  lead_contact_sync:", "    field_mappings:"]
    lines += ["      - {intercom: *long, salesforce: Title, direction: both}"] * references
    return "\n".join(lines) + "\n"


def audit_with(tmp_path: Path, text: str) -> tuple[Path, Path, Result]:
    settings, out = tmp_path / "settings.yaml", tmp_path / "reports"
    settings.write_text(text, encoding="utf-8")
    result = invoke("audit", "--snapshot", SNAPSHOT, "--settings", settings, "--out", out,
                    "--fail-on", "never")
    return settings, out, result


def test_aliases_that_stay_within_a_files_size_are_read(tmp_path: Path) -> None:
    # 16 references: 1,020,000 characters of the long text and a few of keys.
    assert 17 * len(LONG) < MAX_DOCUMENT_BYTES < 18 * len(LONG)
    _, out, result = audit_with(tmp_path, settings_referring(16))
    assert result.exit_code == 0, result.output
    assert (out / "report.json").exists()


def test_aliases_that_expand_past_a_files_size_are_refused(tmp_path: Path) -> None:
    # 18 references: about 1.1 million characters, a few hundred values, a 1 KB file.
    text = settings_referring(18)
    assert len(text) < 65_000
    settings, out, result = audit_with(tmp_path, text)
    message = refused(result, out)
    # The long text 19 times; 80 characters of the file's other keys and values, and
    # 36 of each mapping's ("intercom", "salesforce", "Title", "direction", "both").
    assert message == (
        f"error: {settings}: its aliases expand this document to "
        f"{19 * len(LONG) + 80 + 18 * 36:,} "
        "characters of keys and text, over the limit of 1,048,576 (as much as a file of its "
        "kind may hold); write the repeated values out, or shorten them.")


def test_one_long_text_referred_to_200_times_is_refused(tmp_path: Path) -> None:
    # The file of the issue: 76 KB, 12 million characters once expanded, 208 MB of reports.
    text = settings_referring(200)
    settings, out, result = audit_with(tmp_path, text)
    message = refused(result, out)
    assert message.startswith(f"error: {settings}: its aliases expand this document to "
                              "12,")
    assert "over the limit of 1,048,576" in message
