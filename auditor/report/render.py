"""Reporters: one jinja2 template per format over the results model (auditor/report/results.py)."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from auditor.engine.catalogue import SEVERITIES
from auditor.report.filters import FILTERS, TESTS, capped_evidence, html_finalize, md
from auditor.report.links import LINK_FILTERS
from auditor.report.run_settings import RUN_FILTERS
from auditor.report.sources import SOURCE_FILTERS
from auditor.report.terminal import render_summary_table as render_summary_table
from auditor.report.values import VALUE_FILTERS, VALUE_TESTS

if TYPE_CHECKING:  # jinja2 is imported when a report is rendered: it is slow to import
    from jinja2 import Environment

from auditor.documents.plain_data import json_text
from auditor.documents.vocabulary import DEFAULT_FORMATS as DEFAULT_FORMATS  # re-exported
from auditor.documents.vocabulary import FORMATS as FORMATS  # re-exported

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
    # Fail closed: anything that is not known to be Markdown is escaped as HTML.
    # (select_autoescape(["html"]) would miss "audit.html.j2", which ends in ".j2".)
    return name is None or not name.endswith(".md.j2")


def _md_finalize(value: Any) -> Any:
    # Markdown's autoescape: every {{ value }} goes through `md` unless a filter already
    # made it safe (md, md_code, md_evidence).
    return md(value)


@cache
def _environment(kind: str) -> Environment:
    """One environment per escaping regime: "html" or "md"; cached, so each template is
    compiled once per run however many reports use it."""
    from jinja2 import PackageLoader, StrictUndefined

    from auditor.report.environment import ReportEnvironment
    from auditor.safety.run_cache import template_cache

    env = ReportEnvironment(
        loader=PackageLoader("auditor.report", "templates"),
        bytecode_cache=template_cache(f"report-{kind}"),
        autoescape=_is_html if kind == "html" else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # HTML: invisible characters shown as <U+202E>.
        finalize=_md_finalize if kind == "md" else html_finalize,
    )
    env.filters.update(FILTERS)
    env.filters.update(SOURCE_FILTERS)
    env.filters.update(VALUE_FILTERS)
    env.filters.update(RUN_FILTERS)
    env.filters.update(LINK_FILTERS)
    env.tests.update(TESTS)
    env.tests.update(VALUE_TESTS)
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
        return json_text(results)
    if fmt == "sarif":
        from auditor.report.sarif import render_sarif  # imported only when asked for

        return render_sarif(results)
    if fmt == "codequality":
        from auditor.report.codequality import render_codequality

        return render_codequality(results)
    if fmt == "junit":
        from auditor.report.junit import render_junit  # xml.etree: slow to import

        return render_junit(results)
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    template = f"{results['profile']}.{fmt}.j2"
    context: dict[str, Any] = {"results": _for_people(results)}
    if fmt == "html":
        context["stylesheet"], context["style_hash"] = _stylesheet()
    return _environment(fmt).get_template(template).render(**context)


def _for_people(results: dict[str, Any]) -> dict[str, Any]:
    """The results with each long evidence list cut to its first rows (see ROWS_SHOWN),
    for the reports people read; the JSON report keeps every row."""
    findings = [{**f, "evidence": capped_evidence(f["evidence"])} if "evidence" in f else f
                for f in results["findings"]]
    return {**results, "findings": findings}


def render_rollup(rollup: dict[str, Any], fmt: str) -> str:
    """The fleet roll-up (see auditor/cli/fleet_run.py) as index.html, index.md or index.json."""
    return _render_page("fleet", rollup, fmt)


def render_trend(trend: dict[str, Any], fmt: str) -> str:
    """The trend over past runs (auditor/report/trend.py) as trend.html, .md or .json."""
    return _render_page("trend", trend, fmt)


def _render_page(template: str, model: dict[str, Any], fmt: str) -> str:
    """A model other than one audit's results, through its own template of the format."""
    if fmt == "json":
        return json_text(model)
    context: dict[str, Any] = {"results": model}
    if fmt == "html":
        context["stylesheet"], context["style_hash"] = _stylesheet()
    return _environment(fmt).get_template(f"{template}.{fmt}.j2").render(**context)
