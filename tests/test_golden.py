"""Golden reports: the Markdown report and report.json of every example snapshot, byte
for byte. A change in any rule's wording or in a template shows up here as a diff;
after an intended change, `python -m tests.golden.regenerate` rewrites them."""

from __future__ import annotations

import pytest

from tests.golden.regenerate import (
    EXAMPLES,
    GENERATED_AT,
    golden_path,
    render_example,
    render_trend,
)


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_reports_match_the_golden_files(example: str) -> None:
    for name, text in render_example(example).items():
        golden = golden_path(example, name)
        assert golden.exists(), f"no {golden}; run `python -m tests.golden.regenerate`"
        # Compared as bytes: a stray line ending or trailing space is a difference too.
        assert text.encode("utf-8") == golden.read_bytes(), (
            f"{name} of {example} differs from {golden}; if the change is intended, run "
            "`python -m tests.golden.regenerate` and review the diff")


@pytest.mark.parametrize("example", EXAMPLES)
def test_only_the_run_timestamp_is_normalised(example: str) -> None:
    report_json = golden_path(example, "report.json").read_text(encoding="utf-8")
    assert f'"generated_at": "{GENERATED_AT}"' in report_json
    assert "2000-01-01 00:00 UTC" in golden_path(example, "report.md").read_text("utf-8")


def test_the_trend_of_thirty_nights_matches_the_golden_files() -> None:
    for name, text in render_trend().items():
        golden = golden_path("trend", name)
        assert golden.exists(), f"no {golden}; run `python -m tests.golden.regenerate`"
        assert text.encode("utf-8") == golden.read_bytes(), (
            f"{name} differs from {golden}; if the change is intended, run "
            "`python -m tests.golden.regenerate` and review the diff")
