"""`auditor history`: the trend over past runs, through the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from auditor.cli.commands import cli
from tests.golden.history import make_history, night_report, write


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def trend(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "trend.json").read_text(encoding="utf-8"))
    return data


def test_thirty_nights_in_run_order_with_the_three_bad_files_skipped(tmp_path: Path) -> None:
    history = make_history(tmp_path / "history")
    result = run("history", history, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    data = trend(tmp_path / "out")
    assert [r["generated_at"][:10] for r in data["runs"]] == [
        f"2026-11-{day:02}" for day in range(1, 31)]
    assert [r["score"] for r in data["runs"]] == (
        [30] * 10 + [46] * 3 + [100] * 6 + [99] * 3 + [100] * 8)
    assert [(Path(s["file"]).relative_to(history).as_posix(), s["reason"].split(":")[0])
            for s in data["skipped"]] == [
        ("report-20261031.json", "damaged"),
        ("run-copy/report.json", "the same run (2026-11-03T02"),
        ("run-schema-2/report.json", "schema version 2; this auditor reads schema version 1"),
    ]
    assert "skipped" in result.output and "30 runs read, 3 skipped" in result.output
    owner = [e for e in data["episodes"] if e["rule_id"] == "cases.case_owner"]
    assert [(e["failed_in"], e["resolved_in"]) for e in owner] == [(1, 11), (20, 23)]


def test_the_run_timestamp_orders_the_runs_not_the_file_names(tmp_path: Path) -> None:
    history = tmp_path / "history"
    # Named against their order: the folder named first holds the last run.
    write(history / "a" / "report.json", night_report(12))
    write(history / "b" / "report.json", night_report(1))
    write(history / "c" / "report.json", night_report(14))
    result = run("history", history, "--out", tmp_path / "out", "--format", "json")
    assert result.exit_code == 0, result.output
    data = trend(tmp_path / "out")
    assert [Path(r["file"]).parent.name for r in data["runs"]] == ["b", "a", "c"]
    assert [r["change"] for r in data["runs"]] == [None, 16, 54]


def test_unknown_never_resolves_a_failure_and_an_unjudged_run_leaves_it_open(
        tmp_path: Path) -> None:
    history = tmp_path / "history"
    # misconfigured (fail), partial (unknown), compliant (pass): resolved at the pass.
    for folder, night in (("1", 1), ("2", 12), ("3", 14)):
        write(history / folder / "report.json", night_report(night))
    # A fourth run that judged no rule at all, then a fifth that failed it again.
    fourth = night_report(15)
    write(history / "4" / "report.json", {**fourth, "findings": [],
                                         "generated_at": "2026-11-16T02:00:00Z"})
    write(history / "5" / "report.json", night_report(20))
    result = run("history", history, "--out", tmp_path / "out", "--format", "json")
    assert result.exit_code == 0, result.output
    data = trend(tmp_path / "out")
    by_rule = {r["rule_id"]: r["statuses"] for r in data["rules"]}
    assert by_rule["cases.record_type"] == ["fail", "unknown", "pass", None, "pass"]
    episodes = {(e["rule_id"], e["failed_in"]): e["resolved_in"] for e in data["episodes"]}
    assert episodes[("cases.record_type", 1)] == 3
    assert episodes[("cases.case_owner", 1)] == 2  # the partial run attested it again
    assert episodes[("cases.case_owner", 5)] is None  # still failing


def test_every_value_from_a_report_is_escaped(tmp_path: Path) -> None:
    history = tmp_path / "history"
    report = night_report(1)
    hostile = "<script>alert(1)</script> | *x* [l](http://e.example)"
    report["snapshot"]["workspace"] = hostile
    report["findings"][0]["title"] = hostile
    report["findings"][1]["rule_id"] = "a<b>"
    write(history / "run" / "report.json", report)
    result = run("history", history, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "trend.html").read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "a&lt;b&gt;" in html and "<b>" not in html
    markdown = (tmp_path / "out" / "trend.md").read_text(encoding="utf-8")
    assert "<script>" not in markdown and "](http" not in markdown


def test_the_chart_is_inline_svg_described_by_the_table_of_runs(tmp_path: Path) -> None:
    history = make_history(tmp_path / "history")
    result = run("history", history, "--out", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "trend.html").read_text(encoding="utf-8")
    assert "<script" not in html
    svg = html[html.index("<svg"): html.index("</svg>")]
    assert 'role="img"' in svg and 'aria-describedby="runs-heading"' in svg
    assert 'id="runs-heading"' in html
    points = re.findall(r'points="([^"]+)"', svg)
    assert len(points) == 1  # every night has a score: one unbroken line
    coordinates = [tuple(map(float, p.split(","))) for p in points[0].split()]
    assert len(coordinates) == 30
    ys = [y for _, y in coordinates]
    # 30 draws lower (a larger y) than 100; the regression to 99 just under the top.
    assert ys[0] == 12 + 70 * 2 and ys[13] == 12 and ys[19] == 12 + 1 * 2


def test_a_folder_without_any_report_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("history", tmp_path / "empty", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "no report.json in" in result.output and "report-YYYYMMDD.json" in result.output
    assert not (tmp_path / "out").exists()


def test_only_damaged_reports_still_write_a_trend_listing_them(tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    (history / "report-20261101.json").write_text("{}", encoding="utf-8")
    (history / "report-20261102.json").write_text('{"schema_version": 1, "findings": 3}',
                                                  encoding="utf-8")
    result = run("history", history, "--out", tmp_path / "out", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [s["reason"] for s in trend(tmp_path / "out")["skipped"]] == [
        "schema version None; this auditor reads schema version 1",
        "damaged: generated_at is not an RFC 3339 timestamp",
    ]


def test_two_different_runs_in_the_same_second_are_both_kept(tmp_path: Path) -> None:
    history = tmp_path / "history"
    first, second = night_report(1), night_report(14)
    second["generated_at"] = first["generated_at"]
    write(history / "a" / "report.json", first)
    write(history / "b" / "report.json", second)
    write(history / "c" / "report.json", second)  # this one is a copy
    result = run("history", history, "--out", tmp_path / "out", "--format", "json")
    assert result.exit_code == 0, result.output
    data = trend(tmp_path / "out")
    assert [r["score"] for r in data["runs"]] == [30, 100]
    assert [Path(s["file"]).parent.name for s in data["skipped"]] == ["c"]


def test_a_run_folder_that_cannot_be_read_is_skipped_with_the_reason(tmp_path: Path) -> None:
    history = tmp_path / "history"
    write(history / "a" / "report.json", night_report(1))
    (history / "report-20261102.json").mkdir()  # named as a run, but a folder
    (history / "b" / "report.json").parent.mkdir()
    (history / "b" / "report.json").write_bytes(b"\xff\xfe not UTF-8")
    result = run("history", history, "--out", tmp_path / "out", "--format", "json")
    assert result.exit_code == 0, result.output
    data = trend(tmp_path / "out")
    assert len(data["runs"]) == 1
    assert [(Path(s["file"]).relative_to(history).as_posix(), s["reason"])
            for s in data["skipped"]] == [
        ("b/report.json", "damaged: line 1: the report.json is not UTF-8 text (byte 1)."),
        ("report-20261102.json", "damaged: expected a report.json, found a folder."),
    ]
