"""The rule files themselves: what loading checks (file name, section, parameters,
messages that render), every shipped rule's messages rendered on the examples, the
references every shipped rule links to, and named checks that register themselves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from auditor.documents.errors import InputError
from auditor.engine.catalogue import load_rules
from auditor.engine.checks import CHECKS
from auditor.engine.checks.base import CheckInput, Outcome, named_check
from auditor.engine.evaluate import evaluate_rule
from auditor.engine.rule_examples import example_snapshots, message_problem, status_on
from auditor.report.render import render
from tests.report_fixtures import demo_results
from tests.snapshots import APP, changed, compliant_snapshot, rules, validated
from tests.test_documents import USER_RULE, USER_RULE_FILE, line_of

REPO = Path(__file__).resolve().parent.parent
DESCRIPTION = "    description: the highest limit Acme accepts\n"
SCHEMA = "    schema: {type: integer, minimum: 1}\n"


def load_user_rule(tmp_path: Path, text: str, name: str = USER_RULE_FILE) -> str:
    """The error that loading the rule file gives, with the file's path cut off."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rules([tmp_path])
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / name}, line "), message
    return message.removeprefix(f"{tmp_path / name}, ")


@pytest.mark.parametrize(("text", "name", "expected"), [
    pytest.param(USER_RULE, "acme.yaml",
                 "line 1, at $.id: the file is named 'acme.yaml' but holds the rule "
                 "'api_usage.acme_cap'; rename it to 'api_usage.acme_cap.yaml' (a rule file "
                 "is named after the rule's id).", id="file name"),
    pytest.param(USER_RULE.replace("section: api_usage", "section: cases"), USER_RULE_FILE,
                 "line 1, at $.id: the id 'api_usage.acme_cap' starts with 'api_usage.', but "
                 "the rule is in section 'cases'; name it 'cases.acme_cap' or move it to that "
                 "section.", id="section"),
    pytest.param(USER_RULE.replace("reads:", "references:\n  - {title: Wiki, url: "
                                   "'http://wiki.acme.example/cap'}\nreads:"), USER_RULE_FILE,
                 f"line {line_of(USER_RULE, 'reads:') + 1}, at $.references[0].url: a "
                 "reference's url must be an https:// address without spaces, quotes or angle "
                 "brackets; found 'http://wiki.acme.example/cap'.", id="reference url"),
    # The compliant example passes the rule (limit 20,000): its pass message is tried
    # there, and names a value the rule does not read.
    pytest.param(USER_RULE.replace('pass: "{{ limit }}', 'pass: "{{ limt }}'), USER_RULE_FILE,
                 f"line {line_of(USER_RULE, 'pass: ')}, at $.messages.pass: the message does "
                 "not render on examples/compliant.snapshot.json, where the rule comes out "
                 "pass: 'limt' is undefined.", id="message"),
    # The misconfigured example has no limit (null): a fail message formatting it as a
    # number breaks there, where the rule fails.
    pytest.param(USER_RULE.replace('fail: "{{ limit }}', "fail: \"{{ '{:,}'.format(limit) }}"),
                 USER_RULE_FILE,
                 f"line {line_of(USER_RULE, 'fail: ')}, at $.messages.fail: the message does "
                 "not render on examples/misconfigured.snapshot.json, where the rule comes out "
                 "fail: unsupported format string passed to NoneType.__format__.",
                 id="message on a value"),
])
def test_a_rule_file_is_checked_when_loaded(tmp_path: Path, text: str, name: str,
                                           expected: str) -> None:
    assert load_user_rule(tmp_path, text, name) == expected


@pytest.mark.parametrize(("text", "at"), [
    pytest.param(USER_RULE.replace(DESCRIPTION, ""), "$.parameters.cap", id="no description"),
    pytest.param(USER_RULE.replace(DESCRIPTION, "    description: ''\n"),
                 "$.parameters.cap.description", id="empty description"),
    pytest.param(USER_RULE.replace(SCHEMA, ""), "$.parameters.cap", id="no schema"),
])
def test_every_parameter_has_a_description_and_a_schema(tmp_path: Path, text: str,
                                                         at: str) -> None:
    message = load_user_rule(tmp_path, text)
    # Whatever the wording of the schema's errors, it names the key that is wrong.
    assert f", at {at}: " in message
    assert "description" in message or "schema" in message, message


# --- the shipped rules ------------------------------------------------------------------

# Beyond the three examples: the changes that reach each status a shipped rule has a
# message for and that no example reaches, so that every message is rendered somewhere.
VARIANTS: dict[str, dict[str, Any]] = {
    "limit above the recommendation": {f"{APP}.api_usage.limit": 25000},
    "activities off": {f"{APP}.cases.create_activities": False},
    "a Case record type": {"salesforce.case_record_types": [
        {"id": "012000000000001", "name": "Support"}]},
    "account sync on": {f"{APP}.account_sync.enabled": True},
    "no field mappings": {f"{APP}.lead_contact_sync.field_mappings": []},
}


