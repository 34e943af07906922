"""`auditor capture`: a guided interview through the Salesforce app's settings in Intercom.

The questions follow the guide's order. What each setting is for and where to find it
comes from the rule that checks it, so the interview and the report never disagree.

An attestation must be something a person read, so nothing is filled in for them: the
only default an answer has is the value an existing settings file already holds, and
Enter alone on a question without one asks it again. Before anything is written a review
lists every answer beside the guide's recommendation, and any answer can be changed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import click
import yaml

from auditor.documents.validation import load_schema
from auditor.engine.catalogue import Rule
from auditor.engine.sections import SECTION_BY_KEY
from auditor.safety.display import one_line


class _Unset:
    """No value yet: the setting is not in the existing file, so the question has no
    default and Enter alone asks again."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

# A deliberately loose check: something@domain.tld without spaces. It catches a name
# typed where an email belongs, not every address a mail server would refuse.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


def _ask(text: str, default: Any, convert: Callable[[str], Any]) -> Any:
    """One prompt: `convert` turns the typed text into a value or raises BadParameter,
    and click asks again. With no default, Enter alone asks again too."""
    if default is UNSET:
        return click.prompt(text, default=None, value_proc=convert, show_default=False)
    # Shown here, not by click: a default from an existing settings file is shown as
    # safely as any value.
    shown = "" if default is None else f" [{one_line(str(default))}]"
    return click.prompt(text + shown, default=default, value_proc=convert, show_default=False)


@dataclass(frozen=True)
class Choice:
    """Named options, picked by name, by an accepted synonym or by number."""

    options: dict[str, Any]  # the name shown -> the value written
    synonyms: dict[str, str] = field(default_factory=dict)  # typed -> name

    def name_of(self, value: Any) -> str:
        return next((name for name, v in self.options.items() if v == value), str(value))

    def pick(self, text: str) -> Any:
        typed = text.strip().lower()
        names = list(self.options)
        if typed.isdigit() and 1 <= int(typed) <= len(names):
            return self.options[names[int(typed) - 1]]
        name = self.synonyms.get(typed, typed)
        if name in self.options:
            return self.options[name]
        listed = ", ".join(f"{number} {name}" for number, name in enumerate(names, 1))
        raise click.BadParameter(f"{text.strip()!r} is not one of these; type a name or its "
                                 f"number: {listed}.")

    def ask(self, text: str, default: Any) -> Any:
        listed = "  ".join(f"{number}) {name}" for number, name in enumerate(self.options, 1))
        shown = UNSET if default is UNSET else self.name_of(default)
        return _ask(f"{text} [{listed}]", shown, self.pick)

    def show(self, value: Any) -> str:
        return self.name_of(value)


# Every yes/no question takes the same words: the app shows some settings as switches
# (on/off) and the settings file writes true/false.
YES_NO = Choice({"yes": True, "no": False},
                {"y": "yes", "on": "yes", "true": "yes", "n": "no", "off": "no", "false": "no"})


def _limit(text: str) -> int | None:
    cleaned = text.strip().replace(",", "").replace("_", "").lower()
    if cleaned in ("none", "null", "no", "off"):
        return None
    if cleaned.isdigit() and int(cleaned) > 0:
        return int(cleaned)
    raise click.BadParameter(f"{text!r} is not a limit: enter a whole number of calls a day "
                             "above 0, or 'none' when no limit is set.")


@dataclass(frozen=True)
class Limit:
    def ask(self, text: str, default: Any) -> Any:
        return _ask(f"{text} [a number, or none]", UNSET if default is UNSET else
                    self.show(default), _limit)

    def show(self, value: Any) -> str:
        return "none" if value is None else f"{value:,}"


def email(text: str) -> str:
    """An email address as typed, or BadParameter saying what is wrong with it."""
    cleaned = text.strip()
    if not _EMAIL.fullmatch(cleaned):
        raise click.BadParameter(f"{cleaned!r} is not an email address (name@example.com).")
    return cleaned


def _text(text: str) -> str:
    return text.strip()


