"""The variables the auditor reads that hold no secret, what each should hold, and how to
speak of a value that does not fit without showing it.

A secret turns up where it does not belong: SF_INSTANCE_URL and SF_ACCESS_TOKEN swapped,
a fleet credentials map cross-wired, a password written into a URL. So a value that
does not have the shape of its variable is treated as a secret (auditor.safety.secrets
registers it), and a message about it gives its length and shape, never the value.
The userinfo of a URL (`user:password@`) is a secret wherever it is. Only the standard
library is used here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from urllib.parse import unquote

# The variables the auditor reads that name a file.
FILE_VARIABLES = ("SF_PRIVATE_KEY_FILE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
# URLs a person gives the auditor to send its requests to, and those of proxies, which
# may rightly carry a user name and password (requests and httpx read them).
URL_VARIABLES = ("SF_INSTANCE_URL", "INTERCOM_BASE_URL")
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",
                   "https_proxy", "http_proxy", "all_proxy")

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_ACCESS_TOKEN = re.compile(r"00D[0-9A-Za-z]{12,15}![\x21-\x7e]+")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
_PATH = re.compile(r"(?:[/~.]|[A-Za-z]:[\\/])[^\n]*|[^\s/\\]+[/\\][^\n]*")
_VERSION = re.compile(r"v?\d+(?:\.\d+)*")
_TOKENISH = re.compile(r"[\x21-\x7e]{16,}")
_WORD = re.compile(r"[A-Za-z]+")
_ENVIRONMENT_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")


def userinfo(url: str) -> str | None:
    """What comes between a URL's `scheme://` and `@host`, if anything."""
    scheme = _SCHEME.match(url.strip())
    if scheme is None:
        return None
    authority = re.split(r"[/?#]", url.strip()[scheme.end():], maxsplit=1)[0]
    return authority.rpartition("@")[0] if "@" in authority else None


def userinfo_secrets(url: str) -> list[str]:
    """The userinfo of a URL, whole and each of its user and password, as written and
    URL-decoded: `https://user:pa%24s@host` gives `user:pa%24s`, `pa%24s`, `pa$s`..."""
    found = userinfo(url)
    if not found:
        return []
    parts = [found, *found.split(":", 1)]
    return [*parts, *(unquote(part) for part in parts)]


def _url_fits(value: str) -> bool:
    return (_SCHEME.match(value.strip()) is not None and userinfo(value) is None
            and not any(char.isspace() for char in value.strip()))


def _file_fits(value: str) -> bool:
    return os.path.isfile(value.strip())


# What each variable that holds no secret should hold. A value that does not fit may be
# a secret in the wrong place.
_FITS: dict[str, Callable[[str], bool]] = {
    **dict.fromkeys(URL_VARIABLES, _url_fits),
    **dict.fromkeys(FILE_VARIABLES, _file_fits),
    "SF_USERNAME": lambda value: _EMAIL.fullmatch(value.strip()) is not None,
    "SF_DOMAIN": lambda value: re.fullmatch(
        r"login|test|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.my", value.strip()) is not None,
    "SF_API_VERSION": lambda value: re.fullmatch(r"\d{2,3}\.0", value.strip()) is not None,
    "INTERCOM_REGION": lambda value: value.strip().lower() in ("us", "eu", "au"),
    "INTERCOM_API_VERSION": lambda value: re.fullmatch(
        r"\d+\.\d+|Unstable|Preview", value.strip()) is not None,
}


def misplaced_values(environ: Mapping[str, str]) -> list[str]:
    """The values of variables holding no secret that do not have their variable's
    shape, and the userinfo of every URL: each may be a secret."""
    found = [value for name, fits in _FITS.items()
             if (value := environ.get(name, "")).strip() and not fits(value)]
    for name in (*URL_VARIABLES, *PROXY_VARIABLES):
        found += userinfo_secrets(environ.get(name, ""))
    return found


def shape(value: str) -> str:
    """How long a value is and what it looks like, without any of it: `holds 112
    characters that look like a Salesforce access token`."""
    length = f"{len(value)} character{'' if len(value) == 1 else 's'}"
    stripped = value.strip()
    if not stripped:
        return f"holds {length}, all spaces" if value else "is empty"
    return f"holds {length} that look like {_kind(stripped)}"


def environment_name(value: str) -> bool:
    """An environment variable's name as people write them: capitals, digits and _."""
    return _ENVIRONMENT_NAME.fullmatch(value) is not None


def _kind(value: str) -> str:
    if _ACCESS_TOKEN.fullmatch(value):
        return "a Salesforce access token"
    if "-----BEGIN" in value:
        return "a PEM key or certificate"
    if scheme := _SCHEME.match(value):
        # A scheme is no secret, and tells http:// from https:// (a short one only).
        start = f" starting {scheme.group()}" if len(scheme.group()) <= 10 else ""
        return f"a URL{start}" + (" with a user name or password in it" if userinfo(value)
                                  else "")
    if _EMAIL.fullmatch(value):
        return "an email address or username"
    if _VERSION.fullmatch(value):
        return "a number"
    if _WORD.fullmatch(value) and len(value) < 16:
        return "a word"
    if _TOKENISH.fullmatch(value) and "/" not in value:
        return "an access token or key"
    if _PATH.fullmatch(value):
        return "a file path"
    return "an access token or key" if _TOKENISH.fullmatch(value) else "text"
