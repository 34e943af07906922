"""Reporters: one jinja2 template per format over the results model (auditor/report/results.py)."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from tabulate import tabulate

from auditor.documents.display import one_line
from auditor.engine.catalogue import SEVERITIES
from auditor.report.filters import FILTERS, TESTS, html_finalize, md
from auditor.report.junit import render_junit
from auditor.report.run_settings import RUN_FILTERS
from auditor.report.sarif import render_sarif
from auditor.report.sources import SOURCE_FILTERS

FORMATS = {"html": "report.html", "md": "report.md", "json": "report.json",
           "sarif": "report.sarif", "junit": "report.junit.xml"}
# Written when no --format is given: the human reports and the stable machine one.
DEFAULT_FORMATS = ("html", "md", "json")

STATUS_LABELS = {
    "pass": "Pass",
    "fail": "Fail",
    "unknown": "Unknown",
    "not_applicable": "Not applicable",
    "waived": "Waived",
}
SOURCE_LABELS = {"salesforce": "Salesforce", "intercom": "Intercom", "settings": "settings file"}
SUBJECT_LABELS = {"salesforce": "Salesforce org", "intercom": "Intercom workspace"}


def _is_html(name: str | None) -> bool:
    # Fail closed: anything that is not known to be Markdown or JSON is escaped as HTML.
    # (select_autoescape(["html"]) would miss "audit.html.j2", which ends in ".j2".)
    return name is None or not name.endswith((".md.j2", ".json.j2"))


def _md_finalize(value: Any) -> Any:
    # Markdown's autoescape: every {{ value }} goes through `md` unless a filter already
    # made it safe (md, md_code, md_json_block).
    return md(value)


@cache
def _environment(kind: str) -> Environment:
    """One environment per escaping regime: "html", "md" or "plain" (JSON)."""
    options: dict[str, Any] = {}
    if kind == "md":
        options["finalize"] = _md_finalize
    elif kind == "html":
        options["finalize"] = html_finalize  # invisible characters shown as <U+202E>
    env = Environment(
        loader=PackageLoader("auditor.report", "templates"),
        autoescape=_is_html if kind == "html" else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **options,
    )
    env.filters.update(FILTERS)
    env.filters.update(SOURCE_FILTERS)
    env.filters.update(RUN_FILTERS)
    env.tests.update(TESTS)
    env.globals.update(
        status_labels=STATUS_LABELS,
        subject_labels=SUBJECT_LABELS,
        source_labels=SOURCE_LABELS,
        severities=SEVERITIES,
    )
    return env


@cache
def _stylesheet() -> tuple[Markup, str]:
    """The reports' CSS and its CSP hash: only this exact stylesheet may apply."""
    css = resources.files("auditor.report").joinpath("templates/report.css")
    text = css.read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"'sha256-{digest}'"


def render(results: dict[str, Any], fmt: str) -> str:
    """Render the results in one of FORMATS, using the template of the results' profile."""
    if fmt == "json":
        return _environment("plain").get_template("report.json.j2").render(results=results)
    if fmt == "sarif":
        return render_sarif(results)
    if fmt == "junit":
        return render_junit(results)
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    template = f"{results['profile']}.{fmt}.j2"
    context: dict[str, Any] = {"results": results}
    if fmt == "html":
        context["stylesheet"], context["style_hash"] = _stylesheet()
    return _environment(fmt).get_template(template).render(**context)


def render_rollup(rollup: dict[str, Any], fmt: str) -> str:
    """The fleet roll-up (see auditor/cli/fleet.py) as index.html, index.md or index.json."""
    if fmt == "json":
        return json.dumps(rollup, indent=2, ensure_ascii=False) + "\n"
    context: dict[str, Any] = {"results": rollup}
    if fmt == "html":
        context["stylesheet"], context["style_hash"] = _stylesheet()
    return _environment(fmt).get_template(f"fleet.{fmt}.j2").render(**context)


STATUS_ORDER = {"fail": 0, "unknown": 1, "waived": 2, "not_applicable": 3, "pass": 4}
SEVERITY_ORDER = {severity: index for index, severity in enumerate(SEVERITIES)}


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
    sources = "".join(f"{line}\n" for line in _source_lines(results["collection"]))
    return f"{table}\n\n{sources}{totals}; score {score if score is not None else 'n/a'}/100\n"


def _source_lines(collection: dict[str, Any]) -> list[str]:
    """One line for each source that was not fully collected, so a CI log says so."""
    lines = []
    for source, info in collection.items():
        status = info.get("status", "not collected")
        if status == "partial":
            names = ", ".join(item["item"] for item in info.get("unavailable_items", []))
            lines.append(f"{SOURCE_LABELS[source]}: partial; unavailable: {names}")
        elif status != "collected":
            lines.append(_shorten(f"{SOURCE_LABELS[source]}: {status}: {info.get('reason', '')}",
                                  200))
    return lines


def _shorten(text: str, width: int) -> str:
    # Control characters from an API must not drive the user's terminal, nor invisible
    # ones hide from the user.
    flat = one_line(text)
    return flat if len(flat) <= width else flat[: width - 3] + "..."
