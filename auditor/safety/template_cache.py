"""jinja2's file bytecode cache, made unable to stop a run (see run_cache.py)."""

from __future__ import annotations

import contextlib

from jinja2 import FileSystemBytecodeCache
from jinja2.bccache import Bucket


class QuietBytecodeCache(FileSystemBytecodeCache):
    """An entry that cannot be read is compiled again; one that cannot be written is not
    kept. jinja2 itself lets some of both through as exceptions (a truncated entry fails
    in pickle, a full disk in writing)."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # whatever a damaged entry raises, the template compiles anew
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)
