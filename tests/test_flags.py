"""Flags are bounded (issue 9): no NaN, no infinity, no window of days beyond what dates
can hold, no YAML tag in a --param value. Each refusal exits 2 naming the flag and what is
allowed, before anything is read, collected or written."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.cli.commands import cli
from auditor.documents.errors import InputError
from auditor.engine.catalogue import load_rules, resolve_params

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SNAPSHOT = EXAMPLES / "compliant.snapshot.json"
MAX_SHARE = "api_usage.limit_within_org_allowance.max_share"
WINDOW = "cases.activities_flowing.window_days"


def audit(out: Path, *flags: str) -> Result:
    return CliRunner().invoke(cli, ["audit", "--snapshot", str(SNAPSHOT), "--out", str(out),
                                    "--format", "json", *flags])


def refused(result: Result, out: Path) -> str:
    """The one line saying why, after asserting a clean exit 2 with no report."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exc_info)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    [line] = [text for text in result.output.splitlines() if text.lower().startswith("error:")]
    return line


@pytest.mark.parametrize(("flag", "value", "expected"), [
    ("--window-days", "999999999", "999999999 is not in the range 1<=x<=36500."),
    ("--window-days", "36501", "36501 is not in the range 1<=x<=36500."),
    ("--window-days", "0", "0 is not in the range 1<=x<=36500."),
    pytest.param("--window-days", "9" * 5000, f"{'9' * 5000!r} is not a valid integer range.",
                 id="--window-days-5000-digits"),
    ("--timeout", "1e308", "1e+308 is not in the range 0<x<=3600."),
    ("--timeout", "nan", "nan is not a finite number; expected a number in the range 0<x<=3600."),
    ("--timeout", "inf", "inf is not a finite number; expected a number in the range 0<x<=3600."),
    ("--timeout", "-inf",
     "-inf is not a finite number; expected a number in the range 0<x<=3600."),
    ("--timeout", "0", "0.0 is not in the range 0<x<=3600."),
    ("--max-wait", "NaN", "nan is not a finite number; expected a number in the range 0<=x<=3600."),
    ("--max-wait", "3601", "3601.0 is not in the range 0<=x<=3600."),
])
def test_a_collection_flag_out_of_bounds_is_refused(
        tmp_path: Path, flag: str, value: str, expected: str) -> None:
    out = tmp_path / "reports"
    assert refused(audit(out, flag, value), out) == (
        f"Error: Invalid value for '{flag}': {expected}")


@pytest.mark.parametrize(("flag", "value"), [
    ("--window-days", "36500"), ("--window-days", "1"), ("--timeout", "3600"),
    ("--timeout", "0.001"), ("--max-wait", "0")])
def test_the_bounds_themselves_are_allowed(tmp_path: Path, flag: str, value: str) -> None:
    assert audit(tmp_path / "reports", flag, value).exit_code == 0


def param_error(param: str, problem: str, expected: str) -> str:
    return f"error: --param {param}: {problem}; expected {expected}."


SHARE = ("the largest share of the org's daily API allowance Intercom may be allowed, a "
         "number above 0 and at most 1")
NOT_FINITE = "is not a number this tool reads: numbers must be finite, not NaN or infinity"
TASK_DAYS = ("how many days back to look for Tasks, a whole number from 1 to 36500 (collect "
             "with the same --window-days)")


@pytest.mark.parametrize(("value", "expected"), [
    pytest.param(".nan", param_error(f"{MAX_SHARE}=NaN", f"nan {NOT_FINITE}", SHARE), id="NaN"),
    pytest.param(".NaN", param_error(f"{MAX_SHARE}=NaN", f"nan {NOT_FINITE}", SHARE),
                 id="NaN capitalised"),
    pytest.param(".inf", param_error(f"{MAX_SHARE}=Infinity", f"inf {NOT_FINITE}", SHARE),
                 id="infinity"),
    pytest.param("-.inf", param_error(f"{MAX_SHARE}=-Infinity", f"-inf {NOT_FINITE}", SHARE),
                 id="minus infinity"),
    pytest.param("[0.5, .nan]",
                 param_error(f"{MAX_SHARE}=[0.5, NaN]", f"at $[1], nan {NOT_FINITE}", SHARE),
                 id="NaN inside a list"),
])
def test_a_parameter_that_is_not_finite_is_refused(
        tmp_path: Path, value: str, expected: str) -> None:
    out = tmp_path / "reports"
    assert refused(audit(out, "--param", f"{MAX_SHARE}={value}"), out) == expected


