"""Signing in to Salesforce through simple-salesforce, the four ways, in order of precedence.

1. --sf-target-org ALIAS: reuse a Salesforce CLI login (`sf org display --json`).
2. SF_INSTANCE_URL + SF_ACCESS_TOKEN.
3. SF_USERNAME + SF_PASSWORD + SF_SECURITY_TOKEN (+ SF_DOMAIN, default `login`): SOAP
   login(), which Salesforce is retiring; it is pinned to API 64.0 at the most.
4. JWT bearer: SF_USERNAME + SF_CONSUMER_KEY + SF_PRIVATE_KEY_FILE (+ SF_DOMAIN).

Whatever the way, the result is an access token for an instance, and whatever signing
in told about the user it belongs to. Every secret met on the way is remembered, by the
session and by the process (auditor.safety.secrets), so that no message and no output can
carry it, in any form. Local credentials that cannot work (a key file that is
not an unencrypted RSA private key, a CLI answer that is not the JSON it should be) are
InputError before any request; a login answer of the wrong shape is SourceUnavailable.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin

from auditor.collect import SourceUnavailable
from auditor.collect.salesforce.evidence import Identity
from auditor.collect.salesforce.keys import private_key
from auditor.collect.salesforce.queries import SALESFORCE_ID
from auditor.collect.salesforce.transport import Transport
from auditor.documents.errors import InputError
from auditor.safety.secrets import Redactor, private_key_parts, register
from auditor.safety.slots import shape

DEFAULT_API_VERSION = "62.0"
# SOAP login() is not available from API 65.0 on (it is retired in Summer '27).
SOAP_LOGIN_VERSION_MAX = "64.0"
# What an access token may hold: the org Id, "!", then URL-safe characters.
_TOKEN = re.compile(r"[A-Za-z0-9!._~+/=-]{16,}")
_SF_CLI_TIMEOUT = 120.0  # the CLI is a Node program; a cold start can take a while
_HOST = re.compile(r"[A-Za-z0-9.-]+(?::\d{1,5})?")
_NO_CREDENTIALS = (
    "No Salesforce credentials are configured. Use one of: --sf-target-org ALIAS (a "
    "Salesforce CLI login); SF_INSTANCE_URL and SF_ACCESS_TOKEN; SF_USERNAME, SF_CONSUMER_KEY "
    "and SF_PRIVATE_KEY_FILE (JWT); or SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN (with "
    "SF_DOMAIN=test for a sandbox). Or leave Salesforce out with --no-salesforce."
)


@dataclass(frozen=True)
class Session:
    instance_url: str
    api_version: str
    redact: Redactor
    renew_hint: str  # what to do when Salesforce rejects the access token
    identity: Identity  # who signed in, as far as signing in told
    new_client: Callable[[], Salesforce]  # one per thread: requests.Session is not shared


def api_version(env: Mapping[str, str]) -> str:
    version = env.get("SF_API_VERSION") or DEFAULT_API_VERSION
    if not re.fullmatch(r"\d{2,3}\.0", version):
        raise InputError(f"SF_API_VERSION {shape(version)}; expected a Salesforce API version "
                         f"such as {DEFAULT_API_VERSION} (no leading v).")
    return version


def soap_login_version(version: str) -> str:
    return min(version, SOAP_LOGIN_VERSION_MAX, key=float)


def open_session(target_org: str | None, env: Mapping[str, str], timeout: float,
                 adapter: HTTPAdapter | None = None) -> Session:
    """Sign in. `adapter`, when given, carries every request instead of HTTPS (tests)."""
    version = api_version(env)
    ca_bundle = env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE")

    def http() -> requests.Session:
        session = requests.Session()
        transport = adapter or Transport(timeout, ca_bundle)
        session.mount("https://", transport)
        session.mount("http://", transport)
        return session

    signed = _sign_in(target_org, env, http, version)
    register(signed.token, *signed.secrets)  # whatever the auditor writes from now on

    def new_client() -> Salesforce:
        return Salesforce(instance_url=signed.instance_url, session_id=signed.token,
                          version=version, session=http())

    return Session(signed.instance_url, version, Redactor((signed.token, *signed.secrets)),
                   signed.renew_hint, signed.identity, new_client)


@dataclass(frozen=True)
class _SignedIn:
    token: str
    instance_url: str
    secrets: tuple[str, ...]
    renew_hint: str
    identity: Identity


def _sign_in(target_org: str | None, env: Mapping[str, str],
             http: Callable[[], requests.Session], version: str) -> _SignedIn:
    """The access token and what came with it, by the first way configured."""
    if target_org:
        token, url, username = _from_sf_cli(target_org, env)
        return _SignedIn(token, url, (), f"log in again with `sf org login web --alias "
                                         f"{target_org}`, then collect again",
                         Identity(username=username))
    if _present(env, "SF_INSTANCE_URL", "SF_ACCESS_TOKEN"):
        url = env["SF_INSTANCE_URL"].rstrip("/")
        if not url.startswith("https://") or not _HOST.fullmatch(url.removeprefix("https://")):
            raise InputError(f"SF_INSTANCE_URL {shape(url)}; expected the org's https:// address "
                             "with no user name or password in it, such as "
                             "https://acme.my.salesforce.com (the access token goes in "
                             "SF_ACCESS_TOKEN).")
        return _SignedIn(env["SF_ACCESS_TOKEN"], url, (), (
            "set SF_ACCESS_TOKEN to a fresh token (for example the accessToken that "
            "`sf org display --json --target-org ALIAS` prints), or use --sf-target-org ALIAS, "
            "which renews it for you"), Identity())
    domain = env.get("SF_DOMAIN") or "login"
    if not re.fullmatch(r"[A-Za-z0-9.-]+", domain):
        raise InputError(f"SF_DOMAIN {shape(domain)}; expected login, test, or a My Domain "
                         "prefix such as acme.my (without .salesforce.com).")
    hint = "check that the user is still active and API Enabled, then collect again"
    if _present(env, "SF_USERNAME", "SF_PASSWORD") and "SF_SECURITY_TOKEN" in env:
        username, password, security = (env["SF_USERNAME"], env["SF_PASSWORD"],
                                         env["SF_SECURITY_TOKEN"])
        # SOAP login sends the two as one value, which a fault may echo whole.
        secrets: tuple[str, ...] = (password, security, password + security)
        login = _login(http, domain, "SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN "
                       "(Settings > Reset My Security Token mails a new one)", secrets,
                       username=username, password=password, security_token=security,
                       sf_version=soap_login_version(version))
        return _SignedIn(login.token, login.instance_url, secrets, hint,
                         Identity(_soap_user_id(login.answer), username))
    if _present(env, "SF_USERNAME", "SF_CONSUMER_KEY", "SF_PRIVATE_KEY_FILE"):
        key = private_key(env["SF_PRIVATE_KEY_FILE"])  # checked before any request
        # The consumer key counts as a secret: Salesforce shows it only to a viewer who
        # has verified their identity (docs/salesforce.md).
        secrets = (env["SF_CONSUMER_KEY"], *private_key_parts(key))
        login = _login(http, domain, "SF_USERNAME, SF_CONSUMER_KEY, and that the connected "
                       "app holds the certificate of SF_PRIVATE_KEY_FILE and pre-authorizes "
                       "the user", secrets, username=env["SF_USERNAME"],
                       consumer_key=env["SF_CONSUMER_KEY"], privatekey=key)
        return _SignedIn(login.token, login.instance_url, secrets, hint,
                         Identity(_identity_url_user(login.answer), env["SF_USERNAME"]))
    found = sorted(name for name in env if name.startswith("SF_"))
    raise InputError(_NO_CREDENTIALS + (f" Found only: {', '.join(found)}." if found else ""))


def _present(env: Mapping[str, str], *names: str) -> bool:
    return all(env.get(name) for name in names)


@dataclass(frozen=True)
class _Login:
    token: str
    instance_url: str
    answer: str  # the login answer's body, for what it says about the user


def _login(http: Callable[[], requests.Session], domain: str, what_to_check: str,
           secrets: tuple[str, ...], **credentials: Any) -> _Login:
    where = f"https://{domain}.salesforce.com"
    register(*secrets)  # before anything is sent: a bug mid-login is covered too
    redact = Redactor(secrets)
    answers: list[requests.Response] = []
    with http() as session:
        session.hooks["response"].append(lambda response, *_, **__: answers.append(response))
        try:
            token, instance = SalesforceLogin(session=session, domain=domain, **credentials)
        except SalesforceAuthenticationFailed as exc:
            if exc.code == "UNKNOWN_EXCEPTION_CODE":  # XML, but no session and no fault in it
                raise SourceUnavailable(_not_a_login(where, "no session")) from None
            raise SourceUnavailable(redact(
                f"Salesforce refused the login at {where} ({exc.code}: "
                f"{_short(str(exc.auth_message))}). Check {what_to_check}; for a sandbox set "
                "SF_DOMAIN=test.")) from None
        except requests.RequestException as exc:
            raise SourceUnavailable(f"Could not log in at {where}: {type(exc).__name__}. Check "
                                    "the network, HTTPS_PROXY, and REQUESTS_CA_BUNDLE behind a "
                                    "TLS-inspecting proxy.") from None
        except (ExpatError, AttributeError, TypeError, ValueError) as exc:
            # simple-salesforce reads the answer as SOAP XML or OAuth JSON and trips on
            # anything else, such as a proxy's HTML page.
            raise SourceUnavailable(_not_a_login(where, type(exc).__name__)) from None
    if not (isinstance(token, str) and token and isinstance(instance, str)
            and _HOST.fullmatch(instance)):
        raise SourceUnavailable(f"The login answer from {where} named no access token and "
                                "instance. Check SF_DOMAIN.")
    return _Login(token, f"https://{instance}", answers[-1].text if answers else "")


def _not_a_login(where: str, found: str) -> str:
    return (f"The login answer from {where} was not a Salesforce login answer ({found}). Check "
            "SF_DOMAIN, and HTTPS_PROXY if a proxy answers for Salesforce.")


def _short(text: str) -> str:
    return " ".join(text.split())[:200]


def _soap_user_id(answer: str) -> str | None:
    """The userId of a SOAP loginResponse."""
    match = re.search(r"<(?:\w+:)?userId>([^<]*)</(?:\w+:)?userId>", answer)
    return match[1] if match and SALESFORCE_ID.fullmatch(match[1]) else None


def _identity_url_user(answer: str) -> str | None:
    """The user Id ending the identity URL (`id`) of an OAuth token answer."""
    try:
        identity_url = json.loads(answer).get("id")
    except (ValueError, AttributeError):
        return None
    last = identity_url.rstrip("/").rsplit("/", 1)[-1] if isinstance(identity_url, str) else ""
    return last if SALESFORCE_ID.fullmatch(last) else None


def _from_sf_cli(alias: str, env: Mapping[str, str]) -> tuple[str, str, str | None]:
    """(access token, instance URL, username) from `sf org display --json`.

    Since the Salesforce CLI's May 2026 security update, `sf org display` shows the token
    as "[REDACTED] Use 'sf org auth show-access-token' to view" (forcedotcom/cli#3560);
    the token then comes from that command instead.
    """
    sf = shutil.which("sf", path=env.get("PATH"))
    if sf is None:
        raise InputError("--sf-target-org needs the Salesforce CLI, but `sf` is not installed "
                         "or not on PATH. Install it (npm install --global @salesforce/cli), or "
                         "set SF_INSTANCE_URL and SF_ACCESS_TOKEN instead.")
    result = _sf_result(sf, ["org", "display"], alias, env)
    token, url, username = (result.get(k) for k in ("accessToken", "instanceUrl", "username"))
    if not (isinstance(url, str) and url.startswith("https://")
            and _HOST.fullmatch(url.rstrip("/")[8:])):
        raise InputError(f"`sf org display --json --target-org {alias}` printed no https:// "
                         "instanceUrl in its `result`; log in again with `sf org login web`.")
    if not _usable_token(token):
        token = _shown_token(sf, alias, env)
    assert isinstance(token, str)
    return token, url.rstrip("/"), username if isinstance(username, str) and username else None


def _usable_token(token: object) -> bool:
    # A redacted placeholder has spaces and brackets; a token never does.
    return isinstance(token, str) and bool(token) and _TOKEN.fullmatch(token) is not None


def _shown_token(sf: str, alias: str, env: Mapping[str, str]) -> str:
    """The token from `sf org auth show-access-token --json`, in whichever documented or
    observed shape it comes: the result itself, or its accessToken or token."""
    result = _sf_result(sf, ["org", "auth", "show-access-token"], alias, env)
    for token in (result.get("accessToken"), result.get("token"), result.get("value")):
        if _usable_token(token):
            return str(token)
    raise InputError(f"`sf org auth show-access-token --json --target-org {alias}` printed no "
                     "access token; update the Salesforce CLI (`sf update`) and log in again "
                     f"with `sf org login web --alias {alias}`.")


def _sf_result(sf: str, words: list[str], alias: str, env: Mapping[str, str]
               ) -> dict[str, Any]:
    """The `result` object of `sf WORDS --json --target-org ALIAS`, or bad input saying why."""
    command = f"`sf {' '.join(words)} --json --target-org {alias}`"
    try:
        done = subprocess.run([sf, *words, "--json", "--target-org", alias],
                              capture_output=True, text=True, env=dict(env),
                              timeout=_SF_CLI_TIMEOUT, check=False)
        answer = json.loads(done.stdout)
    except subprocess.TimeoutExpired:
        raise InputError(f"{command} did not finish within {_SF_CLI_TIMEOUT:g} s.") from None
    except (OSError, ValueError):
        raise InputError(f"{command} did not print JSON; check that `sf` on PATH is the "
                         "Salesforce CLI.") from None
    if not isinstance(answer, dict):
        raise InputError(f"{command} printed JSON that is not an object; expected the CLI's "
                         "answer with a `result` object. Check that `sf` is the Salesforce CLI.")
    result = answer.get("result")
    if isinstance(result, str):
        result = {"accessToken": result}
    if done.returncode != 0 or not isinstance(result, dict):
        message = answer.get("message")
        details = _short(message) if isinstance(message, str) else "no details"
        raise InputError(f"{command} failed: {details} Log in with `sf org login web "
                         f"--alias {alias}`, or list logins with `sf org list`.")
    return result
