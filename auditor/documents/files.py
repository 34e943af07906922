"""Writing files so that no failure and no interruption loses one.

The files of one run (the reports; or one snapshot) are replaced as a set:

1. every target is checked before anything is written (`check_targets`), so a target
   that is a link, a folder or a device, or sits where no folder can be made, costs
   nothing: not a request, not a replaced file;
2. each new file is written in full to a temporary file beside its target;
3. the targets are replaced, each one's old content kept aside until all are in
   place, so a failure part-way puts back every file that was there.

Step 3 is a critical section (auditor/safety/interrupts.py): SIGINT or SIGTERM waits for it,
and before it ends the process removes the temporary files and the folders step 2 made.
A process killed outright (SIGKILL, a power cut) cannot: the next run that writes the
same file removes what it left (`_remove_stale`).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from time import time

from auditor.documents.errors import InputError
from auditor.safety.interrupts import critical, leftover, pause_point
from auditor.safety.secrets import redact


def check_targets(paths: Iterable[Path]) -> None:
    """Refuse, before any work is done, a target that cannot be replaced in place."""
    for path in paths:
        problem = _target_problem(path)
        if problem:
            raise InputError(problem, file=str(path))


def _target_problem(path: Path) -> str | None:
    try:
        mode: int | None = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as exc:
        return f"cannot use this path: {exc.strerror or exc}."
    if mode is not None and stat.S_ISLNK(mode):
        # Replacing a link replaces the link itself, not the file it points to.
        return ("expected a regular file to write to, but this is a link. Remove the link, "
                "or name the file it points to.")
    if mode is not None and not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a device, a pipe or a socket"
        return f"expected a regular file to write to, but this is {kind}."
    return _folder_problem(path.parent)


def _folder_problem(folder: Path) -> str | None:
    """Why no file can be created in `folder` (made if missing), or None."""
    for candidate in (folder, *folder.parents):
        try:
            mode = os.stat(candidate).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue  # to be made, if what lies above it is a folder
        except OSError as exc:
            return f"cannot use the folder {candidate}: {exc.strerror or exc}."
        if not stat.S_ISDIR(mode):
            return f"cannot make the folder for this file: {candidate} is not a folder."
        if not os.access(candidate, os.W_OK | os.X_OK):
            return f"cannot write in the folder {candidate}: {_unwritable(candidate)}."
        return None
    return None


def _unwritable(folder: Path) -> str:
    """Why a folder os.access says cannot be written is so (access gives no reason)."""
    with suppress(OSError, AttributeError):  # statvfs: POSIX only
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    return "permission denied"


def write_atomically(path: Path, text: str) -> None:
    """Replace one file with text: whole and old, or whole and new."""
    replace_all({path: text})


def replace_all(files: Mapping[Path, str]) -> None:
    """Replace every file with its text, as a set: all new, or (on failure) all as before.
    No file the auditor writes can hold a secret the process knows, in any form."""
    check_targets(files)
    files = {path: redact(text) for path, text in files.items()}
    with ExitStack() as cleanup:
        for folder in {path.parent for path in files}:
            _make_folder(folder, cleanup)
        _remove_stale(files)
        staged = {path: _stage(path, text, cleanup) for path, text in files.items()}
        pause_point("staged")
        _commit(staged)


def _make_folder(folder: Path, cleanup: ExitStack) -> None:
    """Make the folder and its missing parents. Those made are removed when cleanup ends
    if they are still empty, as they are unless every file was put in place."""
    for new in reversed([f for f in (folder, *folder.parents) if not f.exists()]):
        with _writing(new), critical():
            new.mkdir(exist_ok=True)
            cleanup.enter_context(leftover(new))
            cleanup.callback(_remove_if_empty, new)


def _remove_if_empty(folder: Path) -> None:
    with suppress(OSError):
        folder.rmdir()


def _stage(path: Path, text: str, cleanup: ExitStack) -> Path:
    """Write text in full to a new temporary file beside path; removed when cleanup ends."""
    with _writing(path):
        with critical():  # no signal between making the file and registering it
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                        dir=path.parent)
            temporary = Path(name)
            cleanup.enter_context(leftover(temporary))
            cleanup.callback(temporary.unlink, missing_ok=True)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            if path.exists():  # the new file keeps the old one's permissions
                os.fchmod(fd, stat.S_IMODE(path.stat().st_mode))
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    return temporary


# What _stage names a temporary file beside a target, after ".NAME.": the writing
# process's id (absent before this version) and mkstemp's 8 random characters.
_OWN_TEMPORARY = re.compile(r"(?:(?P<pid>[0-9]+)\.)?[a-z0-9_]{8}\.tmp")
QUIET_SECONDS = 60  # a live run's temporary file is put in place well within this
STALE_SECONDS = 24 * 3600  # no run keeps a temporary file this long, whatever its id


def _remove_stale(files: Iterable[Path]) -> None:
    """Remove the temporary files a run killed outright (SIGKILL, a power cut) left
    beside these files: those of _stage's naming whose process no longer runs here and
    that nobody has written for a minute, or that nobody has written for a day. Never
    any other file, so never one a run still going is about to put in place. (Kept-aside
    old content, .NAME.PID.old, is left alone: it may be the only copy of a file.)"""
    now = time()
    for path in files:
        prefix, entries = f".{path.name}.", []
        with suppress(OSError), os.scandir(path.parent) as folder:
            entries = [entry for entry in folder if entry.name.startswith(prefix)]
        for entry in entries:
            found = _OWN_TEMPORARY.fullmatch(entry.name[len(prefix):])
            with suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                age = now - info.st_mtime
                if found and stat.S_ISREG(info.st_mode) and (age > STALE_SECONDS or (
                        age > QUIET_SECONDS and found["pid"] and not _running(int(found["pid"])))):
                    os.unlink(entry.path)


def _running(pid: int) -> bool:
    """Whether a process with this id runs on this machine (True when it cannot be told)."""
    if os.name != "posix":  # elsewhere os.kill ends the process instead of asking
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # another user's process; an id no process can have
        return True
    return True


def _commit(staged: Mapping[Path, Path]) -> None:
    """Move every staged file into place; on a failure, put back what was there."""
    with critical():
        replaced: list[tuple[Path, Path | None]] = []  # target, its old content kept aside
        try:
            for path, temporary in staged.items():
                with _writing(path):
                    kept = _keep_aside(path)
                    try:
                        os.replace(temporary, path)
                    except OSError:
                        if kept is not None:
                            kept.unlink(missing_ok=True)
                        raise
                replaced.append((path, kept))
                if len(replaced) == 1:
                    pause_point("replacing")
        except InputError:
            _put_back(replaced)
            raise
        for _, kept in replaced:
            if kept is not None:
                kept.unlink(missing_ok=True)


def _keep_aside(path: Path) -> Path | None:
    """A second name for path's current content (None when there is none yet)."""
    if not path.exists():
        return None
    kept = path.with_name(f".{path.name}.{os.getpid()}.old")
    kept.unlink(missing_ok=True)
    try:
        os.link(path, kept)  # no copy: the old content simply keeps a name
    except OSError:
        try:
            shutil.copy2(path, kept)  # file systems without hard links
        except OSError:
            kept.unlink(missing_ok=True)  # half a copy is no use to anyone
            raise
    return kept


def _put_back(replaced: list[tuple[Path, Path | None]]) -> None:
    for path, kept in reversed(replaced):
        with suppress(OSError):
            if kept is None:
                path.unlink()
            else:
                os.replace(kept, path)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Turns a failure to write path (a full disk, a permission) into a clear message."""
    try:
        yield
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror or exc}. No file was "
                         "replaced; those that were there are as they were.",
                         file=str(path)) from None


def beside(path: Path, label: str) -> Path:
    """A name next to path that no file has yet: s.json -> s.LABEL.json, s.LABEL-2.json..."""
    candidate = path.with_name(f"{path.stem}.{label}{path.suffix}")
    number = 1
    while os.path.lexists(candidate):
        number += 1
        candidate = path.with_name(f"{path.stem}.{label}-{number}{path.suffix}")
    return candidate