def test_a_window_parameter_beyond_what_dates_hold_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert refused(audit(out, "--param", f"{WINDOW}=1000000000"), out) == param_error(
        f"{WINDOW}=1000000000", "1000000000 is greater than the maximum of 36500", TASK_DAYS)


def test_an_oversized_parameter_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert refused(audit(out, "--param", f"{WINDOW}={'9' * 5000}"), out) == param_error(
        f"{WINDOW}=\"99999999999999999...\"",
        "a whole number written with 5,000 characters is beyond the whole numbers this tool "
        "reads, from -9007199254740991 to 9007199254740991 (2^53 - 1)", TASK_DAYS)


@pytest.mark.parametrize(("value", "tag"), [
    ("!!binary MQ==", "'!!binary'"), ("!!python/name:os.system", "'!!python/name:os.system'"),
    ("!days 30", "'!days'")])
def test_a_yaml_tag_in_a_parameter_is_refused(tmp_path: Path, value: str, tag: str) -> None:
    out = tmp_path / "reports"
    assert refused(audit(out, "--param", f"{WINDOW}={value}"), out) == (
        f"Error: Invalid value for '--param': '{WINDOW}': the YAML tag {tag} is not allowed: "
        "only plain data is read (text, numbers, true, false, null, lists and mappings), "
        "without tags.")


def test_every_day_parameter_is_bounded_like_the_flag() -> None:
    rules = load_rules()
    for rule in rules:
        for name, spec in rule.parameters.items():
            if name.endswith("_days"):
                assert spec["schema"]["maximum"] == 36_500, rule.id
                with pytest.raises(InputError, match="greater than the maximum of 36500"):
                    resolve_params(rules, {f"{rule.id}.{name}": 36_501})


def test_a_parameter_that_is_not_yaml_is_taken_as_text(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    param = "connection.admin_access_temporary.admin_profile=Admin: {Global"
    assert audit(out, "--param", param).exit_code == 0


# --- any value at all ----------------------------------------------------------------------

NUMBERS = st.one_of(
    st.integers(), st.floats(), st.sampled_from(["nan", "NaN", "inf", "-inf", "1e308", "1e-400",
                                                 "0x10", "1_000", "9" * 5000, "", " 5 ", "٣"]),
    st.text(max_size=12))
FLAG_VALUES = st.one_of(
    st.tuples(st.sampled_from(["--window-days", "--timeout", "--max-wait"]), NUMBERS.map(str)),
    st.tuples(st.just("--param"),
              st.tuples(st.sampled_from([MAX_SHARE, WINDOW, "attestation.fresh.max_age_days",
                                         "connection.admin_access_temporary.admin_profile"]),
                        st.one_of(NUMBERS.map(str), st.sampled_from(
                            [".nan", ".inf", "-.inf", "!!binary MQ==", "[1, 2]", "{a: 1}",
                             "'\\ud800'", '"\\ud800"', '"\\e"', "null", "true", "~"])))
              .map(lambda pair: f"{pair[0]}={pair[1]}")),
)


@settings(max_examples=150, deadline=timedelta(seconds=5))
@given(flags=st.lists(FLAG_VALUES, min_size=1, max_size=3))
def test_any_flag_value_audits_or_exits_2(flags: list[tuple[str, str]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "reports"
        result = audit(out, *(part for pair in flags for part in pair))
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exc_info)
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 1, 2), result.output
        assert out.exists() == (result.exit_code != 2), result.output
