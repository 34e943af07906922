"""Generated settings, snapshots and rule files through the command line (issue 9).

Mutations of the shipped examples (values replaced, removed, added, or swapped for
hostile text: YAML tags, 5,000-digit numbers, NaN, lone surrogates, control characters,
huge strings, timestamps at the calendar's edges or in other forms), and arbitrary YAML
and JSON. For each: exit 0, 1 or 2; no traceback; with exit 2 no report, not even the
folder; with 0 or 1 the reports asked for; and a bounded time (the hypothesis deadline).
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import event, given, settings
from hypothesis import strategies as st

from auditor.cli.commands import cli
from auditor.documents.settings import load_settings
from tests.test_documents import alike, paths_in

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SNAPSHOTS = {name: json.loads((EXAMPLES / f"{name}.snapshot.json").read_text(encoding="utf-8"))
             for name in ("compliant", "misconfigured", "partial")}
SETTINGS = load_settings(EXAMPLES / "settings.yaml")
RULE = {
    "id": "api_usage.acme_cap", "title": "The API limit stays under Acme's cap",
    "section": "api_usage", "severity": "high", "basis": "attested",
    "rationale": "Acme's other integrations need most of the allowance.",
    "remediation": "Lower the limit.",
    "parameters": {"cap": {"default": 30000, "schema": {"type": "integer", "minimum": 1},
                           "description": "the highest limit Acme accepts"}},
    "reads": {"limit": "settings.intercom_salesforce_app.api_usage.limit"},
    "expect": {"properties": {"limit": {"type": "integer", "maximum": {"$param": "cap"}}}},
    "messages": {"pass": "{{ limit }} is within the cap.", "fail": "{{ limit }} is over."},
}
# Per 150 examples the deadline allows a slow machine many times the usual ~0.1 s.
FUZZ = settings(max_examples=120, deadline=timedelta(seconds=5))

# Hostile values written verbatim into the file, as JSON and as YAML would spell them.
HOSTILE: dict[str, tuple[str, str]] = {
    "5000 digits": ("9" * 5000, "9" * 5000),
    "2^53": (str(2**53), str(2**53)),
    "NaN": ("NaN", ".nan"),
    "infinity": ("1e400", "-.inf"),
    "deep": ("[" * 100 + "]" * 100, "[" * 100 + "]" * 100),
    # YAML only; in JSON these are just text.
    **{name: (json.dumps(tagged), tagged) for name, tagged in {
        "binary tag": "!!binary aGk=", "timestamp tag": "!!timestamp 2026-11-18",
        "python tag": "!!python/object/apply:os.getcwd []", "custom tag": "!acme x",
        "set": "!!set {a: null}", "merge key": "{<<: {a: 1}}"}.items()},
    # Text, written as a JSON string, which YAML reads alike.
    **{name: (json.dumps(text), json.dumps(text)) for name, text in {
        "lone surrogate": "\ud800", "control character": "a\x1bb", "huge text": "x" * 70_000,
        "end of the calendar": "9999-12-31T23:59:59-05:00",
        "start of the calendar": "0001-01-01T00:00:00+01:00", "edge date": "9999-12-31",
        "lower-case timestamp": "2026-11-20t10:00:00z", "leap second": "2016-12-31T23:59:60Z",
        "hours only": "2026-11-20T10Z", "week date": "2026-W47-5T10:00:00Z"}.items()},
}
# Valid values at the edges of what is accepted.
EDGES = ["2026-11-20t10:00:00z", "2016-12-31T23:59:60Z", "1900-01-01T00:00:00+23:59",
         "9998-12-31T23:59:59-23:59", "2026-11-20T10:00:00.123456789+05:30", "1900-01-01",
         "9998-12-31", 2**53 - 1, -(2**53 - 1), 1e308, 5e-324, "\t\r\n", "x" * 65_536]
# Text without control characters: HOSTILE has those, and they would refuse most files.
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20)
PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats()
    | TEXT | st.sampled_from(["", "email", "2026-11-20T10:00:00Z", "2026-11-18"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=10,
)


@st.composite
def mutations(draw: st.DrawFn, base: Any) -> tuple[Any, dict[str, str]]:
    """A copy of base with one to three changes, and the hostile values it refers to by
    placeholder (a string "RAW<n>", replaced by the value once the file is written)."""
    doc = copy.deepcopy(base)
    hostile: dict[str, str] = {}
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([p for p in paths_in(doc) if p]))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        # Mostly values of the same kind, which pass the schema and reach the rules.
        action = draw(st.sampled_from(["alike"] * 4 + ["hostile", "plain", "remove", "add"]))
        if action == "remove":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(TEXT)] = draw(PLAIN)
        elif action == "plain":
            parent[path[-1]] = draw(PLAIN)
        elif action == "alike":
            parent[path[-1]] = draw(alike(parent[path[-1]]) | st.sampled_from(EDGES))
        else:
            placeholder = f"RAW{len(hostile)}"
            hostile[placeholder] = draw(st.sampled_from(sorted(HOSTILE)))
            parent[path[-1]] = placeholder
    return doc, hostile


def serialised(doc: Any, hostile: dict[str, str], as_json: bool) -> str:
    if as_json:
        text = json.dumps(doc, indent=1)
        for placeholder, name in hostile.items():
            text = text.replace(f'"{placeholder}"', HOSTILE[name][0])
        return text
    text = yaml.safe_dump(doc, sort_keys=False)
    for placeholder, name in hostile.items():
        text = text.replace(placeholder, HOSTILE[name][1])
    return text


@contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def run_audit(folder: Path, *args: str | Path, formats: tuple[str, ...] = ()) -> int:
    """Run `auditor audit` and assert the promises that hold for any input at all."""
    out = folder / "reports"
    result = CliRunner().invoke(
        cli, ["audit", *map(str, args), "--out", str(out),
              *(arg for fmt in formats for arg in ("--format", fmt))])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exc_info)
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        assert not out.exists(), "no report for bad input"
        [error] = [line for line in result.output.splitlines()
                   if line.lower().startswith("error:")]
        assert error.isprintable()
    else:
        expected = {f"report.{fmt}" for fmt in formats or ("html", "md", "json")}
        assert {p.name for p in out.iterdir()} == expected
    event(f"exit {result.exit_code}")
    return result.exit_code


FORMATS = st.sampled_from([("json",), ()])


@FUZZ
@given(st.sampled_from(sorted(SNAPSHOTS)).flatmap(lambda name: mutations(SNAPSHOTS[name])),
       st.booleans(), FORMATS)
def test_mutated_snapshots(mutation: tuple[Any, dict[str, str]], as_json: bool,
                           formats: tuple[str, ...]) -> None:
    with workspace() as folder:
        snapshot = folder / ("snapshot.json" if as_json else "snapshot.yaml")
        snapshot.write_text(serialised(*mutation, as_json), encoding="utf-8")
        run_audit(folder, "--snapshot", snapshot, formats=formats)


@FUZZ
@given(mutations(SETTINGS), st.booleans(), FORMATS)
def test_mutated_settings(mutation: tuple[Any, dict[str, str]], as_json: bool,
                          formats: tuple[str, ...]) -> None:
    with workspace() as folder:
        settings_file = folder / ("settings.json" if as_json else "settings.yaml")
        settings_file.write_text(serialised(*mutation, as_json), encoding="utf-8")
        run_audit(folder, "--snapshot", EXAMPLES / "compliant.snapshot.json",
                  "--settings", settings_file, formats=formats)


@settings(max_examples=60, deadline=timedelta(seconds=5))
@given(mutations(RULE), st.booleans())
def test_mutated_rule_files(mutation: tuple[Any, dict[str, str]], as_json: bool) -> None:
    with workspace() as folder:
        rules = folder / "rules"
        rules.mkdir()
        # A .json rule file is not picked up; JSON is YAML, so it goes in a .yaml file.
        (rules / "api_usage.acme_cap.yaml").write_text(serialised(*mutation, as_json),
                                                       encoding="utf-8")
        run_audit(folder, "--snapshot", EXAMPLES / "compliant.snapshot.json",
                  "--rules-dir", rules, formats=("json",))


ARBITRARY = st.one_of(
    PLAIN.map(lambda value: json.dumps(value)),
    PLAIN.map(lambda value: yaml.safe_dump(value)),
    st.text(max_size=200),
)


@FUZZ
@given(ARBITRARY, st.sampled_from(["snapshot", "settings"]), st.booleans())
def test_arbitrary_yaml_and_json(text: str, role: str, as_json: bool) -> None:
    with workspace() as folder:
        document = folder / (f"{role}.json" if as_json else f"{role}.yaml")
        document.write_text(text, encoding="utf-8", errors="surrogatepass")
        if role == "snapshot":
            run_audit(folder, "--snapshot", document, formats=("json",))
        else:
            run_audit(folder, "--snapshot", EXAMPLES / "compliant.snapshot.json",
                      "--settings", document, formats=("json",))
