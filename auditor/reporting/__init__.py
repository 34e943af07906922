"""Reporters: one jinja2 template per format over the results model (auditor/results.py)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from tabulate import tabulate

from auditor.reporting.filters import FILTERS

FORMATS = {"html": "report.html", "md": "report.md", "json": "report.json"}


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("auditor.reporting", "templates"),
        # Every value from a settings file or an API is escaped in HTML; Markdown
        # templates escape through the `md` filter instead.
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def render(results: dict[str, Any], fmt: str) -> str:
    """Render the results in one of FORMATS, using the template of the results' profile."""
    template = "report.json.j2" if fmt == "json" else f"{results['profile']}.{fmt}.j2"
    return _environment().get_template(template).render(results=results)


STATUS_ORDER = {"fail": 0, "unknown": 1, "waived": 2, "not_applicable": 3, "pass": 4}
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def render_summary_table(results: dict[str, Any], width: int = 72) -> str:
    """The short table printed on stdout: failures first, then by severity."""
    findings = sorted(
        results["findings"],
        key=lambda f: (STATUS_ORDER[f["status"]], SEVERITY_ORDER[f["severity"]]),
    )
    rows = [
        [f["status"].upper(), f["severity"], f["rule_id"], _shorten(f["message"], width)]
        for f in findings
    ]
    table = tabulate(rows, headers=["status", "severity", "rule", "message"], tablefmt="simple")
    counts = results["summary"]["by_status"]
    score = results["summary"]["score"]
    totals = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    return f"{table}\n\n{totals}; score {score if score is not None else 'n/a'}/100\n"


def _shorten(text: str, width: int) -> str:
    # Control characters from an API must not drive the user's terminal.
    flat = "".join(ch if ch.isprintable() else " " for ch in text)
    return flat if len(flat) <= width else flat[: width - 3] + "..."
