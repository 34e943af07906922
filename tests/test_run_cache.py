"""The cache between runs (auditor/safety/run_cache.py): a second run compiles no
template and re-checks no rule file, and nothing the cache holds or lacks changes a result.

Each test simulates a new process with forget_this_process(); counts, never timers.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2
import pytest

from auditor.documents.errors import InputError
from auditor.engine import catalogue
from auditor.engine.catalogue import load_rules
from auditor.report.render import render
from auditor.safety import run_cache
from tests.conftest import forget_this_process
from tests.report_fixtures import results_for
from tests.snapshots import example

FORMATS = ("html", "md")


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Calls of jinja2's compiler, of the rule checks and of the message renders."""
    calls: Counter[str] = Counter()

    def counting(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(jinja2.Environment, "compile",
                        counting("compile", jinja2.Environment.compile))
    monkeypatch.setattr(catalogue, "_check_rule", counting("check", catalogue._check_rule))
    monkeypatch.setattr(catalogue, "parse_document",
                        counting("parse", catalogue.parse_document))
    monkeypatch.setattr(catalogue, "_check_renders",
                        counting("renders", catalogue._check_renders))
    return calls


def _one_run(rules_dirs: tuple[Path, ...] = ()) -> dict[str, str]:
    forget_this_process()
    load_rules(rules_dirs)
    results = results_for(example("misconfigured"))
    return {fmt: render(results, fmt) for fmt in FORMATS}


def test_a_second_run_compiles_no_template_and_checks_no_rule(
        cache_of_its_own: Path, counted: Counter[str]) -> None:
    first = _one_run()
    shipped = len(load_rules())
    assert counted["parse"] == counted["check"] == counted["renders"] == shipped
    assert counted["compile"] > 0
    counted.clear()
    second = _one_run()
    assert counted == Counter(), "the second run compiled or checked again"
    assert second == first


def test_without_a_cache_every_run_compiles_and_checks(
        cache_of_its_own: Path, counted: Counter[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(run_cache.NO_CACHE_VARIABLE, "1")
    first = _one_run()
    cold = counted.copy()
    counted.clear()
    second = _one_run()
    assert counted == cold
    assert cold["compile"] > 0 and cold["check"] >= len(load_rules())
    assert second == first
    assert not cache_of_its_own.exists()


RULE = """\
id: api_usage.custom
title: A rule of our own
section: api_usage
severity: low
basis: attested
rationale: Why.
remediation: What to do.
reads:
  limit: {path: settings.intercom_app.api_usage.limit, optional: true}
expect:
  properties:
    limit: {type: integer, maximum: MAXIMUM}
messages: {pass: "The limit is {{ limit }}.", fail: "The limit is {{ limit }}."}
"""


def test_a_changed_rule_file_is_checked_again(
        cache_of_its_own: Path, counted: Counter[str], tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    rule_file = folder / "api_usage.custom.yaml"
    rule_file.write_text(RULE.replace("MAXIMUM", "100"), encoding="utf-8")
    _one_run((folder,))
    counted.clear()
    _one_run((folder,))
    assert counted["check"] == 0
    rule_file.write_text(RULE.replace("MAXIMUM", "200"), encoding="utf-8")
    _one_run((folder,))
    assert counted["check"] == counted["renders"] == 1  # that file, and only it
    rule_file.write_text(RULE.replace("MAXIMUM", "lots"), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape("api_usage.custom.yaml")):
        _one_run((folder,))


def test_a_rule_file_that_fails_its_checks_is_never_remembered(
        cache_of_its_own: Path, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "api_usage.custom.yaml").write_text(RULE.replace("MAXIMUM", "lots"),
                                                  encoding="utf-8")
    errors = []
    for _ in range(2):
        with pytest.raises(InputError) as caught:
            _one_run((folder,))
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "not a valid JSON Schema" in errors[0]


def test_the_same_file_under_another_name_is_checked_again(
        cache_of_its_own: Path, tmp_path: Path) -> None:
    # The name is checked too (a rule file is named after its id).
    good, bad = tmp_path / "good", tmp_path / "bad"
    for folder in (good, bad):
        folder.mkdir()
    text = RULE.replace("MAXIMUM", "100")
    (good / "api_usage.custom.yaml").write_text(text, encoding="utf-8")
    (bad / "api_usage.other.yaml").write_text(text, encoding="utf-8")
    _one_run((good,))
    with pytest.raises(InputError, match=re.escape("rename it to 'api_usage.custom.yaml'")):
        _one_run((bad,))


def test_a_damaged_entry_is_compiled_again(cache_of_its_own: Path,
                                            counted: Counter[str]) -> None:
    first = _one_run()
    entries = sorted(path for path in cache_of_its_own.rglob("*.jinja"))
    assert entries
    contents = [path.read_bytes() for path in entries]
    for index, path in enumerate(entries):
        # Cut short, emptied, or another entry's content: each is compiled again.
        path.write_bytes((contents[index][:40], b"", contents[index - 1])[index % 3])
    counted.clear()
    assert _one_run() == first
    assert counted["compile"] > 0


def test_a_damaged_rule_entry_is_parsed_and_checked_again(
        cache_of_its_own: Path, counted: Counter[str]) -> None:
    first = load_rules()
    # One entry for the shipped catalogue, one for each file it was read from.
    catalogue_entry = sorted(cache_of_its_own.rglob("rules-*.json"))
    entries = catalogue_entry + sorted(cache_of_its_own.rglob("rule-*.json"))
    assert len(catalogue_entry) == 1 and len(entries) == 1 + len(first)
    contents = [path.read_bytes() for path in entries]
    for index, path in enumerate(entries):
        # Cut short, emptied, another rule's entry, or JSON that is no entry.
        damaged = (contents[index][:-10], b"", contents[index - 1], b"[1]")[index % 4]
        path.write_bytes(damaged)
    counted.clear()
    forget_this_process()
    assert load_rules() == first
    assert counted["parse"] == counted["check"] == len(first)


@pytest.mark.parametrize("mode", [0o775, 0o757, 0o777])
def test_a_folder_others_may_write_in_is_no_cache(tmp_path: Path, mode: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Compiled code is loaded from it: nobody else may put anything there.
    base = tmp_path / "shared"
    base.mkdir()
    base.chmod(mode)
    monkeypatch.setenv(run_cache.CACHE_VARIABLE, str(base))
    run_cache.cache_folder.cache_clear()
    try:
        assert run_cache.cache_folder() is None
        assert run_cache.template_cache("report-html") is None
        assert run_cache.checked_before("rule", b"x", "x.yaml") is None
        run_cache.remember_checked("rule", b"x", "x.yaml", {"a": 1})
        assert list(base.iterdir()) == []
    finally:
        forget_this_process()


def test_a_folder_that_cannot_be_made_is_no_cache_and_no_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv(run_cache.CACHE_VARIABLE, str(blocker / "cache"))
    try:
        assert _one_run() == _one_run()
        assert run_cache.cache_folder() is None
    finally:
        forget_this_process()


def test_an_edit_to_the_package_starts_a_new_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "package"
    package.mkdir()
    module = package / "module.py"
    module.write_text("A = 1\n", encoding="utf-8")
    monkeypatch.setattr(run_cache, "_PACKAGE", package)
    before = run_cache.package_stamp()
    assert run_cache.package_stamp() == before
    module.write_text("A = 22\n", encoding="utf-8")
    assert run_cache.package_stamp() != before


def test_stamps_unused_for_a_week_are_cleared_away_and_nothing_else(
        cache_of_its_own: Path) -> None:
    # AUDITOR_CACHE_DIR may name a folder that holds other things: they stay; so does
    # the stamp of another install still in use (a second virtual environment).
    week_ago = time.time() - run_cache.UNUSED_FOR - 60
    old, in_use = "stamp-0123456789abcdef0123", "stamp-fedcba9876543210fedc"
    kept = [in_use, "stamp-notours", "notes", "stamp-0123456789abcdef0124.txt"]
    for name in [old, *kept[:3]]:
        (cache_of_its_own / name).mkdir(parents=True, mode=0o700)
        (cache_of_its_own / name / "report-html-x.jinja").write_bytes(b"old")
    (cache_of_its_own / kept[3]).write_text("a file", encoding="utf-8")
    for name in [old, *kept[1:]]:
        os.utime(cache_of_its_own / name, (week_ago, week_ago))
    cache_of_its_own.chmod(0o700)
    current = run_cache.cache_folder()
    assert current is not None and current.parent == cache_of_its_own
    assert sorted(os.listdir(cache_of_its_own)) == sorted([current.name, *kept])


def test_a_stamp_in_use_is_marked_so_at_most_daily(cache_of_its_own: Path) -> None:
    current = run_cache.cache_folder()
    assert current is not None
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(current, (two_days_ago, two_days_ago))
    forget_this_process()
    assert run_cache.cache_folder() == current
    assert time.time() - current.stat().st_mtime < 3600
    an_hour_ago = time.time() - 3600
    os.utime(current, (an_hour_ago, an_hour_ago))
    forget_this_process()
    run_cache.cache_folder()
    assert current.stat().st_mtime == pytest.approx(an_hour_ago)


def test_entries_live_in_a_folder_only_the_user_may_open(cache_of_its_own: Path) -> None:
    cache_of_its_own.mkdir(mode=0o755)
    cache_of_its_own.chmod(0o755)  # readable by others: fine for the folder it names
    current = run_cache.cache_folder()
    assert current is not None and current.parent == cache_of_its_own
    assert stat.S_IMODE(current.stat().st_mode) == 0o700
    current.chmod(0o750)
    forget_this_process()
    assert run_cache.cache_folder() is None
