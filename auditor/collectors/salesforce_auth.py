"""Signing in to Salesforce through simple-salesforce, the four ways, in order of precedence.

1. --sf-target-org ALIAS: reuse a Salesforce CLI login (`sf org display --json`).
2. SF_INSTANCE_URL + SF_ACCESS_TOKEN.
3. SF_USERNAME + SF_PASSWORD + SF_SECURITY_TOKEN (+ SF_DOMAIN, default `login`).
4. JWT bearer: SF_USERNAME + SF_CONSUMER_KEY + SF_PRIVATE_KEY_FILE (+ SF_DOMAIN).

Whatever the way, the result is an access token for an instance; every secret met on
the way is remembered so that messages can be scrubbed of it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin

from auditor.collectors import SourceUnavailable
from auditor.errors import InputError

DEFAULT_API_VERSION = "62.0"
_SF_CLI_TIMEOUT = 120.0  # the CLI is a Node program; a cold start can take a while
_NO_CREDENTIALS = (
    "No Salesforce credentials are configured. Use one of: --sf-target-org ALIAS (a "
    "Salesforce CLI login); SF_INSTANCE_URL and SF_ACCESS_TOKEN; SF_USERNAME, SF_PASSWORD and "
    "SF_SECURITY_TOKEN (with SF_DOMAIN=test for a sandbox); or SF_USERNAME, SF_CONSUMER_KEY "
    "and SF_PRIVATE_KEY_FILE (JWT). Or leave Salesforce out with --no-salesforce."
)


class Redactor:
    """Replaces every secret of a session in a text, so no message can leak one."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        # Longest first, so a password+token pair goes before its parts.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text


@dataclass(frozen=True)
class Session:
    client: Salesforce
    instance_url: str
    api_version: str
    redact: Redactor
    renew_hint: str  # what to do when Salesforce rejects the access token


class _Transport(HTTPAdapter):
    """Applies --timeout and the CA bundle of `env` to every request, logins included.

    simple-salesforce passes neither to its login calls, and requests would otherwise
    let the process environment's CA bundle win over the one the caller gave.
    """

    def __init__(self, timeout: float, ca_bundle: str | None) -> None:
        super().__init__()
        self.timeout = timeout
        self.ca_bundle = ca_bundle

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
             ) -> requests.Response:
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        if self.ca_bundle:
            kwargs["verify"] = self.ca_bundle
        return super().send(request, *args, **kwargs)


def api_version(env: Mapping[str, str]) -> str:
    version = env.get("SF_API_VERSION") or DEFAULT_API_VERSION
    if not re.fullmatch(r"\d{2,3}\.0", version):
        raise InputError(f"SF_API_VERSION is {version!r}; expected a Salesforce API version "
                         f"such as {DEFAULT_API_VERSION} (no leading v).")
    return version


