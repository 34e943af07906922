"""The cache between runs: what one run worked out that the next would only repeat.

Compiled report and message templates, and the rule files that already passed every
load check, with the data each read as. Without it, each audit spends about 130 ms doing
again what the last one did: about 80 ms compiling templates and 50 ms parsing and
checking rule files.

Everything here is an optimisation that must never change a result or stop a run:
- the folder is the user's own (AUDITOR_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, then
  intercom-sfdc-auditor): compiled code is loaded from it, so it is refused unless this
  user owns it and nobody else may write in it, and its entries live in a subfolder
  only this user may read or write (0700);
- entries live under a stamp of the installed package (version, Python, and the path,
  size and time of every file of the package), so an upgrade or an edit starts a new
  cache; a stamp no install has used for a week is cleared away;
- any failure (read-only home, full disk, a corrupt entry) quietly means no cache;
- AUDITOR_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import TOOL_NAME, __version__

if TYPE_CHECKING:  # jinja2 is imported where templates are compiled: it is slow to import
    from jinja2 import BytecodeCache

CACHE_VARIABLE = "AUDITOR_CACHE_DIR"
NO_CACHE_VARIABLE = "AUDITOR_NO_CACHE"
_PACKAGE = Path(__file__).resolve().parent.parent
_STAMP = re.compile(r"stamp-[0-9a-f]{20}")


def _base_folder() -> Path:
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen:
        return Path(chosen)
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return root / TOOL_NAME


def package_stamp() -> str:
    """Changes whenever the installed package does: its version, the Python running it,
    and the size and modification time of each of its files."""
    digest = hashlib.sha256(f"{__version__}\0{sys.version}".encode())
    for folder, subfolders, files in os.walk(_PACKAGE):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".pyc"):
                continue
            path = os.path.join(folder, name)
            info = os.stat(path)
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return f"stamp-{digest.hexdigest()[:20]}"


def _own_folder(path: Path, *, private: bool) -> bool:
    """Made (0700) if missing; True when it is this user's folder and nobody else may
    write in it (nor read it, when private)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return False
    others = (stat.S_IRWXG | stat.S_IRWXO) if private else (stat.S_IWGRP | stat.S_IWOTH)
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not (
        info.st_mode & others)


@cache
def cache_folder() -> Path | None:
    """This package's cache folder, or None when there is to be no cache."""
    if os.environ.get(NO_CACHE_VARIABLE, "") not in ("", "0") or not hasattr(os, "getuid"):
        return None  # (no owner to check without getuid)
    try:
        base = _base_folder()
        stamp = package_stamp()
    except (OSError, RuntimeError):  # no home folder, a file vanishing under os.walk
        return None
    if not _own_folder(base, private=False) or not _own_folder(base / stamp, private=True):
        return None
    _mark_used(base / stamp)
    _forget_unused_stamps(base, stamp)
    return base / stamp


UNUSED_FOR = 7 * 24 * 3600  # seconds before the stamp of another install is cleared away
_MARKED_WITHIN = 24 * 3600


def _mark_used(folder: Path) -> None:
    # A folder's time says when an install last used it (refreshed at most once a day).
    with contextlib.suppress(OSError):
        if time.time() - folder.stat().st_mtime > _MARKED_WITHIN:
            os.utime(folder)


def _forget_unused_stamps(base: Path, stamp: str) -> None:
    # An upgrade or an edit leaves its stamp behind. Another install in use (a second
    # virtual environment) keeps its own; a stamp nobody used for a week is cleared.
    # Nothing else is touched: AUDITOR_CACHE_DIR may name a folder that holds more.
    try:
        others = [entry for entry in base.iterdir() if entry.name != stamp
                  and _STAMP.fullmatch(entry.name) and not entry.is_symlink()
                  and entry.is_dir() and time.time() - entry.stat().st_mtime > UNUSED_FOR]
    except OSError:
        return
    for entry in others:
        shutil.rmtree(entry, ignore_errors=True)


def template_cache(kind: str) -> BytecodeCache | None:
    """A bytecode cache for the templates of one jinja2 environment (`kind` keeps
    environments compiled differently apart), or None when there is no cache."""
    folder = cache_folder()
    if folder is None:
        return None
    from auditor.safety.template_cache import QuietBytecodeCache

    return QuietBytecodeCache(str(folder), f"{kind}-%s.jinja")


def _entry(kind: str, content: bytes, name: str) -> tuple[Path, str] | None:
    folder = cache_folder()
    if folder is None:
        return None
    key = hashlib.sha256(name.encode() + b"\0" + content).hexdigest()
    return folder / f"{kind}-{key[:32]}.json", key


def checked_before(kind: str, content: bytes, name: str) -> Any:
    """What exactly this content, under this name, read as when it passed `kind`'s checks
    before; None when it has not (or the entry cannot be read)."""
    entry = _entry(kind, content, name)
    if entry is None:
        return None
    path, key = entry
    try:
        kept = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    # An entry is whole or unreadable (written aside, then renamed); the key guards
    # against an entry that is whole but another's.
    if not isinstance(kept, dict) or kept.get("key") != key:
        return None
    return kept.get("data")


def remember_checked(kind: str, content: bytes, name: str, data: Any) -> None:
    """Record that the content passed `kind`'s checks, and the plain data it read as."""
    entry = _entry(kind, content, name)
    if entry is None:
        return
    path, key = entry
    text = json.dumps({"key": key, "data": data}, ensure_ascii=False, allow_nan=False)
    try:
        fd, staged = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(staged, path)
    except (OSError, ValueError):  # ValueError: text the file cannot encode
        with contextlib.suppress(OSError):
            os.unlink(staged)
