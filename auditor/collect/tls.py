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
from collections.abc import Callable

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
