"""--notify: post the run's notice to each webhook (docs/notices.md).

A webhook's address is a secret: it is registered with the redactor as soon as it is
read, and only its kind and host are ever shown. A notice that cannot be posted is a
warning on stderr; it never changes the exit code.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import click

from auditor.documents.errors import InputError
from auditor.safety.display import one_line
from auditor.safety.secrets import redact_data, register

KINDS = ("slack", "teams", "json")
TIMEOUT = 10.0  # seconds for one post: a notice never holds up a nightly job for long
# Hosts whose webhooks take their own payload when the address names no kind.
_SLACK_HOSTS = ("hooks.slack.com",)
_TEAMS_HOST_ENDINGS = (".logic.azure.com", ".api.powerplatform.com")


class Webhook(NamedTuple):
    kind: str
    url: str
    shown: str  # the kind and the host: the rest of the address is secret


def parse_webhook(value: str, env: Mapping[str, str]) -> Webhook:
    """A --notify value: an https:// address, optionally prefixed with its kind
    (slack+https://, teams+https://, json+https://), or $NAME for an environment
    variable holding one."""
    text, origin = value.strip(), "--notify"
    if text.startswith("$"):
        name = text[1:]
        text, origin = env.get(name, "").strip(), f"--notify ${name}"
        if not text:
            raise InputError(f"{origin}: the environment variable {name} is not set or empty; "
                             "set it to the webhook's address.")
    kind = next((k for k in KINDS if text.startswith(f"{k}+")), None)
    url = text[len(kind) + 1:] if kind else text
    parts = urlsplit(url)
    register(url, parts.path + (f"?{parts.query}" if parts.query else ""))
    if parts.scheme != "https" or not parts.hostname:
        # The value is not repeated: it may be a webhook's secret address, mistyped.
        raise InputError(f"{origin}: expected an https:// address of a webhook, optionally "
                         "prefixed slack+, teams+ or json+ (docs/notices.md).")
    host = parts.hostname
    kind = kind or ("slack" if host in _SLACK_HOSTS else
                    "teams" if host.endswith(_TEAMS_HOST_ENDINGS) else "json")
    return Webhook(kind, url, f"{kind} webhook at {host}")


def report_location(written: Iterable[Path], env: Mapping[str, str]) -> str:
    """Where a person finds the report: the CI run's page when the job runs in GitHub
    Actions or GitLab CI (their documented variables), else the report file itself."""
    if all(env.get(name) for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY",
                                      "GITHUB_RUN_ID")):
        return (f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/"
                f"{env['GITHUB_RUN_ID']}")
    if env.get("CI_JOB_URL"):
        return env["CI_JOB_URL"]
    files = sorted(written, key=lambda path: path.suffix != ".html")
    return str(files[0].resolve()) if files else "not written"


def post_notices(webhooks: list[Webhook], results: dict[str, Any], drop: int,
                 report_at: str) -> None:
    """Post one notice to each webhook when the run warrants one."""
    from auditor.report.notice import PAYLOADS, build_notice, notice_reasons

    reasons = notice_reasons(results, drop)
    if not webhooks or not reasons:
        return
    notice = build_notice(results, reasons, report_at)
    import httpx  # here: only a run that posts a notice needs it

    from auditor.collect.tls import trusted_context

    try:
        verify = trusted_context(os.environ)
    except InputError as exc:
        _warn("every webhook", str(exc))
        return
    with httpx.Client(verify=verify, timeout=TIMEOUT, follow_redirects=False) as client:
        for hook in webhooks:
            payload = redact_data(PAYLOADS[hook.kind](notice))
            try:
                response = client.post(hook.url, json=payload)
            except httpx.HTTPError as exc:
                _warn(hook.shown, f"{type(exc).__name__}: {exc}")
                continue
            if not 200 <= response.status_code < 300:
                _warn(hook.shown, f"HTTP {response.status_code} {response.text[:200]}")
            else:
                click.echo(f"notice posted to the {hook.shown}")


def _warn(where: str, problem: str) -> None:
    click.echo(f"warning: the notice to the {where} was not delivered ({one_line(problem)}); "
               "the exit code is unchanged.", err=True)
