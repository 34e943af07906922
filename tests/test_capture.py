"""`auditor capture` driven through its prompts, as a person would answer them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from auditor.cli.commands import cli
from auditor.documents.settings import load_settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# One answer per prompt, in the guide's order, then the review's "yes".
FULL_INTERVIEW = [
    "Acme Inc",  # workspace
    "jane@acme.example",  # attested_by
    "15000",  # api limit
    "email",  # identifier
    "yes", "job_title", "Title", "intercom_to_salesforce",  # one field mapping
    "yes", "name", "Name", "3",  # another, its direction by number (both)
    "no",  # no more mappings
    "on",  # create activities
    "2",  # case owner, by number: other
    "custom_form",  # record type
    "all_accounts",  # accounts list
    "undecided",  # respect lead creator
    "yes", "sam@acme.example", "sam.lee@acme.example.prod",  # one user mapping
    "no",  # no more
    "off",  # account sync
    "false",  # roi reporting
    "yes",  # the review: write
]
FULL_APP = {
    "api_usage": {"limit": 15000},
    "lead_contact_sync": {"identifier": "email", "field_mappings": [
        {"intercom": "job_title", "salesforce": "Title", "direction": "intercom_to_salesforce"},
        {"intercom": "name", "salesforce": "Name", "direction": "both"}]},
    "cases": {"create_activities": True, "case_owner": "other", "record_type": "custom_form"},
    "ownership": {"accounts_list": "all_accounts", "respect_lead_creator": None,
                  "user_mappings": [{"intercom_email": "sam@acme.example",
                                     "salesforce_username": "sam.lee@acme.example.prod"}]},
    "account_sync": {"enabled": False},
    "roi_reporting": {"enabled": False},
}


def capture(path: Path, answers: list[str], *extra: str) -> Result:
    return CliRunner().invoke(cli, ["capture", "-o", str(path), *extra],
                              input="\n".join(answers) + "\n", catch_exceptions=False)


def test_full_interview_writes_valid_settings(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    result = capture(path, FULL_INTERVIEW)
    assert result.exit_code == 0, result.output
    settings = load_settings(path)  # validates against the schema
    assert settings["attested_by"] == "jane@acme.example"
    assert settings["attested_at"] == date.today().isoformat()
    assert settings["intercom_salesforce_app"] == FULL_APP
    # The guide's order, where to look and what it recommends are shown while asking.
    output = result.output
    sections = ["Manage API usage", "Sync lead and contact data", "Set up cases",
                "Maintain lead and account ownership", "Sync Account data", "ROI reporting"]
    positions = [output.index(f"== {title} ==") for title in sections]
    assert positions == sorted(positions)
    assert ("Where to look: Intercom > Settings > Integrations > Salesforce > Manage API usage"
            in output)
    assert "The guide recommends: 20,000. Open Manage API usage" in output
    assert "The guide recommends: email. In Sync lead and contact data" in output
    assert "[1) email  2) user_id]" in output
    # Each question prints once before the review.
    asking = output.split("== Review ==")[0]
    for text in ("Unique identifier", "Is 'Sync Account data' on?", "Daily API usage limit"):
        assert asking.count(text) == 1, text


def test_enter_alone_attests_nothing(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    # Enter everywhere: every question is asked again, and the input runs out unanswered.
    result = CliRunner().invoke(cli, ["capture", "-o", str(path)], input="\n" * 40)
    assert result.exit_code == 1  # click's Abort at the end of the input
    assert not path.exists()
    assert result.output.count("Workspace (a label for the report)") == 41
    assert "Daily API usage limit" not in result.output
    # Blank lines between real answers are asked again, not taken as the recommendation.
    blanks = [item for answer in FULL_INTERVIEW for item in ("", answer)]
    result = capture(path, blanks)
    assert result.exit_code == 0, result.output
    assert load_settings(path)["intercom_salesforce_app"] == FULL_APP


@pytest.mark.parametrize(("on", "off"), [("yes", "no"), ("y", "n"), ("on", "off"),
                                         ("true", "false"), ("YES", "Off"), ("1", "2")])
def test_every_yes_no_question_takes_the_same_words(tmp_path: Path, on: str, off: str) -> None:
    path = tmp_path / "settings.yaml"
    answers = list(FULL_INTERVIEW)
    answers[answers.index("on")] = off  # create activities
    answers[answers.index("undecided")] = on  # respect lead creator
    answers[-3], answers[-2] = on, on  # account sync, roi reporting
    result = capture(path, answers)
    assert result.exit_code == 0, result.output
    app = load_settings(path)["intercom_salesforce_app"]
    assert app["cases"]["create_activities"] is False
    assert app["ownership"]["respect_lead_creator"] is True
    assert app["account_sync"]["enabled"] is True and app["roi_reporting"]["enabled"] is True


def test_emails_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    answers = list(FULL_INTERVIEW)
    at = answers.index("sam@acme.example")
    answers[at:at + 2] = ["not-an-email", "sam@acme.example",
                          "sam lee", "sam.lee@acme.example.prod"]
    answers[1:2] = ["jane@", "jane@acme.example"]
    result = capture(path, answers)
    assert result.exit_code == 0, result.output
    assert "'not-an-email' is not an email address" in result.output
    assert "'sam lee' is not an email address" in result.output
    assert "'jane@' is not an email address" in result.output
    assert "not-an-email" not in path.read_text()
    assert load_settings(path)["intercom_salesforce_app"] == FULL_APP


def test_the_review_lists_every_answer_and_can_go_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    # At the review: change answer 1 (the limit), then answer 11 (ROI), then write.
    answers = [*FULL_INTERVIEW[:-1], "1", "none", "11", "yes", "yes"]
    result = capture(path, answers)
    assert result.exit_code == 0, result.output
    review = result.output.split("== Review ==")[1]
    assert " 1. Daily API usage limit: 15,000   (the guide recommends 20,000)" in review
    assert " 2. Unique identifier: email\n" in review
    assert " 3. Field mappings: 2 field mappings\n" in review
    assert " 8. Respect the lead creator from Intercom: undecided   (the guide recommends yes)" \
        in review
    assert "11. Is ROI reporting on: no\n" in review
    assert result.output.count("== Review ==") == 3
    last = result.output.split("== Review ==")[-1]
    assert " 1. Daily API usage limit: none   (the guide recommends 20,000)" in last
    assert "11. Is ROI reporting on: yes   (the guide recommends no)" in last
    app = load_settings(path)["intercom_salesforce_app"]
    assert app["api_usage"]["limit"] is None and app["roi_reporting"]["enabled"] is True


def test_no_at_the_review_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("settings_version: 1\n")
    result = capture(path, [*FULL_INTERVIEW[:-1], "maybe", "no"])
    assert result.exit_code == 0, result.output
    assert "'maybe': type yes to write, no to stop without writing" in result.output
    assert f"nothing written; {path} is as it was" in result.output
    assert path.read_text() == "settings_version: 1\n"


def test_rerun_offers_old_values_and_keeps_what_is_not_asked(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    original = yaml.safe_load((EXAMPLES / "settings.yaml").read_text())
    original["intercom_salesforce_app"]["api_usage"]["limit"] = None
    original["intercom_salesforce_app"]["cases"]["case_owner"] = "other"
    path.write_text(yaml.safe_dump(original))
    # Enter everywhere the file supplies the value; keep both lists of mappings (yes).
    result = capture(path, ["", "", "", "", "yes", "", "", "", "", "", "yes", "", "", "yes"])
    assert result.exit_code == 0, result.output
    assert "Your answer [1) email  2) user_id] [email]:" in result.output
    settings = load_settings(path)
    app = settings["intercom_salesforce_app"]
    assert settings["workspace"] == "Acme Inc"
    assert app["api_usage"]["limit"] is None  # the old value, not the recommendation
    assert app["cases"]["case_owner"] == "other"
    assert app["lead_contact_sync"]["field_mappings"] == \
        original["intercom_salesforce_app"]["lead_contact_sync"]["field_mappings"]
    assert app["ownership"]["user_mappings"] == \
        original["intercom_salesforce_app"]["ownership"]["user_mappings"]


def test_bad_answers_are_asked_again(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    answers = list(FULL_INTERVIEW)
    answers[2:4] = ["lots", "-5", "none", "emial", "7", "email"]
    result = capture(path, answers)
    assert result.exit_code == 0, result.output
    assert "'lots' is not a limit: enter a whole number" in result.output
    assert "'-5' is not a limit" in result.output
    assert ("'emial' is not one of these; type a name or its number: 1 email, 2 user_id."
            in result.output)
    assert "'7' is not one of these" in result.output
    assert "Traceback" not in result.output
    app = load_settings(path)["intercom_salesforce_app"]
    assert app["api_usage"]["limit"] is None
    assert app["lead_contact_sync"]["identifier"] == "email"


def test_from_validates_and_normalises_without_asking(tmp_path: Path) -> None:
    messy = tmp_path / "messy.json"
    messy.write_text('{"intercom_salesforce_app": {"roi_reporting": {"enabled": false}, '
                     '"api_usage": {"limit": 20000}}, "attested_by": "jane", '
                     '"settings_version": 1}')
    out = tmp_path / "clean.yaml"
    result = CliRunner().invoke(cli, ["capture", "--from", str(messy), "-o", str(out)],
                                input="", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    keys = [line.split(":")[0] for line in out.read_text().splitlines()
            if line and not line.startswith("#")]
    assert keys[:3] == ["settings_version", "attested_by", "intercom_salesforce_app"]
    assert keys.index("  api_usage") < keys.index("  roi_reporting")
    assert load_settings(out)["intercom_salesforce_app"]["api_usage"]["limit"] == 20000


def test_from_an_invalid_file_is_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("settings_version: 1\nintercom_salesforce_app:\n  api_usage:\n"
                   "    limit: lots\n")
    out = tmp_path / "out.yaml"
    result = CliRunner().invoke(cli, ["capture", "--from", str(bad), "-o", str(out)])
    assert result.exit_code == 2
    assert "bad.yaml, line 4, at $.intercom_salesforce_app.api_usage.limit" in result.output
    assert not out.exists()
