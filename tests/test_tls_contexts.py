"""Issue 13: each CA bundle is loaded into one TLS context per process, which every
connection of every collection shares (a fleet runs many), and a changed bundle is
loaded again. Counted, never timed; the requests each collector sends are unchanged."""

from __future__ import annotations

import shutil
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import urllib3.connection

from auditor.collect import tls
from auditor.collect.intercom import config
from auditor.collect.intercom.collector import IntercomOptions, collect_intercom
from auditor.collect.salesforce import transport
from tests.intercom_fixtures import intercom, make_scenario
from tests.salesforce_lab import SalesforceLab

pytest_plugins = ("tests.salesforce_fixtures",)


class Counting:
    """A function, counting its calls."""

    def __init__(self, function: Any) -> None:
        self.function = function
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.function(*args, **kwargs)


@pytest.fixture
def cold() -> None:
    """No bundle loaded yet by an earlier test."""
    tls._built.cache_clear()


@pytest.mark.usefixtures("cold")
def test_intercom_collections_share_one_context_for_a_bundle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with intercom(make_scenario()) as served:
        built = Counting(ssl.create_default_context)  # the emulator has made its own
        monkeypatch.setattr(ssl, "create_default_context", built)
        sections = [collect_intercom(IntercomOptions(env=served.env), lambda: None)
                    for _ in range(3)]
    assert [s["status"] for s in sections] == ["collected"] * 3
    assert built.calls == 1
    assert len({s["requests"] for s in sections}) == 1


@pytest.mark.usefixtures("cold")
def test_a_changed_bundle_is_loaded_again(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    with intercom(make_scenario()) as served:
        bundle = tmp_path / "ca.pem"
        shutil.copy(served.env["SSL_CERT_FILE"], bundle)
        env = {"SSL_CERT_FILE": str(bundle)}
        first, again = config._verify(env), config._verify(env)
        bundle.write_text(bundle.read_text() + "\n")  # another version of the file
        changed = config._verify(env)
    assert first is again and changed is not first


def test_without_a_bundle_every_client_shares_the_default_context() -> None:
    assert config._verify({}) is config._verify({"SSL_CERT_FILE": " "})


@pytest.mark.usefixtures("cold")
def test_salesforce_connections_share_one_context_for_a_bundle(
        lab: SalesforceLab, monkeypatch: pytest.MonkeyPatch) -> None:
    per_connection = Counting(urllib3.connection.create_urllib3_context)
    monkeypatch.setattr(urllib3.connection, "create_urllib3_context", per_connection)
    ours = Counting(transport.create_urllib3_context)
    monkeypatch.setattr(transport, "create_urllib3_context", ours)
    sections = [lab.collect() for _ in range(2)]
    assert [s["status"] for s in sections] == ["collected"] * 2
    assert len({s["requests"] for s in sections}) == 1
    assert len(lab.emulator.exchanges) == 2 * sections[0]["requests"]
    assert (ours.calls, per_connection.calls) == (1, 0)


@pytest.mark.usefixtures("cold")
def test_threads_asking_at_once_load_a_bundle_once(monkeypatch: pytest.MonkeyPatch) -> None:
    with intercom(make_scenario()) as served:
        built = Counting(ssl.create_default_context)
        monkeypatch.setattr(ssl, "create_default_context", built)
        barrier = threading.Barrier(8)

        def ask(_: int) -> ssl.SSLContext:
            barrier.wait()
            return config._verify(served.env)

        with ThreadPoolExecutor(8) as pool:
            contexts = set(pool.map(ask, range(8)))
    assert (len(contexts), built.calls) == (1, 1)
