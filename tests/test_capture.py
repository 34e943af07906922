"""`auditor capture` driven through its prompts, as a person would answer them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from auditor.cli.commands import cli
from auditor.documents.settings import load_settings

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# One answer per prompt, in the guide's order. An empty answer takes the default.
FULL_INTERVIEW = [
    "Acme Inc",  # workspace
    "jane@acme.example",  # attested_by
    "15000",  # api limit
    "email",  # identifier
    "job_title", "Title", "intercom_to_salesforce",  # one field mapping
    "name", "Name", "both",  # another
    "",  # no more mappings
    "on",  # create activities
    "other",  # case owner
    "custom_form",  # record type
    "all_accounts",  # accounts list
    "undecided",  # respect lead creator
    "sam@acme.example", "sam.lee@acme.example.prod",  # one user mapping
    "",  # no more
    "off",  # account sync
    "off",  # roi reporting
]


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
    assert settings["intercom_salesforce_app"] == {
        "api_usage": {"limit": 15000},
        "lead_contact_sync": {"identifier": "email", "field_mappings": [
            {"intercom": "job_title", "salesforce": "Title",
             "direction": "intercom_to_salesforce"},
            {"intercom": "name", "salesforce": "Name", "direction": "both"}]},
        "cases": {"create_activities": True, "case_owner": "other",
                  "record_type": "custom_form"},
        "ownership": {"accounts_list": "all_accounts", "respect_lead_creator": None,
                      "user_mappings": [{"intercom_email": "sam@acme.example",
                                         "salesforce_username": "sam.lee@acme.example.prod"}]},
        "account_sync": {"enabled": False},
        "roi_reporting": {"enabled": False},
    }
    # The guide's order and its advice are shown while asking.
    output = result.output
    sections = ["Manage API usage", "Sync lead and contact data", "Set up cases",
                "Maintain lead and account ownership", "Sync Account data", "ROI reporting"]
    positions = [output.index(f"== {title} ==") for title in sections]
    assert positions == sorted(positions)
    assert "Where: Intercom > Settings > Integrations > Salesforce > Manage API usage" in output


def test_defaults_are_the_recommendations(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    # Workspace and name, then Enter everywhere: no mappings, every recommendation.
    result = capture(path, ["Acme", "jane"] + [""] * 11)
    assert result.exit_code == 0, result.output
    app = load_settings(path)["intercom_salesforce_app"]
    assert app["api_usage"]["limit"] == 20000
    assert app["lead_contact_sync"]["identifier"] == "email"
    assert app["cases"] == {"create_activities": True, "case_owner": "salesforce_configuration",
                            "record_type": "custom_form"}
    assert app["account_sync"]["enabled"] is False
    assert app["roi_reporting"]["enabled"] is False


def test_rerun_offers_old_values_and_keeps_what_is_not_asked(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    original = yaml.safe_load((EXAMPLES / "settings.yaml").read_text())
    original["intercom_salesforce_app"]["api_usage"]["limit"] = None
    original["intercom_salesforce_app"]["cases"]["case_owner"] = "other"
    path.write_text(yaml.safe_dump(original))
    # Enter everywhere, keeping both lists of mappings.
    result = capture(path, ["", "", "", "", "y", "", "", "", "", "", "y", "", ""])
    assert result.exit_code == 0, result.output
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
    answers = ["Acme", "jane", "lots", "-5", "none", "emial", "email"] + [""] * 9
    result = capture(path, answers)
    assert result.exit_code == 0, result.output
    assert "'lots' is not a limit: enter a whole number" in result.output
    assert "'-5' is not a limit" in result.output
    assert "'emial' is not one of 'email', 'user_id'" in result.output
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
