"""Signing in to Salesforce: each way, the order of precedence, and each way failing."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auditor.collectors import SourceUnavailable
from auditor.errors import InputError
from tests.salesforce_lab import SalesforceLab, assert_no_secret

pytest_plugins = ("tests.salesforce_fixtures",)

SOAP_LOGIN = "POST /services/Soap/u/62.0"
JWT_LOGIN = "POST /services/oauth2/token"


def fake_sf(directory: Path, answer: dict[str, Any], exit_code: int = 0) -> Path:
    """A stand-in `sf` executable that logs its arguments and prints `answer`."""
    directory.mkdir(exist_ok=True)
    log = directory / "sf-calls.log"
    script = directory / "sf"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"print({json.dumps(answer)!r})\nsys.exit({exit_code})\n")
    script.chmod(0o755)
    return log


def rsa_key_pair() -> tuple[str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def base_env(**values: str) -> dict[str, str]:
    return {**os.environ, **values}


def password_env(lab: SalesforceLab, **extra: str) -> dict[str, str]:
    scenario = lab.scenario
    return base_env(**{"SF_USERNAME": scenario.username, "SF_PASSWORD": scenario.password,
                       "SF_SECURITY_TOKEN": scenario.security_token, **extra})


def jwt_env(lab: SalesforceLab, key_file: Path, **extra: str) -> dict[str, str]:
    return base_env(SF_USERNAME=lab.scenario.username, SF_CONSUMER_KEY=lab.scenario.consumer_key,
                    SF_PRIVATE_KEY_FILE=str(key_file), **extra)


# --- 1. --sf-target-org -----------------------------------------------------------------

def test_target_org_comes_first(lab: SalesforceLab, tmp_path: Path) -> None:
    log = fake_sf(tmp_path / "bin", {"status": 0, "result": {
        "accessToken": lab.scenario.access_token, "instanceUrl": lab.emulator.base_url,
        "username": lab.scenario.username}})
    env = lab.token_env(SF_ACCESS_TOKEN="not-the-token",
                        PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    section = lab.collect(env=env, target_org="acme-prod")
    assert section["org"]["name"] == "Acme Inc"
    assert_no_secret(lab.secrets(), section)
    assert log.read_text() == "org display --json --target-org acme-prod\n"


def test_target_org_without_the_cli(lab: SalesforceLab, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        lab.collect(env=base_env(PATH=str(tmp_path)), target_org="acme-prod")
    assert "Salesforce CLI" in str(caught.value) and "not installed" in str(caught.value)
    assert lab.emulator.request_count == 0


def test_target_org_unknown_to_the_cli(lab: SalesforceLab, tmp_path: Path) -> None:
    fake_sf(tmp_path / "bin", {"status": 1, "name": "NamedOrgNotFoundError",
                               "message": "No authorization information found for nope."}, 1)
    with pytest.raises(InputError) as caught:
        lab.collect(env=base_env(PATH=str(tmp_path / "bin")), target_org="nope")
    message = str(caught.value)
    assert "No authorization information found for nope." in message
    assert "sf org login web --alias nope" in message


# --- 2. SF_INSTANCE_URL + SF_ACCESS_TOKEN ------------------------------------------------

def test_access_token_comes_before_password(lab: SalesforceLab) -> None:
    env = {**password_env(lab, SF_PASSWORD="wrong"), **lab.token_env()}
    assert lab.collect(env=env)["status"] == "collected"
    assert lab.emulator.logins == []


def test_instance_url_must_be_https(lab: SalesforceLab) -> None:
    with pytest.raises(InputError, match="SF_INSTANCE_URL"):
        lab.collect(env=lab.token_env(SF_INSTANCE_URL="acme.my.salesforce.com"))


# --- 3. username, password and security token -------------------------------------------

def test_password_login(lab: SalesforceLab) -> None:
    section = lab.collect(env=password_env(lab))
    assert section["org"]["name"] == "Acme Inc"
    assert lab.emulator.logins == [SOAP_LOGIN]
    assert lab.emulator.tunnels == ["login.salesforce.com:443"]
    assert section["requests"] == lab.emulator.request_count == 4  # the login is not counted


def test_password_login_to_a_sandbox(lab: SalesforceLab) -> None:
    lab.collect(env=password_env(lab, SF_DOMAIN="test"))
    assert lab.emulator.tunnels == ["test.salesforce.com:443"]


def test_password_comes_before_jwt(lab: SalesforceLab, tmp_path: Path) -> None:
    env = {**jwt_env(lab, tmp_path / "missing.key"), **password_env(lab)}
    lab.collect(env=env)
    assert lab.emulator.logins == [SOAP_LOGIN]


def test_refused_password_login(lab: SalesforceLab, capsys: pytest.CaptureFixture[str]) -> None:
    env = password_env(lab, SF_PASSWORD="Wrong-Passw0rd")
    with pytest.raises(SourceUnavailable) as caught:
        lab.collect(env=env)
    message = caught.value.message
    assert "refused the login" in message and "INVALID_LOGIN" in message
    assert "SF_SECURITY_TOKEN" in message
    assert_no_secret(["Wrong-Passw0rd", *lab.secrets()], message, capsys.readouterr().err)
    assert lab.emulator.request_count == 0


# --- 4. JWT bearer -----------------------------------------------------------------------

def test_jwt_login(lab: SalesforceLab, tmp_path: Path) -> None:
    private, public = rsa_key_pair()
    lab.scenario.jwt_public_key = public
    key_file = tmp_path / "server.key"
    key_file.write_text(private)
    section = lab.collect(env=jwt_env(lab, key_file))
    assert section["status"] == "collected"
    assert lab.emulator.logins == [JWT_LOGIN]


def test_jwt_refused(lab: SalesforceLab, tmp_path: Path) -> None:
    private, _ = rsa_key_pair()
    lab.scenario.jwt_public_key = rsa_key_pair()[1]  # the app holds another certificate
    key_file = tmp_path / "server.key"
    key_file.write_text(private)
    with pytest.raises(SourceUnavailable) as caught:
        lab.collect(env=jwt_env(lab, key_file))
    assert "refused the login" in caught.value.message
    body = private.splitlines()[1]
    assert_no_secret([body, *lab.secrets()], caught.value.message)


@pytest.mark.parametrize(("content", "expected"), [
    (None, "cannot be read"),
    ("not a key", "does not hold an RSA private key"),
])
def test_jwt_key_file_problems(lab: SalesforceLab, tmp_path: Path, content: str | None,
                               expected: str) -> None:
    key_file = tmp_path / "server.key"
    if content is not None:
        key_file.write_text(content)
    with pytest.raises(InputError) as caught:
        lab.collect(env=jwt_env(lab, key_file))
    assert "SF_PRIVATE_KEY_FILE" in str(caught.value) and expected in str(caught.value)


# --- configuration ------------------------------------------------------------------------

def test_no_credentials(lab: SalesforceLab) -> None:
    with pytest.raises(InputError) as caught:
        lab.collect(env=base_env())
    message = str(caught.value)
    for name in ("SF_INSTANCE_URL", "SF_ACCESS_TOKEN", "SF_SECURITY_TOKEN", "SF_CONSUMER_KEY",
                 "SF_PRIVATE_KEY_FILE", "--sf-target-org", "--no-salesforce"):
        assert name in message
    with pytest.raises(InputError, match="Found only: SF_PASSWORD, SF_USERNAME"):
        lab.collect(env=base_env(SF_USERNAME="u", SF_PASSWORD="p"))


def test_api_version_is_pinned(lab: SalesforceLab) -> None:
    section = lab.collect(env=lab.token_env(SF_API_VERSION="61.0"))
    assert section["api_version"] == "61.0"
    assert all("/v61.0/" in request for request in lab.emulator.rest_requests)
    with pytest.raises(InputError, match="SF_API_VERSION"):
        lab.collect(env=lab.token_env(SF_API_VERSION="v62"))


def test_ca_bundle_from_the_options_env(lab: SalesforceLab,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    env = lab.token_env(REQUESTS_CA_BUNDLE=str(lab.ca_bundle))
    assert lab.collect(env=env)["status"] == "collected"


def test_untrusted_certificate(lab: SalesforceLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    env = {k: v for k, v in lab.token_env().items() if not k.endswith("CA_BUNDLE")}
    with pytest.raises(SourceUnavailable) as caught:
        lab.collect(env=env)
    assert "REQUESTS_CA_BUNDLE" in caught.value.message
    assert caught.value.requests == 1  # a certificate problem is not retried
