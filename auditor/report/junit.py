"""JUnit XML, for CI test views: one test case per rule, grouped by the guide's section.

fail -> <failure>; unknown -> <error> when unknown findings fail the run
(--fail-on-unknown), else <skipped>; not_applicable and waived -> <skipped> with why;
pass -> a plain test case.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from auditor.safety.display import one_line


def _text(value: Any) -> str:
    # Neutralised as every channel's text is; this also keeps out every character XML 1.0
    # cannot hold, even escaped (most C0 controls, U+FFFE, U+FFFF, lone surrogates).
    return one_line(str(value))


def render_junit(results: dict[str, Any]) -> str:
    errors_count = results.get("fail_on_unknown", False)
    suites = ElementTree.Element("testsuites", name=_text(results["tool"]["name"]))
    titles = {s["key"]: s["title"] for s in results["sections"]}
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for key, title in titles.items():
        findings = [f for f in results["findings"] if f["section"] == key]
        suite = ElementTree.SubElement(suites, "testsuite", name=_text(title),
                                       timestamp=results["generated_at"].removesuffix("Z"))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for finding in findings:
            counts["tests"] += 1
            outcome = _case(suite, finding, unknown_is_error=bool(errors_count))
            if outcome:
                counts[outcome] += 1
        for name, count in counts.items():
            suite.set(name, str(count))
            totals[name] += count
    for name, count in totals.items():
        suites.set(name, str(count))
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _case(suite: ElementTree.Element, finding: dict[str, Any], *,
          unknown_is_error: bool) -> str | None:
    """Add the rule's test case; say which count it adds to, if any."""
    case = ElementTree.SubElement(suite, "testcase", name=_text(finding["rule_id"]),
                                  classname=_text(f"{finding['section']}.{finding['severity']}"))
    status, message = finding["status"], _text(finding["message"])
    if status == "fail":
        failure = ElementTree.SubElement(case, "failure", message=message,
                                         type=finding["severity"])
        failure.text = _text(finding["remediation"])
        return "failures"
    if status == "unknown" and unknown_is_error:
        ElementTree.SubElement(case, "error", message=message, type="unknown").text = message
        return "errors"
    if status in ("unknown", "not_applicable", "waived"):
        ElementTree.SubElement(case, "skipped", message=_skip_reason(finding))
        return "skipped"
    return None


def _skip_reason(finding: dict[str, Any]) -> str:
    waiver = finding.get("waiver")
    if finding["status"] == "waived" and waiver:
        return _text(f"waived: {waiver['reason']} (approved by {waiver['approved_by']}, "
                     f"expires {waiver['expires']})")
    return _text(finding["message"])
