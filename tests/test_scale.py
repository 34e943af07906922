"""Fast to start and linear at any size (issue 13): the mechanisms, pinned by counts.

Wall-clock numbers live in bench/ only; these tests count what the time is spent on:
modules imported, templates compiled, columns computed, rows and names shown, values
parsed twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.cli.app import COMMANDS, cli
from auditor.documents import validation, yaml_reading
from auditor.documents.errors import InputError
from auditor.documents.load import parse_document
from auditor.documents.plain_data import MAX_YAML_CHARS
from auditor.documents.snapshot import DUPLICATE_EMAILS_COUNTED, load_snapshot
from auditor.documents.validation import SHOWN_CHARS, validator_for
from auditor.engine.checks.base import NAMED_IN_MESSAGE
from auditor.report import render as render_module
from auditor.report.filters import ROWS_SHOWN
from auditor.report.render import render
from bench.big_snapshot import big_snapshot
from tests.report_fixtures import results_for
from tests.snapshots import example, run, with_value

HEAVY = ("jsonschema", "jinja2", "tabulate", "simple_salesforce", "httpx", "zeep")


def test_the_command_line_imports_no_heavy_library_until_a_command_needs_it() -> None:
    code = ("import sys, auditor.cli, auditor.cli.commands; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_the_overview_loads_no_command_and_lists_every_one() -> None:
    code = ("import sys; from auditor.cli.commands import main; sys.argv = ['auditor', '-h']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('auditor.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded = out.splitlines()[-1]
    # The crash handler's own needs (secrets, snapshot dates) load only on a crash.
    assert loaded == repr(["auditor.cli", "auditor.cli.app", "auditor.cli.commands",
                           "auditor.cli.crash", "auditor.cli.exit_codes", "auditor.documents",
                           "auditor.documents.errors", "auditor.safety", "auditor.safety.display",
                           "auditor.safety.interrupts"])
    for name in COMMANDS:
        assert f"\n  {name} " in out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_overview_line_of_a_command_is_its_own_help(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None and command.help is not None
    first_paragraph = " ".join(command.help.split("\n\n")[0].split())
    assert COMMANDS[name][1] == first_paragraph


# --- fast YAML -------------------------------------------------------------------------

@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML built without libyaml")
def test_yaml_is_read_by_the_c_parser_when_it_is_installed() -> None:
    assert issubclass(yaml_reading.plain_loader(), yaml.CSafeLoader)
    assert not issubclass(yaml_reading.plain_loader(fast=False), yaml.CSafeLoader)


HOSTILE_YAML = [
    "a: 1\na: 2\n",  # duplicate key
    "a: !!python/object:os.system x\n",  # a tag
    "a: !!binary aGVsbG8=\n",
    "<<: {a: 1}\n",  # the merge key
    "? [1, 2]\n: x\n",  # a key that is not text
    "a: &x [1]\nb: *x\n",  # an alias: fine, expanded
    "a: 2026-11-20\n",  # a date: text
    "a: 1" + "0" * 60 + "\n",  # an oversized integer
    "a: [1, 2\n",  # not YAML
    'a: "\\ud800"\n',  # a lone surrogate escape, which the C parser refuses
    "a: \x00\n",  # a character YAML does not allow
    "x: !!int 5\ny: !!str 5\nz: ! 5\n",
]


def _outcome(text: str) -> str:
    try:
        return repr(parse_document(text, "f.yaml").data)
    except InputError as exc:
        return f"error: {exc}"


@pytest.mark.parametrize("text", HOSTILE_YAML)
def test_the_c_parser_keeps_every_refusal_and_its_words(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with_c_parser = _outcome(text)
    python_loader = yaml_reading.plain_loader(fast=False)
    monkeypatch.setattr(yaml_reading, "plain_loader", lambda fast=True: python_loader)
    assert with_c_parser == _outcome(text)


# --- rendering: linear, bounded ----------------------------------------------------------

def _results_with_unmapped(teammates: int) -> dict[str, Any]:
    snapshot = example("misconfigured")
    snapshot["intercom"]["teammates"] = big_snapshot(teammates)["intercom"]["teammates"]
    return results_for(snapshot)


@pytest.fixture(scope="module")
def many_unmapped() -> dict[str, Any]:
    return _results_with_unmapped(1_000)


def _finding(results: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(f for f in results["findings"] if f["rule_id"] == rule_id)


def test_a_table_computes_its_columns_once_and_shows_its_first_rows(
        many_unmapped: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: Counter[int] = Counter()
    columns = render_module.VALUE_FILTERS["record_columns"]

    def counted(records: list[Any]) -> list[str]:
        calls[len(records)] += 1
        return columns(records)

    monkeypatch.setitem(render_module.VALUE_FILTERS, "record_columns", counted)
    render_module._environment.cache_clear()
    try:
        html = render(many_unmapped, "html")
    finally:
        render_module._environment.cache_clear()
    assert calls[ROWS_SHOWN] == 1  # the unmapped teammates' table: once, not once a row
    assert html.count("teammate999@acme.example") == 0  # beyond the first rows
    assert html.count(f"teammate{ROWS_SHOWN - 1}@acme.example") == 1  # listed once
    assert f"First {ROWS_SHOWN} of 1,000; all in report.json." in html


def test_markdown_shows_the_first_rows_and_says_where_the_rest_are(
        many_unmapped: dict[str, Any]) -> None:
    text = render(many_unmapped, "md")
    assert "teammate999@acme.example" not in text
    assert f"teammate{ROWS_SHOWN - 1}@acme.example" in text
    assert f"First {ROWS_SHOWN} of 1,000; all in report.json." in text


def test_the_json_report_keeps_every_row(many_unmapped: dict[str, Any]) -> None:
    report = json.loads(render(many_unmapped, "json"))
    finding = _finding(report, "ownership.teammates_mapped")
    assert len(finding["evidence"]["unmapped"]) == 1_000


def test_each_template_is_compiled_once_per_run(monkeypatch: pytest.MonkeyPatch,
                                                cache_of_its_own: Path) -> None:
    import jinja2

    compiled: Counter[str | None] = Counter()
    compile_source = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: Any, name: str | None = None,
                *args: Any, **kwargs: Any) -> Any:
        compiled[name] += 1
        return compile_source(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    render_module._environment.cache_clear()
    results = results_for(example("misconfigured"))
    try:
        for _ in range(3):
            for fmt in ("html", "md", "json"):
                render(results, fmt)
    finally:
        render_module._environment.cache_clear()
    assert compiled and set(compiled.values()) == {1}, compiled


# --- messages: a handful of names ----------------------------------------------------------

def test_a_message_names_a_handful_of_teammates_then_how_many_more(
        many_unmapped: dict[str, Any]) -> None:
    finding = _finding(many_unmapped, "ownership.teammates_mapped")
    message = finding["message"]
    assert message.count("@acme.example") == NAMED_IN_MESSAGE
    assert f"and {1_000 - NAMED_IN_MESSAGE:,} more" in message


def test_a_duplicate_count_at_the_collections_bound_says_at_least() -> None:
    snapshot = with_value(example("misconfigured"), "salesforce.leads.duplicate_emails.count",
                          DUPLICATE_EMAILS_COUNTED)
    message = run("lead_contact_sync.duplicate_emails", snapshot).message
    assert f"at least {DUPLICATE_EMAILS_COUNTED:,} email addresses shared by two or more " \
           "unconverted Leads" in message
    assert "at least 4 " not in message  # the Contacts' count is below the bound: exact


# --- validation of long arrays: jsonschema only for what fails -------------------------------

def test_valid_items_of_a_long_array_never_reach_jsonschema(
        monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = big_snapshot(2_000)
    validator = validator_for("snapshot")
    descents: Counter[str] = Counter()
    descend = type(validator).descend

    def counted(self: Any, instance: Any, schema: Any, path: Any = None,
                schema_path: Any = None, resolver: Any = None) -> Any:
        descents[type(path).__name__] += 1
        return descend(self, instance, schema, path, schema_path, resolver)

    monkeypatch.setattr(type(validator), "descend", counted)
    assert list(validator.iter_errors(snapshot)) == []
    assert descents["int"] < 100  # items: a few short lists, never the 2,000 teammates


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False),
    st.sampled_from(["", "x", "4417021", "Intercom", "jane@acme.example", "2026-11-20",
                     "2026-11-20T09:30:00Z", "2026-11-20T09:30:00", "app_package_installation"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.sampled_from(["a"]), st.none()))
# Keys of teammates, OAuth tokens and app events (types, enums, date-times, minimums),
# and one that none of them has.
_KEYS = ["id", "name", "email", "has_inbox_seat", "away_mode_enabled", "app_name", "user_id",
         "last_used_date", "use_count", "type", "created_at", "performed_by", "other"]
_ITEMS = st.lists(st.one_of(st.dictionaries(st.sampled_from(_KEYS), _VALUES), _VALUES),
                  max_size=4)


def _errors(validator: jsonschema.Draft202012Validator, instance: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(e.absolute_path), e.validator, e.message)
                  for e in validator.iter_errors(instance))


@settings(max_examples=300, deadline=None)
@given(teammates=_ITEMS, tokens=_ITEMS, events=_ITEMS)
def test_compiled_item_checks_agree_with_jsonschema(
        teammates: list[Any], tokens: list[Any], events: list[Any]) -> None:
    snapshot = example("misconfigured")
    snapshot["intercom"]["teammates"] = teammates
    snapshot["salesforce"]["intercom_tokens"] = tokens
    snapshot["intercom"]["app_events"]["events"] = events
    plain = jsonschema.Draft202012Validator(
        validation.load_schema("snapshot"), registry=validation._registry(),
        format_checker=validation._format_checker())
    assert _errors(validator_for("snapshot"), snapshot) == _errors(plain, snapshot)


def test_only_a_large_document_pays_for_the_compiled_checks() -> None:
    small = validator_for("snapshot", validation.FAST_ITEMS_FROM - 1)
    large = validator_for("snapshot", validation.FAST_ITEMS_FROM)
    assert type(small) is jsonschema.Draft202012Validator
    # The large one's `items` keyword passes valid items by the compiled predicates.
    assert type(large).VALIDATORS["items"] is not jsonschema.Draft202012Validator.VALIDATORS[
        "items"]


# --- errors: as fast as success, bounded, masked ---------------------------------------------

def _write(tmp_path: Path, snapshot: dict[str, Any]) -> Path:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot, indent=2), encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        load_snapshot(path)
    return str(caught.value)


def test_a_large_snapshots_error_names_its_line_without_parsing_it_as_yaml(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = big_snapshot(25_000, bad_last=True)
    path = _write(tmp_path, snapshot)
    assert path.stat().st_size > MAX_YAML_CHARS
    composed: list[int] = []
    monkeypatch.setattr(yaml, "compose", lambda *args, **kwargs: composed.append(1))
    message = _error(path)
    assert composed == []
    line = path.read_text().splitlines().index('        "has_inbox_seat": "yes",') + 1
    assert message == (f"{path}, line {line}, at $.intercom.teammates[24999].has_inbox_seat: "
                       'expected true or false; found "yes".')


def test_a_small_snapshots_error_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, big_snapshot(3, bad_last=True))
    line = next(number for number, text in enumerate(path.read_text().splitlines(), 1)
                if '"yes"' in text)
    assert f"{path}, line {line}, at $.intercom.teammates[2].has_inbox_seat" in _error(path)


def test_an_overlong_list_is_counted_not_printed(tmp_path: Path) -> None:
    examples = [{"email": f"buyer{n}@customer.example", "records": 2} for n in range(50_000)]
    snapshot = with_value(example("misconfigured"),
                          "salesforce.leads.duplicate_emails.examples", examples)
    message = _error(_write(tmp_path, snapshot))
    assert message.endswith("at $.salesforce.leads.duplicate_emails.examples: expected a list of "
                            "at most 20 items; found 50,000.")


def test_a_value_in_an_error_is_cut_and_its_emails_masked(tmp_path: Path) -> None:
    value = "buyer@customer.example " + "x" * 10_000
    snapshot = with_value(example("misconfigured"), "intercom.teammates.0.has_inbox_seat", value)
    message = _error(_write(tmp_path, snapshot))
    found = message.split("; found ", 1)[1]
    assert found.startswith('"b***@customer.example xxx') and found.endswith('....')
    assert len(found) == SHOWN_CHARS + 1  # and the full stop


@pytest.mark.parametrize("expression", [
    "d.status", "d['status']", "d.items()|list", "d.get('status')", "d.keys()|list",
    "d.__class__.__name__", "d.missing is defined", "n.items is defined", "s.upper()",
])
def test_the_report_environment_reads_dicts_as_jinja2_does(expression: str) -> None:
    import jinja2

    from auditor.report.environment import ReportEnvironment

    context = {"d": {"status": "fail", "items": "a key named like a method", "get": 1},
               "n": {"nested": {"items": 2}}, "s": "text"}
    template = f"{{{{ {expression} }}}}"
    expected = jinja2.Environment().from_string(template).render(context)
    assert ReportEnvironment().from_string(template).render(context) == expected
