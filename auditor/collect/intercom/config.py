"""Where and how to reach Intercom, read from the environment the collector is given."""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from auditor.collect.tls import trusted_context as _verify  # tests reach it here
from auditor.documents.errors import InputError
from auditor.safety.slots import shape, userinfo

REGIONS = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}
# The version whose description (../shared/reference) the collector is tested against.
DEFAULT_API_VERSION = "2.16"
# Numbered versions, plus the moving ones Intercom also accepts in the header.
_API_VERSION = re.compile(r"\d+\.\d+|Unstable|Preview")
# Plain HTTP only to this machine (an emulator or a local proxy): the token must not
# travel unencrypted over a network.
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Connection:
    base_url: str
    api_version: str
    verify: ssl.SSLContext
    token: str = field(repr=False)


def resolve_connection(env: Mapping[str, str]) -> Connection:
    return Connection(
        base_url=_base_url(env),
        api_version=_api_version(env),
        verify=_verify(env),
        token=_token(env),
    )


def _token(env: Mapping[str, str]) -> str:
    token = env.get("INTERCOM_ACCESS_TOKEN", "").strip()
    if not token:
        raise InputError(
            "INTERCOM_ACCESS_TOKEN is not set. Create an access token for a private app in "
            "Intercom's Developer Hub (read scopes: read admins, read and list users and "
            "companies), then `export INTERCOM_ACCESS_TOKEN=...`; or run with --no-intercom "
            "to audit without Intercom evidence."
        )
    return token


def _base_url(env: Mapping[str, str]) -> str:
    explicit = env.get("INTERCOM_BASE_URL", "").strip()
    if explicit:
        parts = urlsplit(explicit)
        secure = parts.scheme == "https"
        local = parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        if userinfo(explicit) is not None:
            # A password in a URL is a mistake to fix, not to send: Intercom reads only
            # the token in the Authorization header.
            raise InputError(
                f"INTERCOM_BASE_URL {shape(explicit)}; the auditor sends no credentials in "
                "a URL: remove the part before @ and give the access token in "
                "INTERCOM_ACCESS_TOKEN."
            )
        if not parts.hostname or not (secure or local):
            raise InputError(
                f"INTERCOM_BASE_URL {shape(explicit)}, which is not usable: expected an "
                "https:// URL such as https://api.eu.intercom.io (plain http:// only for "
                "127.0.0.1 or localhost). Or leave it unset and choose INTERCOM_REGION."
            )
        return explicit.rstrip("/")
    region = env.get("INTERCOM_REGION", "us").strip().lower() or "us"
    if region not in REGIONS:
        raise InputError(
            f"INTERCOM_REGION {shape(region)}, not an Intercom region: expected one of "
            f"{', '.join(REGIONS)} (where the workspace is hosted)."
        )
    return REGIONS[region]


def _api_version(env: Mapping[str, str]) -> str:
    version = env.get("INTERCOM_API_VERSION", "").strip() or DEFAULT_API_VERSION
    if not _API_VERSION.fullmatch(version):
        raise InputError(
            f"INTERCOM_API_VERSION {shape(version)}, not an Intercom API version: expected "
            f"a number such as {DEFAULT_API_VERSION} (the default)."
        )
    return version