@dataclass(frozen=True)
class RecordField:
    key: str
    prompt: str
    choice: Choice | None = None  # None: free text, checked by `check`
    check: Callable[[str], str] = _text


@dataclass(frozen=True)
class Records:
    """A list of small records, such as field mappings, asked one field at a time. An
    empty list is an answer too, so it is asked for (no), never assumed from Enter."""

    fields: Sequence[RecordField]
    noun: str

    def ask(self, text: str, default: Any) -> Any:
        if default is not UNSET and default:
            click.echo(f"  The settings file lists {self.show(default)}:")
            for record in default:
                click.echo("    - " + self._line(record))
            if YES_NO.ask(f"  Keep these {self.noun}s as they are?", UNSET):
                return list(default)
        elif default is not UNSET:
            click.echo(f"  The settings file lists no {self.noun}.")
        records: list[dict[str, Any]] = []
        question = f"  Is there a {self.noun} to list?"
        while YES_NO.ask(question, UNSET):
            record = {}
            for item in self.fields:
                record[item.key] = (item.choice.ask(f"    {item.prompt}", UNSET) if item.choice
                                    else _ask(f"    {item.prompt}", UNSET, item.check))
            records.append(record)
            question = f"  Another {self.noun}?"
        return records

    def show(self, value: Any) -> str:
        count = len(value)
        return f"{count} {self.noun}{'s' if count != 1 else ''}" if count else "none"

    def _line(self, record: dict[str, Any]) -> str:
        return one_line(", ".join(f"{key}: {value}" for key, value in record.items()))


Answer = Choice | Limit | Records
DIRECTIONS = Choice({"intercom_to_salesforce": "intercom_to_salesforce",
                     "salesforce_to_intercom": "salesforce_to_intercom", "both": "both"})


@dataclass(frozen=True)
class Question:
    path: tuple[str, str]  # section and key under intercom_salesforce_app
    text: str
    rule_id: str  # the rule that explains the setting
    answer: Answer
    recommended: Any


QUESTIONS: tuple[Question, ...] = (
    Question(("api_usage", "limit"), "Daily API usage limit", "api_usage.limit_set", Limit(),
             20000),
    Question(("lead_contact_sync", "identifier"), "Unique identifier",
             "lead_contact_sync.email_identifier",
             Choice({"email": "email", "user_id": "user_id"}), "email"),
    Question(("lead_contact_sync", "field_mappings"), "Field mappings",
             "lead_contact_sync.two_way_mappings",
             Records((RecordField("intercom", "Intercom attribute"),
                      RecordField("salesforce", "Salesforce field"),
                      RecordField("direction", "Direction", DIRECTIONS)), "field mapping"), []),
    Question(("cases", "create_activities"), "Is 'Automatically create Salesforce activities' on?",
             "cases.activities_enabled", YES_NO, True),
    Question(("cases", "case_owner"), "Assign case owner", "cases.case_owner",
             Choice({"salesforce_configuration": "salesforce_configuration", "other": "other"}),
             "salesforce_configuration"),
    Question(("cases", "record_type"), "Salesforce case record type configuration",
             "cases.record_type",
             Choice({"custom_form": "custom_form",
                     "salesforce_record_type": "salesforce_record_type"}), "custom_form"),
    Question(("ownership", "accounts_list"), "Accounts list synced into Intercom",
             "ownership.all_accounts",
             Choice({"all_accounts": "all_accounts", "other": "other"}), "all_accounts"),
    Question(("ownership", "respect_lead_creator"), "Respect the lead creator from Intercom?",
             "ownership.lead_creator_decided",
             Choice({"yes": True, "no": False, "undecided": None}, YES_NO.synonyms), True),
    Question(("ownership", "user_mappings"), "Teammates mapped to a Salesforce user whose "
             "email differs", "ownership.teammates_mapped",
             Records((RecordField("intercom_email", "Teammate's Intercom email", check=email),
                      RecordField("salesforce_username", "Their Salesforce username (an "
                                  "email address)", check=email)), "user mapping"), []),
    Question(("account_sync", "enabled"), "Is 'Sync Account data' on?", "account_sync.disabled",
             YES_NO, False),
    Question(("roi_reporting", "enabled"), "Is ROI reporting on?", "roi_reporting.skipped",
             YES_NO, False),
)


