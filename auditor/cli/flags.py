"""Types of the command line's flags: every value bounded and plain, so that no flag
reaches the tool as NaN, infinity, a YAML tag, or a number of days no date can hold."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import click

from auditor.documents.errors import InputError

# 100 years back from any date the tool accepts (1900 at the earliest) is still a date;
# the rules' window_days parameters have the same bound.
WINDOW_DAYS_MAX = 36_500
# An hour: longer than any API answer or rate-limit pause worth waiting for.
SECONDS_MAX = 3_600


class FiniteFloatRange(click.FloatRange):
    """click's FloatRange, refusing NaN and infinity: NaN compares false with every
    bound, so the range alone would let it through."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{number} is not a finite number; expected a number in the range "
                      f"{self._describe_range()}.", param, ctx)
        return super().convert(number, param, ctx)


if TYPE_CHECKING:
    _OverrideBase = click.ParamType[tuple[str, Any]]
else:  # click's ParamType is generic from 8.4 on (pallets/click#3371)
    _OverrideBase = click.ParamType


class _Assignment(_OverrideBase):
    """NAME=VALUE flags; a value already converted (from a config file) passes as it is."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[str, Any]:
        from auditor.documents.load import quoted

        if isinstance(value, tuple):
            return value
        key, sep, text = str(value).partition("=")
        # Without "=" neither half means anything: the problem says what was expected.
        problem = self.problem(key, text) if sep else self.problem("", "")
        if problem:
            self.fail(f"{quoted(str(value))}: {problem}", param, ctx)
        try:
            return key, self.read(text)
        except InputError as exc:
            self.fail(f"{quoted(key)}: {exc.problem}", param, ctx)

    def problem(self, key: str, text: str) -> str | None:
        raise NotImplementedError

    def read(self, text: str) -> Any:
        return text


class ParamOverride(_Assignment):
    """RULE_ID.NAME=VALUE, the value read as YAML plain data (25000, 0.5, true, text).

    Whether the value suits the parameter is checked with the rules, in resolve_params.
    """

    name = "RULE_ID.NAME=VALUE"

    def problem(self, key: str, text: str) -> str | None:
        return None if "." in key else ("expected RULE_ID.NAME=VALUE, for example "
                                        "api_usage.limit_recommended.recommended=25000.")

    def read(self, text: str) -> Any:
        from auditor.documents.load import parse_flag_value

        return parse_flag_value(text)


class SeverityOverride(_Assignment):
    """RULE_ID=SEVERITY: the rule is judged at another severity this run."""

    name = "RULE_ID=SEVERITY"
    levels = ("critical", "high", "medium", "low", "info")

    def problem(self, key: str, text: str) -> str | None:
        return None if text in self.levels else (
            f"expected RULE_ID=SEVERITY with a severity of {', '.join(self.levels)}, for "
            "example cases.case_owner=info.")
