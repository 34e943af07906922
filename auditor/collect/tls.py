"""TLS contexts shared by every collection of a process, one per CA bundle.

Loading a bundle into a new context costs about 20 ms of CPU (certifi's), and both
clients would otherwise do it for every client or connection: several times a
collection, and again for each target of a fleet. An SSLContext may serve many
connections and threads, so each bundle is loaded once, for as long as the file stays
the same (a changed bundle is loaded again).
"""

from __future__ import annotations

import functools
import os
import ssl
import threading
from collections.abc import Callable, Mapping

from auditor.documents.errors import InputError
from auditor.safety.slots import shape

ContextMaker = Callable[[str], ssl.SSLContext]  # a bundle's path -> a context trusting it

_loading = threading.Lock()


def shared_context(bundle: str, make: ContextMaker) -> ssl.SSLContext:
    """The context `make` builds for the bundle, built once per version of the file.
    Raises what reading the file or `make` raises (OSError, ssl.SSLError)."""
    found = os.stat(bundle)
    with _loading:  # one thread loads a bundle; the others wait for its context
        return _built(bundle, (found.st_ino, found.st_size, found.st_mtime_ns), make)


@functools.lru_cache(maxsize=8)
def _built(bundle: str, version: tuple[int, int, int], make: ContextMaker) -> ssl.SSLContext:
    return make(bundle)


def trusted_context(env: Mapping[str, str]) -> ssl.SSLContext:
    """Trust the CA bundle SSL_CERT_FILE names, else httpx's default bundle (certifi's).

    httpx 0.28 no longer reads SSL_CERT_FILE itself, and a collector's environment is a
    parameter rather than os.environ, so the bundle is loaded here, once per process.
    The Intercom collector and the notices (auditor/cli/notify.py) use it.
    """
    cafile = env.get("SSL_CERT_FILE", "").strip()
    if not cafile:
        return _default_context()
    try:
        return shared_context(cafile, _trusting)
    except (OSError, ssl.SSLError) as error:
        raise InputError(
            f"SSL_CERT_FILE {shape(cafile)}, which could not be loaded as a PEM bundle of CA "
            f"certificates ({error.strerror or error}). Point it at a readable bundle, "
            "or unset it to use the default one."
        ) from None


@functools.cache
def _default_context() -> ssl.SSLContext:
    import httpx  # here: the collector imports it anyway, other commands need not

    return httpx.create_ssl_context(trust_env=False)  # what a client given verify=True makes


def _trusting(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)
