"""How every request to Salesforce travels: --timeout, the CA bundle of the collector's
environment, and one TLS context per bundle for the whole process.

Given a CA bundle (its own, or certifi's by default), requests has urllib3 build a new
TLS context and load the bundle into it for every connection: for certifi's bundle,
about 16 ms of CPU each time, several times for each collection and over again for each
target of a fleet. Here every connection shares one context per bundle
(auditor/collect/tls.py).
"""

from __future__ import annotations

import os
import ssl
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.util.ssl_ import create_urllib3_context

from auditor.collect.tls import shared_context

if TYPE_CHECKING:
    from requests.adapters import _HostParams, _PoolKwargs


class Transport(HTTPAdapter):
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

    def build_connection_pool_key_attributes(
            self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[_HostParams, _PoolKwargs]:
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        bundle = verify if isinstance(verify, str) else DEFAULT_CA_BUNDLE_PATH
        if host["scheme"] == "https" and verify is not False and os.path.isfile(bundle):
            context = _verifying(bundle)
            if context is not None:  # else as requests does it, and fails as it does
                pool.pop("ca_certs", None)
                pool["ssl_context"] = context
        return host, pool

    def cert_verify(self, conn: Any, url: str, verify: bool | str, cert: Any) -> None:
        super().cert_verify(conn, url, verify, cert)  # type: ignore[no-untyped-call]
        if conn.conn_kw.get("ssl_context") is not None:
            conn.ca_certs = None  # the context holds them: urllib3 would load them again


def _verifying(bundle: str) -> ssl.SSLContext | None:
    try:
        return shared_context(bundle, _context)
    except (OSError, ssl.SSLError):
        return None


def _context(bundle: str) -> ssl.SSLContext:
    # As urllib3 makes one for a connection given ca_certs: the same settings, then the bundle.
    context = create_urllib3_context()
    context.load_verify_locations(cafile=bundle)
    return context