def snapshots() -> tuple[tuple[str, dict[str, Any]], ...]:
    variants = tuple((name, validated(changed(compliant_snapshot(), changes)))
                     for name, changes in VARIANTS.items())
    return example_snapshots() + variants


def test_every_message_of_every_shipped_rule_renders_for_its_status() -> None:
    reached: set[tuple[str, str]] = set()
    for rule in rules():
        assert message_problem(rule, snapshots()) is None, rule.id
        reached |= {(rule.id, status_on(rule, snapshot)) for _, snapshot in snapshots()}
    needed = {(rule.id, status) for rule in rules() for status in rule.messages}
    assert needed - reached == set()


def test_the_messages_the_examples_do_not_reach_say_what_they_should() -> None:
    # The examples' messages are in the golden reports; these are the others.
    def message(rule_id: str, variant: str) -> tuple[str, str]:
        [rule] = [r for r in rules() if r.id == rule_id]
        snapshot = validated(changed(compliant_snapshot(), VARIANTS[variant]))
        finding = evaluate_rule(rule, snapshot, rule.default_params())
        return finding.status, finding.message

    assert message("api_usage.limit_recommended", "limit above the recommendation") == (
        "fail", "The limit is 25,000 calls a day; the recommendation is 20,000.")
    assert message("cases.activities_enabled", "activities off") == (
        "fail", '"Automatically create Salesforce activities" is off: conversations do not '
        "reach Salesforce.")
    assert message("cases.activities_flowing", "activities off") == (
        "not_applicable", "Activities are attested off; see cases.activities_enabled.")
    assert message("cases.record_type", "a Case record type") == (
        "not_applicable", "The org has 1 active Case record type(s) (Support); pick the one "
        "Intercom should use.")
    assert message("account_sync.disabled", "account sync on") == (
        "fail", "Account sync is on, against the recommendation.")


def test_every_shipped_rule_file_is_named_after_its_rule() -> None:
    files = sorted(path.stem for path in (REPO / "rules").glob("*.yaml"))
    assert files == sorted(rule.id for rule in rules())


def test_every_reference_of_a_shipped_rule_has_a_title_and_an_https_address() -> None:
    # The url is optional for a user's own rules (an internal page may have none) and
    # required here; the rule schema makes any url given an https:// one.
    for rule in rules():
        for reference in rule.references:
            assert reference["title"].strip(), rule.id
            assert re.fullmatch(r"https://(www\.intercom\.com/help/en/articles/|"
                                r"developer\.salesforce\.com/docs/|"
                                r"help\.salesforce\.com/s/articleView\?id=)\S+",
                                reference.get("url", "")), (rule.id, reference)


# --- named checks -----------------------------------------------------------------------


def test_every_named_check_is_registered_where_it_is_defined() -> None:
    named = {rule.check for rule in rules() if rule.check}
    assert named <= set(CHECKS)
    for name, check in CHECKS.items():
        assert check.__name__ == name
        assert check.__module__.startswith("auditor.engine.checks.")


def test_a_check_name_is_registered_once() -> None:
    def attestation_age(check: CheckInput) -> Outcome:
        return Outcome("pass", "")

    with pytest.raises(ValueError, match="two checks are named 'attestation_age'"):
        named_check(attestation_age)


# --- report.json ------------------------------------------------------------------------


def test_report_json_is_the_results_model_as_json() -> None:
    results = demo_results()
    text = render(results, "json")
    assert json.loads(text) == results
    assert text == json.dumps(results, indent=2, ensure_ascii=False) + "\n"
    assert not (REPO / "auditor" / "report" / "templates" / "report.json.j2").exists()


# --- links in the reports ---------------------------------------------------------------


def test_markdown_references_are_escaped_links() -> None:
    results = demo_results(hostile=False)
    results["findings"][0]["references"] = [
        {"title": "Guide [a](b) *x*", "url": "https://example.com/a_(b)"},
        {"title": "No link", "url": "javascript:alert(1)"},
        {"title": "Internal page"},
    ]
    text = render(results, "md")
    assert ("- **References:** [Guide &#91;a&#93;(b) &#42;x&#42;](<https://example.com/a_(b)>); "
            "No link; Internal page\n") in text


def test_see_rule_mentions_link_to_that_finding() -> None:
    results = demo_results(hostile=False)
    finding = results["findings"][0]
    finding["message"] = ("Read this; see api_usage.limit_set, and see rule `cases.case_owner`; "
                          "see nothing.here.")
    html = render(results, "html")
    assert ('see <a href="#finding-api_usage.limit_set">api_usage.limit_set</a>, and see rule '
            '<a href="#finding-cases.case_owner"><code>cases.case_owner</code></a>; '
            "see nothing.here.") in html
    md = render(results, "md")
    assert ("see [api_usage.limit_set](#finding-api_usage.limit_set), and see rule "
            "[`cases.case_owner`](#finding-cases.case_owner); see nothing.here.") in md
    # One anchor per finding, which the "see RULE_ID" links point at.
    assert '<a name="finding-api_usage.limit_set"></a>' in md
