"""The test run's own cache folder (auditor/safety/run_cache.py): nothing is read from
or left in the user's, and each run starts cold, so the first load of the rules and
templates goes through every check and compile."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.safety.run_cache import CACHE_VARIABLE


def pytest_configure(config: pytest.Config) -> None:
    os.environ[CACHE_VARIABLE] = tempfile.mkdtemp(prefix="auditor-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop(CACHE_VARIABLE, ""), ignore_errors=True)


def forget_this_process() -> None:
    """What a new process would not know: the cache folder chosen and the templates
    compiled or loaded so far."""
    from auditor.engine import messages
    from auditor.report import render
    from auditor.safety import run_cache

    run_cache.cache_folder.cache_clear()
    render._environment.cache_clear()
    messages._environment.cache_clear()
    messages._compiled.cache_clear()


@pytest.fixture
def cache_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder for one test, empty; afterwards, the session's again."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_VARIABLE, str(folder))
    forget_this_process()
    yield folder
    monkeypatch.undo()
    forget_this_process()
