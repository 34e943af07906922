"""Writing files atomically, so an interrupted run never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from auditor.errors import InputError


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file in the same folder and a rename."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        # A rename would replace the device, pipe or link itself, not write through it.
        raise InputError("expected a regular file to write to; this is a folder, a link or "
                         "a device.", file=str(path))
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write this file: {exc.strerror or exc}.",
                         file=str(path)) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def write_all_atomically(files: Mapping[Path, str]) -> None:
    """Write several files, each atomically; callers render everything first."""
    for path, text in files.items():
        write_atomically(path, text)
