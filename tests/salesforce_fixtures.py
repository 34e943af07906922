"""Pytest fixtures that run the Salesforce emulator for a test.

Test modules load them with `pytest_plugins = ("tests.salesforce_fixtures",)` and take
helpers from tests/salesforce_lab.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.emulators.salesforce import Emulator, Scenario
from tests.salesforce_lab import SalesforceLab, typical_tables


@pytest.fixture(scope="session")
def sf_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    bundle = tmp_path_factory.mktemp("sf-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return ca, bundle


@pytest.fixture
def scenario() -> Scenario:
    return Scenario(tables=typical_tables())


@pytest.fixture
def lab(scenario: Scenario, sf_ca: tuple[trustme.CA, Path],
        monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceLab]:
    ca, bundle = sf_ca
    for name in [n for n in os.environ if n.startswith("SF_")]:
        monkeypatch.delenv(name)
    with Emulator(scenario, ca) as emulator:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        # Logins go to https://login.salesforce.com: through the emulator's proxy.
        monkeypatch.setenv("HTTPS_PROXY", emulator.proxy_url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        yield SalesforceLab(emulator, bundle)
