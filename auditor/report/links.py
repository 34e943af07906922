"""Links in the human reports: a rule's references, and "see RULE_ID" in a message or
remediation pointing at that rule's finding (id="finding-RULE_ID") in the same report.

Every value here may come from a user's rule file, so a reference's address becomes a
link only when it is a plain https:// address, and its text is escaped like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape

from auditor.report.filters import MdSafe, md
from auditor.safety.addresses import https_url

_RULE_ID = r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*"
# "see api_usage.limit_set", "see rule cases.activities_enabled", "(see `connection.x`)";
# in HTML the backticks have already become <code>.
_HTML_MENTION = re.compile(rf"\b(see (?:rule )?)(<code>({_RULE_ID})</code>|({_RULE_ID}))")
_MD_MENTION = re.compile(rf"\b(see (?:rule )?)(`({_RULE_ID})`|({_RULE_ID}))")


def _finding_ids(results: dict[str, Any]) -> set[str]:
    return {finding["rule_id"] for finding in results["findings"]}


def _linker(ids: set[str], link: Callable[[str, str], str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        rule_id = match.group(3) or match.group(4)
        # A rule that is not in this report (filtered out) keeps its plain mention.
        return match.group(1) + link(match.group(2), rule_id) if rule_id in ids else match.group(0)
    return replace


def html_rule_links(text: Any, results: dict[str, Any]) -> Markup:
    """Escaped HTML (as code_spans gives) with each "see RULE_ID" linked to its finding
    among the results'."""
    replace = _linker(_finding_ids(results),
                      lambda shown, rule_id: f'<a href="#finding-{rule_id}">{shown}</a>')
    return Markup(_HTML_MENTION.sub(replace, str(escape(text))))


def md_rule_links(text: Any, results: dict[str, Any]) -> MdSafe:
    """The text escaped for Markdown, with each "see RULE_ID" linked to its finding among
    the results'."""
    replace = _linker(_finding_ids(results),
                      lambda shown, rule_id: f"[{shown}](#finding-{rule_id})")
    return MdSafe(_MD_MENTION.sub(replace, md(text)))


def md_reference(reference: dict[str, Any]) -> MdSafe:
    """A reference as a Markdown link (escaped title, <https address>), or its title alone."""
    title = md(reference["title"])
    url = https_url(reference.get("url"))
    # The angle brackets let the address hold parentheses; https_url admits no < or >.
    return MdSafe(f"[{title}](<{url}>)" if url else title)


LINK_FILTERS: dict[str, Callable[..., Any]] = {
    "https_url": https_url,
    "html_rule_links": html_rule_links,
    "md_rule_links": md_rule_links,
    "md_reference": md_reference,
}