def _advice(question: Question) -> str | None:
    """The recommended answer in the interview's words; lists have none to give."""
    if isinstance(question.answer, Records):
        return None
    return question.answer.show(question.recommended)


def _explain(question: Question, rule: Rule) -> None:
    click.echo(f"\n{question.text}")
    if rule.where:
        click.echo(f"  Where to look: {rule.where}")
    advice = _advice(question)
    click.echo(f"  The guide recommends: {advice + '. ' if advice else ''}{rule.remediation}")


def _who(text: str) -> str:
    """attested_by: a name, or an email address that must look like one."""
    cleaned = text.strip()
    return email(cleaned) if "@" in cleaned else cleaned


def interview(rules: dict[str, Rule], existing: dict[str, Any] | None,
              today: date) -> dict[str, Any] | None:
    """Ask every question, then review; the settings to write, or None when the person
    chose not to write them. Values in `existing` are the only defaults, and whatever
    the interview does not ask about is kept."""
    settings: dict[str, Any] = copy.deepcopy(existing) if existing else {"settings_version": 1}
    settings["workspace"] = _ask("Workspace (a label for the report)",
                                 settings.get("workspace") or UNSET, _text)
    settings["attested_by"] = _ask("Your name or email (who read the settings)",
                                   settings.get("attested_by") or UNSET, _who)
    settings["attested_at"] = today.isoformat()
    app: dict[str, Any] = settings.setdefault("intercom_salesforce_app", {})
    current_section = None
    for question in QUESTIONS:
        section, _ = question.path
        if section != current_section:
            current_section = section
            click.echo(f"\n== {SECTION_BY_KEY[section].title} ==")
        _put(app, question, _answer(question, rules, app))
    while True:
        click.echo(review(settings))
        choice = _ask("Write these settings? [yes, no, or the number of an answer to change]",
                      UNSET, _review_choice)
        if choice is True:
            return settings
        if choice is False:
            return None
        _put(app, QUESTIONS[choice - 1], _answer(QUESTIONS[choice - 1], rules, app))


def _answer(question: Question, rules: dict[str, Rule], app: dict[str, Any]) -> Any:
    section, key = question.path
    _explain(question, rules[question.rule_id])
    return question.answer.ask("  Your answer", app.get(section, {}).get(key, UNSET))


def _put(app: dict[str, Any], question: Question, value: Any) -> None:
    section, key = question.path
    app.setdefault(section, {})[key] = value


def _review_choice(text: str) -> bool | int:
    typed = text.strip().lower()
    if typed.isdigit() and 1 <= int(typed) <= len(QUESTIONS):
        return int(typed)
    if typed in YES_NO.synonyms or typed in YES_NO.options:
        return bool(YES_NO.pick(typed))
    raise click.BadParameter(f"{text.strip()!r}: type yes to write, no to stop without "
                             f"writing, or a number from 1 to {len(QUESTIONS)}.")


def review(settings: dict[str, Any]) -> str:
    """Every answer, numbered, beside the guide's recommendation."""
    app = settings.get("intercom_salesforce_app", {})
    lines = ["", "== Review ==",
             f"Workspace: {settings.get('workspace')}; read by {settings.get('attested_by')} "
             f"on {settings.get('attested_at')}"]
    for number, question in enumerate(QUESTIONS, 1):
        section, key = question.path
        value = app.get(section, {}).get(key, UNSET)
        shown = "not answered" if value is UNSET else question.answer.show(value)
        advice = _advice(question)
        mark = ("" if advice is None or value == question.recommended
                else f"   (the guide recommends {advice})")
        lines.append(f"{number:>2}. {question.text.rstrip('?')}: {shown}{mark}")
    return "\n".join(one_line(line) for line in lines)


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
