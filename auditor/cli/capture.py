"""`auditor capture`: a guided interview through the Salesforce app's settings in Intercom.

The questions follow the guide's order. What each setting is for and where to find it
comes from the rule that checks it, so the interview and the report never disagree.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import click
import yaml

from auditor.documents.load import load_schema
from auditor.engine.catalogue import Rule
from auditor.engine.sections import SECTION_BY_KEY


@dataclass(frozen=True)
class Choice:
    """Labels the person types, each standing for a value in the settings file."""

    options: dict[str, Any]

    def ask(self, text: str, default: Any) -> Any:
        labels = {value: label for label, value in self.options.items()}
        answer = click.prompt(text, type=click.Choice(list(self.options), case_sensitive=False),
                              default=labels.get(default), show_choices=True)
        return self.options[answer.lower()]


def _limit(text: str | int) -> int | None:
    if isinstance(text, int):
        return text
    cleaned = text.strip().replace(",", "").replace("_", "").lower()
    if cleaned in ("none", "null", "no"):
        return None
    if cleaned.isdigit() and int(cleaned) > 0:
        return int(cleaned)
    raise click.BadParameter(f"{text!r} is not a limit: enter a whole number of calls a day "
                             "above 0, or 'none' when no limit is set.")


@dataclass(frozen=True)
class Limit:
    def ask(self, text: str, default: Any) -> Any:
        shown = "none" if default is None else str(default)
        return click.prompt(text, default=shown, value_proc=_limit)


@dataclass(frozen=True)
class Records:
    """A list of small records, such as field mappings, asked one field at a time."""

    fields: Sequence[tuple[str, str, Choice | None]]  # key, prompt, choice (None = free text)
    noun: str

    def ask(self, text: str, default: Any) -> Any:
        existing: list[dict[str, Any]] = list(default or [])
        if existing:
            click.echo(f"  Attested before: {len(existing)} {self.noun}(s):")
            for record in existing:
                click.echo("    - " + ", ".join(f"{k}: {v}" for k, v in record.items()))
            if click.confirm(f"  Keep these {self.noun}s as they are?", default=True):
                return existing
        click.echo(f"  Enter one {self.noun} at a time; leave the first field empty to finish.")
        records: list[dict[str, Any]] = []
        while True:
            first_key, first_prompt, _ = self.fields[0]
            first = click.prompt(f"  {first_prompt}", default="", show_default=False).strip()
            if not first:
                return records
            record = {first_key: first}
            for key, prompt, choice in self.fields[1:]:
                record[key] = (choice.ask(f"  {prompt}", None) if choice
                               else click.prompt(f"  {prompt}").strip())
            records.append(record)


Answer = Choice | Limit | Records
ON_OFF = Choice({"on": True, "off": False})


@dataclass(frozen=True)
class Question:
    path: tuple[str, str]  # section and key under intercom_salesforce_app
    text: str
    rule_id: str  # the rule that explains the setting
    answer: Answer
    recommended: Any


QUESTIONS: tuple[Question, ...] = (
    Question(("api_usage", "limit"), "Daily API usage limit (calls a day, or 'none')",
             "api_usage.limit_set", Limit(), 20000),
    Question(("lead_contact_sync", "identifier"), "Unique identifier",
             "lead_contact_sync.email_identifier",
             Choice({"email": "email", "user_id": "user_id"}), "email"),
    Question(("lead_contact_sync", "field_mappings"), "Field mappings between the two systems.",
             "lead_contact_sync.two_way_mappings",
             Records((("intercom", "Intercom attribute", None),
                      ("salesforce", "Salesforce field", None),
                      ("direction", "Direction", Choice({
                          "intercom_to_salesforce": "intercom_to_salesforce",
                          "salesforce_to_intercom": "salesforce_to_intercom",
                          "both": "both"}))), "field mapping"), []),
    Question(("cases", "create_activities"), "Automatically create Salesforce activities",
             "cases.activities_enabled", ON_OFF, True),
    Question(("cases", "case_owner"), "Assign case owner",
             "cases.case_owner",
             Choice({"salesforce_configuration": "salesforce_configuration", "other": "other"}),
             "salesforce_configuration"),
    Question(("cases", "record_type"), "Salesforce case record type configuration",
             "cases.record_type",
             Choice({"custom_form": "custom_form",
                     "salesforce_record_type": "salesforce_record_type"}), "custom_form"),
    Question(("ownership", "accounts_list"), "Accounts list synced into Intercom",
             "ownership.all_accounts",
             Choice({"all_accounts": "all_accounts", "other": "other"}), "all_accounts"),
    Question(("ownership", "respect_lead_creator"), "Respect the lead creator from Intercom",
             "ownership.lead_creator_decided",
             Choice({"yes": True, "no": False, "undecided": None}), True),
    Question(("ownership", "user_mappings"),
             "Teammates mapped to a Salesforce user whose email differs.",
             "ownership.teammates_mapped",
             Records((("intercom_email", "Teammate's Intercom email", None),
                      ("salesforce_username", "Their Salesforce username", None)),
                     "user mapping"), []),
    Question(("account_sync", "enabled"), "Sync Account data", "account_sync.disabled",
             ON_OFF, False),
    Question(("roi_reporting", "enabled"), "ROI reporting", "roi_reporting.skipped",
             ON_OFF, False),
)


def _explain(question: Question, rule: Rule) -> None:
    click.echo(f"\n{question.text.rstrip('.')}")
    if rule.where:
        click.echo(f"  Where: {rule.where}")
    click.echo(f"  Recommended: {rule.remediation}")
    click.echo(f"  Why: {rule.rationale}")


def interview(rules: dict[str, Rule], existing: dict[str, Any] | None,
              today: date) -> dict[str, Any]:
    """Ask every question and return settings; values from `existing` are the defaults,
    and whatever the interview does not ask about is kept."""
    settings: dict[str, Any] = copy.deepcopy(existing) if existing else {"settings_version": 1}
    settings["workspace"] = click.prompt("Workspace (a label for the report)",
                                         default=settings.get("workspace") or None)
    settings["attested_by"] = click.prompt("Your name or email (who read the settings)",
                                           default=settings.get("attested_by") or None)
    settings["attested_at"] = today.isoformat()
    app: dict[str, Any] = settings.setdefault("intercom_salesforce_app", {})
    current_section = None
    for question in QUESTIONS:
        section, key = question.path
        if section != current_section:
            current_section = section
            click.echo(f"\n== {SECTION_BY_KEY[section].title} ==")
        _explain(question, rules[question.rule_id])
        values = app.setdefault(section, {})
        default = values.get(key, question.recommended)
        values[key] = question.answer.ask(question.text, default)
    return settings


def normalise(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings with keys in the schema's order, the way `capture` writes them."""
    ordered: dict[str, Any] = _ordered(settings, load_schema("settings"))
    return ordered


def _ordered(value: Any, schema: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        order = {key: index for index, key in enumerate(properties)}
        return {key: _ordered(value[key], properties.get(key, {}))
                for key in sorted(value, key=lambda k: order.get(k, len(order)))}
    if isinstance(value, list):
        return [_ordered(item, schema.get("items", {})) for item in value]
    return value


def dump_settings(settings: dict[str, Any]) -> str:
    header = ("# Attested settings of Intercom's Salesforce app, written by `auditor capture`.\n"
              "# `auditor schema settings` describes every key.\n")
    return header + yaml.safe_dump(normalise(settings), sort_keys=False, allow_unicode=True)
