"""The notice a run posts when things got worse, and its three payloads (docs/notices.md).

A run notifies when it has failing findings new since the baseline, when its score fell
by at least the drop asked for, or when a source that was asked for could not be
collected. The notice names the workspace, the score and its change, the new failing
findings by severity and where the report is. Every text in it is redacted and has its
email addresses masked before any payload is made.
"""

from __future__ import annotations

from typing import Any

from auditor.documents.vocabulary import SEVERITIES
from auditor.safety.display import one_line
from auditor.safety.privacy import mask_emails
from auditor.safety.secrets import redact

LISTED = 5  # new findings named in a notice; the rest are counted
NOTICE_VERSION = 1


def notice_reasons(results: dict[str, Any], drop: int) -> list[str]:
    """Why this run should notify (empty: it should not)."""
    reasons = []
    new = _new_failures(results)
    if new:
        reasons.append(f"{len(new)} failing finding{'s' if len(new) != 1 else ''} new since "
                       "the last run")
    change = (results.get("since_baseline") or {}).get("score", {}).get("change")
    if change is not None and -change >= drop:
        reasons.append(f"the score fell by {-change} point{'s' if change != -1 else ''}")
    for source, entry in results["collection"].items():
        if entry.get("status") == "unavailable":
            reasons.append(f"{source.capitalize()} could not be collected")
    return reasons


def _new_failures(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in results["findings"]
            if f["status"] == "fail" and f.get("since_baseline") == "new"]


def _safe(text: object) -> str:
    return mask_emails(redact(one_line(str(text))))


def build_notice(results: dict[str, Any], reasons: list[str], report_at: str) -> dict[str, Any]:
    """The notice as plain data, every text in it safe to post."""
    score = results["summary"]["score"]
    change = (results.get("since_baseline") or {}).get("score", {}).get("change")
    new = _new_failures(results)
    by_severity = {level: [{"rule_id": f["rule_id"], "title": _safe(f["title"])}
                           for f in new if f["severity"] == level]
                   for level in SEVERITIES}
    workspace = (results["snapshot"].get("workspace")
                 or next((e["subject"]["name"] for e in results["collection"].values()
                          if "subject" in e), None))
    return {
        "notice_version": NOTICE_VERSION,
        "workspace": None if workspace is None else _safe(workspace),
        "score": score,
        "score_change": change,
        "reasons": [_safe(reason) for reason in reasons],
        "new_failures_by_severity": {level: found for level, found in by_severity.items()
                                     if found},
        "sources_unavailable": [source for source, e in results["collection"].items()
                                if e.get("status") == "unavailable"],
        "report": _safe(report_at),
        "generated_at": results["generated_at"],
    }


def notice_lines(notice: dict[str, Any]) -> tuple[str, list[str]]:
    """A title and the lines of the notice, as plain text."""
    workspace = notice["workspace"] or "an unnamed workspace"
    score = "n/a" if notice["score"] is None else f"{notice['score']}/100"
    change = notice["score_change"]
    title = f"Integration audit of {workspace}: {'; '.join(notice['reasons'])}"
    lines = [f"Score {score}" + ("" if change is None else f" ({change:+d} since the last run)")]
    for level, found in notice["new_failures_by_severity"].items():
        names = ", ".join(f["rule_id"] for f in found[:LISTED])
        more = f" and {len(found) - LISTED} more" if len(found) > LISTED else ""
        lines.append(f"New {level}: {len(found)} ({names}{more})")
    lines.append(f"Report: {notice['report']}")
    return title, lines


def slack_payload(notice: dict[str, Any]) -> dict[str, Any]:
    """Slack incoming webhook: `text` (the notification's fallback) and Block Kit blocks
    of plain_text, so nothing in a value is read as formatting or a mention."""
    title, lines = notice_lines(notice)
    plain = [title, *lines]
    return {
        "text": _slack_escaped("\n".join(plain)),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "text": {"type": "plain_text", "text": "\n".join(lines)[:3000]}},
        ],
    }


def _slack_escaped(text: str) -> str:
    # The three characters Slack's text formatting asks to be escaped as entities.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_payload(notice: dict[str, Any]) -> dict[str, Any]:
    """A Teams workflow ("When a Teams webhook request is received", posting a card):
    a message with one Adaptive Card attachment. Its texts are RichTextBlock runs, which
    read no Markdown, so a value cannot become a link or emphasis."""
    title, lines = notice_lines(notice)
    body = [_rich_text(title, weight="Bolder", size="Medium")]
    body += [_rich_text(line) for line in lines]
    return {
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": None,
            "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard", "version": "1.4", "body": body},
        }],
    }


def _rich_text(text: str, **style: str) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}]}


def json_payload(notice: dict[str, Any]) -> dict[str, Any]:
    """Any other webhook: the notice itself, with its text."""
    title, lines = notice_lines(notice)
    return {**notice, "text": "\n".join([title, *lines])}


PAYLOADS = {"slack": slack_payload, "teams": teams_payload, "json": json_payload}
