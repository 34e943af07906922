"""auditor/documents/files.py: a set of files is replaced whole, or not at all (issue 9)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.documents.errors import InputError
from auditor.documents.files import beside, check_targets, replace_all

OLD = {"report.html": "old html", "report.md": "old md", "report.json": "old json"}
NEW = {"report.html": "new html", "report.md": "new md", "report.json": "new json"}


def write_old(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    for name, text in OLD.items():
        (folder / name).write_text(text)


def contents(folder: Path) -> dict[str, str]:
    """Every entry of the folder (hidden temporary files included) and its text."""
    return {p.name: p.read_text() if p.is_file() else "<not a file>"
            for p in sorted(folder.iterdir())}


def new_set(folder: Path) -> dict[Path, str]:
    return {folder / name: text for name, text in NEW.items()}


def fail_on_call(number: int, real: Callable[..., Any], code: int = errno.ENOSPC
                 ) -> Callable[..., Any]:
    """`real`, except that its number-th call fails as a full disk would."""
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == number:
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)
    return wrapper


def test_the_set_is_replaced_and_nothing_else_is_left(tmp_path: Path) -> None:
    write_old(tmp_path)
    replace_all(new_set(tmp_path))
    assert contents(tmp_path) == NEW


@pytest.mark.parametrize("kind", ["link", "folder", "pipe"])
def test_a_target_that_is_not_a_regular_file_replaces_nothing(tmp_path: Path, kind: str
                                                              ) -> None:
    write_old(tmp_path)
    target = tmp_path / "report.md"
    target.unlink()
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text("what the link points to")
    if kind == "link":
        target.symlink_to(elsewhere)
    elif kind == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    before = {p.name: p.read_text() for p in tmp_path.iterdir() if p.is_file() and
              not p.is_symlink()}

    with pytest.raises(InputError) as caught:
        replace_all(new_set(tmp_path))

    expected = {"link": "this is a link", "folder": "this is a folder",
                "pipe": "this is a device, a pipe or a socket"}[kind]
    assert str(caught.value).startswith(f"{target}: expected a regular file to write to, but "
                                        f"{expected}")
    # report.html comes first in the set, and was not replaced.
    assert {p.name: p.read_text() for p in tmp_path.iterdir() if p.is_file() and
            not p.is_symlink()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*OLD, "elsewhere.md"])


def test_a_device_is_refused() -> None:
    with pytest.raises(InputError, match="this is a device, a pipe or a socket"):
        check_targets([Path(os.devnull)])


def test_a_file_where_a_folder_is_needed_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("a file")
    with pytest.raises(InputError) as caught:
        check_targets([tmp_path / "plain" / "reports" / "report.html"])
    assert str(caught.value) == (f"{tmp_path}/plain/reports/report.html: cannot make the folder "
                                 f"for this file: {tmp_path}/plain is not a folder.")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder")
def test_an_unwritable_folder_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError, match="permission denied"):
            check_targets([locked / "report.html"])
    finally:
        locked.chmod(0o700)


def test_a_full_disk_while_writing_replaces_nothing(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    write_old(tmp_path)
    # The second new file cannot be written in full.
    monkeypatch.setattr(os, "fsync", fail_on_call(2, os.fsync))
    with pytest.raises(InputError) as caught:
        replace_all(new_set(tmp_path))
    assert str(caught.value) == (
        f"{tmp_path}/report.md: cannot write here: No space left on device. No file was "
        "replaced; those that were there are as they were.")
    assert contents(tmp_path) == OLD


def test_a_failure_part_way_through_replacing_puts_back_what_was_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_old(tmp_path)
    (tmp_path / "report.json").unlink()  # one target is new: it must not stay behind
    # report.html is replaced; report.md then fails.
    monkeypatch.setattr(os, "replace", fail_on_call(2, os.replace, errno.EIO))
    with pytest.raises(InputError, match=r"report\.md: cannot write here: Input/output error"):
        replace_all(new_set(tmp_path))
    assert contents(tmp_path) == {"report.html": "old html", "report.md": "old md"}


def test_a_folder_made_for_a_failed_set_is_removed(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", fail_on_call(1, os.fsync))
    with pytest.raises(InputError):
        replace_all(new_set(tmp_path / "new" / "reports"))
    assert list(tmp_path.iterdir()) == []


def test_folders_are_made_for_a_new_set(tmp_path: Path) -> None:
    replace_all(new_set(tmp_path / "new" / "reports"))
    assert contents(tmp_path / "new" / "reports") == NEW


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    write_old(tmp_path)
    (tmp_path / "report.html").chmod(0o640)
    replace_all(new_set(tmp_path))
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o640


def test_beside_names_a_free_file_next_to_the_target(tmp_path: Path) -> None:
    target, label = tmp_path / "s.json", "partial-20261120T102233Z"
    assert beside(target, label) == tmp_path / "s.partial-20261120T102233Z.json"
    (tmp_path / "s.partial-20261120T102233Z.json").write_text("{}")
    assert beside(target, label) == tmp_path / "s.partial-20261120T102233Z-2.json"


def test_without_hard_links_the_old_files_are_copied_aside(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_old(tmp_path)
    monkeypatch.setattr(os, "link", fail_on_call(1, os.link, errno.EPERM))
    monkeypatch.setattr(os, "replace", fail_on_call(3, os.replace, errno.EIO))
    with pytest.raises(InputError, match=r"report\.json: cannot write here"):
        replace_all(new_set(tmp_path))
    assert contents(tmp_path) == OLD