def open_session(target_org: str | None, env: Mapping[str, str], timeout: float) -> Session:
    version = api_version(env)
    http = requests.Session()
    adapter = _Transport(timeout, env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE"))
    http.mount("https://", adapter)
    http.mount("http://", adapter)
    token, instance_url, secrets, hint = _sign_in(target_org, env, http, version)
    client = Salesforce(instance_url=instance_url, session_id=token, version=version,
                        session=http)
    return Session(client, instance_url, version, Redactor((token, *secrets)), hint)


def _sign_in(target_org: str | None, env: Mapping[str, str], http: requests.Session,
             version: str) -> tuple[str, str, tuple[str, ...], str]:
    """(access token, instance URL, other secrets, renewal hint) by the first way configured."""
    if target_org:
        token, url = _from_sf_cli(target_org, env)
        return token, url, (), (f"log in again with `sf org login web --alias {target_org}`, "
                                "then collect again")
    if _present(env, "SF_INSTANCE_URL", "SF_ACCESS_TOKEN"):
        url = env["SF_INSTANCE_URL"].rstrip("/")
        if not url.startswith("https://"):
            raise InputError(f"SF_INSTANCE_URL is {url!r}; expected the org's https:// address, "
                             "such as https://acme.my.salesforce.com.")
        return env["SF_ACCESS_TOKEN"], url, (), (
            "set SF_ACCESS_TOKEN to a fresh token (for example the accessToken that "
            "`sf org display --json --target-org ALIAS` prints), or use --sf-target-org ALIAS, "
            "which renews it for you")
    domain = env.get("SF_DOMAIN") or "login"
    if not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        raise InputError(f"SF_DOMAIN is {domain!r}; expected login, test, or a My Domain "
                         "prefix such as acme.my (without .salesforce.com).")
    hint = "check that the user is still active and API Enabled, then collect again"
    if _present(env, "SF_USERNAME", "SF_PASSWORD") and "SF_SECURITY_TOKEN" in env:
        password, security = env["SF_PASSWORD"], env["SF_SECURITY_TOKEN"]
        token, url = _login(http, domain, "SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN "
                            "(Settings > Reset My Security Token mails a new one)",
                            username=env["SF_USERNAME"], password=password,
                            security_token=security, sf_version=version)
        return token, url, (password, security, password + security), hint
    if _present(env, "SF_USERNAME", "SF_CONSUMER_KEY", "SF_PRIVATE_KEY_FILE"):
        key = _private_key(env["SF_PRIVATE_KEY_FILE"])
        token, url = _login(http, domain, "SF_USERNAME, SF_CONSUMER_KEY, and that the connected "
                            "app holds the certificate of SF_PRIVATE_KEY_FILE and pre-authorizes "
                            "the user", username=env["SF_USERNAME"],
                            consumer_key=env["SF_CONSUMER_KEY"], privatekey=key)
        return token, url, (key,), hint
    found = sorted(name for name in env if name.startswith("SF_"))
    raise InputError(_NO_CREDENTIALS + (f" Found only: {', '.join(found)}." if found else ""))


def _present(env: Mapping[str, str], *names: str) -> bool:
    return all(env.get(name) for name in names)


def _login(http: requests.Session, domain: str, what_to_check: str, **credentials: Any
           ) -> tuple[str, str]:
    where = f"https://{domain}.salesforce.com"
    redact = Redactor(tuple(credentials.get(k) or "" for k in ("password", "security_token",
                                                                 "privatekey")))
    try:
        token, instance = SalesforceLogin(session=http, domain=domain, **credentials)
    except SalesforceAuthenticationFailed as exc:
        raise SourceUnavailable(redact(
            f"Salesforce refused the login at {where} ({exc.code}: {exc.auth_message}). Check "
            f"{what_to_check}; for a sandbox set SF_DOMAIN=test.")) from None
    except jwt.PyJWTError:  # only the JWT way signs anything
        raise InputError("SF_PRIVATE_KEY_FILE does not hold an RSA private key in PEM "
                         "format.") from None
    except requests.RequestException as exc:
        raise SourceUnavailable(f"Could not log in at {where}: {type(exc).__name__}. Check the "
                                "network, HTTPS_PROXY, and REQUESTS_CA_BUNDLE behind a "
                                "TLS-inspecting proxy.") from None
    return str(token), f"https://{instance}"


def _private_key(path: str) -> str:
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not a text (PEM) file"
        raise InputError(f"SF_PRIVATE_KEY_FILE cannot be read: {reason}.", file=path) from None


def _from_sf_cli(alias: str, env: Mapping[str, str]) -> tuple[str, str]:
    sf = shutil.which("sf", path=env.get("PATH"))
    if sf is None:
        raise InputError("--sf-target-org needs the Salesforce CLI, but `sf` is not installed "
                         "or not on PATH. Install it (npm install --global @salesforce/cli), or "
                         "set SF_INSTANCE_URL and SF_ACCESS_TOKEN instead.")
    command = [sf, "org", "display", "--json", "--target-org", alias]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=dict(env),
                              timeout=_SF_CLI_TIMEOUT, check=False)
        answer = json.loads(done.stdout)
    except subprocess.TimeoutExpired:
        raise InputError(f"`sf org display --target-org {alias}` did not finish within "
                         f"{_SF_CLI_TIMEOUT:g} s.") from None
    except (OSError, json.JSONDecodeError):
        raise InputError(f"`sf org display --json --target-org {alias}` did not print JSON; "
                         "check that `sf` is the Salesforce CLI.") from None
    result = answer.get("result") if isinstance(answer, dict) else None
    if done.returncode != 0 or not isinstance(result, dict):
        message = answer.get("message", "no details") if isinstance(answer, dict) else ""
        raise InputError(f"`sf org display --target-org {alias}` failed: {message} Log in with "
                         f"`sf org login web --alias {alias}`, or list logins with `sf org list`.")
    token, url = result.get("accessToken"), result.get("instanceUrl")
    if not (isinstance(token, str) and isinstance(url, str) and token and url):
        raise InputError(f"`sf org display --target-org {alias}` printed no accessToken and "
                         "instanceUrl; log in again with `sf org login web`.")
    return token, url.rstrip("/")
