"""Signing in to Salesforce: each way, the order of precedence, and each way failing."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from auditor.collect import SourceUnavailable
from auditor.documents.errors import InputError
from tests.emulators.salesforce import Fault
from tests.salesforce_lab import SalesforceLab, assert_no_secret

pytest_plugins = ("tests.salesforce_fixtures",)

SOAP_LOGIN = "POST /services/Soap/u/62.0"
JWT_LOGIN = "POST /services/oauth2/token"


def fake_sf(directory: Path, answer: Any, exit_code: int = 0) -> Path:
    """A stand-in `sf` executable that logs its arguments and prints `answer` (as JSON,
    unless it is a text)."""
    directory.mkdir(exist_ok=True)
    log = directory / "sf-calls.log"
    script = directory / "sf"
    printed = answer if isinstance(answer, str) else json.dumps(answer)
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"print({printed!r})\nsys.exit({exit_code})\n")
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
    # The CLI names the user; UserInfo adds the Id, in the first round.
    assert section["requests"] == 5
    assert (section["audited_as"]["user_id"], section["audited_as"]["username"]) == (
        "005000000000001AAA", "admin@acme.example")


def test_a_redacted_token_is_fetched_with_show_access_token(lab: SalesforceLab,
                                                            tmp_path: Path) -> None:
    # Since May 2026 the CLI redacts the token from `sf org display` (forcedotcom/cli#3560).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    display = {"status": 0, "result": {
        "accessToken": "[REDACTED] Use 'sf org auth show-access-token' to view",
        "instanceUrl": lab.emulator.base_url, "username": lab.scenario.username}}
    shown = {"status": 0, "result": {"accessToken": lab.scenario.access_token}}
    script = bin_dir / "sf"
    script.write_text(
        f"#!{sys.executable}\nimport sys, json\n"
        f"open({str(bin_dir / 'calls.log')!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"print(json.dumps({shown!r} if 'show-access-token' in sys.argv else {display!r}))\n")
    script.chmod(0o755)
    env = base_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    section = lab.collect(env=env, target_org="acme-prod")
    assert section["org"]["name"] == "Acme Inc"
    assert (bin_dir / "calls.log").read_text().splitlines() == [
        "org display --json --target-org acme-prod",
        "org auth show-access-token --json --target-org acme-prod"]


def test_no_token_anywhere_is_bad_input(lab: SalesforceLab, tmp_path: Path) -> None:
    fake_sf(tmp_path / "bin", {"status": 0, "result": {
        "accessToken": "[REDACTED]", "instanceUrl": lab.emulator.base_url}})
    with pytest.raises(InputError) as caught:
        lab.collect(env=base_env(PATH=str(tmp_path / "bin")), target_org="acme-prod")
    assert "show-access-token --json --target-org acme-prod` printed no access token" in str(
        caught.value)


@pytest.mark.parametrize(("printed", "expected"), [
    ("Warning: update available", "did not print JSON; check that `sf` on PATH is the "
                                   "Salesforce CLI."),
    ([{"result": {}}], "printed JSON that is not an object"),
    ({"status": 0, "result": 42}, "failed: no details"),
    ({"status": 1, "message": {"text": "odd"}}, "failed: no details"),
    ({"status": 0, "result": {"accessToken": "00D!x", "instanceUrl": "http://acme.example"}},
     "printed no https:// instanceUrl"),
])
def test_a_cli_answer_that_is_not_what_it_should_be(lab: SalesforceLab, tmp_path: Path,
                                                    printed: Any, expected: str) -> None:
    fake_sf(tmp_path / "bin", printed)
    with pytest.raises(InputError) as caught:
        lab.collect(env=base_env(PATH=str(tmp_path / "bin")), target_org="acme-prod")
    assert str(caught.value).startswith("`sf org display --json --target-org acme-prod` ")
    assert expected in str(caught.value)
    assert lab.emulator.request_count == 0


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
    # The login is not counted, and its answer names the user: no UserInfo request.
    assert section["requests"] == lab.emulator.request_count == 4
    assert (section["audited_as"]["user_id"], section["audited_as"]["username"]) == (
        "005000000000001AAA", "admin@acme.example")


def test_password_login_stays_on_api_64_when_rest_goes_further(lab: SalesforceLab) -> None:
    # SOAP login() is not available from API 65.0 on; the REST calls still use 66.0.
    section = lab.collect(env=password_env(lab, SF_API_VERSION="66.0"))
    assert lab.emulator.logins == ["POST /services/Soap/u/64.0"]
    assert section["api_version"] == "66.0"
    assert all("/v66.0/" in request for request in lab.emulator.rest_requests)
    lab.emulator.logins.clear()
    lab.collect(env=password_env(lab, SF_API_VERSION="61.0"))
    assert lab.emulator.logins == ["POST /services/Soap/u/61.0"]


@pytest.mark.parametrize(("answer", "expected"), [
    ("<html><body>Our proxy says no</body></html>", "was not a Salesforce login answer"),
    ("<Envelope><Body><loginResponse><result><serverUrl>https://x y/</serverUrl>"
     "<sessionId>abc</sessionId></result></loginResponse></Body></Envelope>",
     "named no access token and instance"),
])
def test_a_soap_login_answer_of_the_wrong_shape(lab: SalesforceLab, answer: str,
                                                expected: str) -> None:
    lab.scenario.faults.append(Fault("/services/Soap/u/", raw=answer, content_type="text/xml"))
    with pytest.raises(SourceUnavailable) as caught:
        lab.collect(env=password_env(lab))
    assert expected in caught.value.message and "SF_DOMAIN" in caught.value.message
    assert lab.emulator.request_count == 0


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
    # The token answer's identity URL ends with the user's Id: no UserInfo request.
    assert section["requests"] == 4
    assert (section["audited_as"]["user_id"], section["audited_as"]["username"]) == (
        "005000000000001AAA", "admin@acme.example")


@pytest.mark.parametrize("answer", [
    "<html>Proxy error</html>", "[]", '{"access_token": "t", "instance_url": null}',
])
def test_a_token_answer_of_the_wrong_shape(lab: SalesforceLab, tmp_path: Path,
                                           answer: str) -> None:
    private, public = rsa_key_pair()
    lab.scenario.jwt_public_key = public
    key_file = tmp_path / "server.key"
    key_file.write_text(private)
    lab.scenario.faults.append(Fault("/services/oauth2/token", raw=answer,
                                     content_type="application/json"))
    with pytest.raises(SourceUnavailable) as caught:
        lab.collect(env=jwt_env(lab, key_file))
    assert "https://login.salesforce.com" in caught.value.message
    assert lab.emulator.request_count == 0


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


def pem(key: Any, encryption: Any = None, *,
        form: Any = serialization.PrivateFormat.PKCS8) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, form,
                             encryption or serialization.NoEncryption())


def key_files() -> dict[str, tuple[bytes | None, str]]:
    """Key files that cannot sign the JWT assertion, and what the message says of each."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    certificate = trustme.CA().cert_pem.bytes()
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    locked = serialization.BestAvailableEncryption(b"passphrase")
    return {
        # A path to nothing may be a secret in the wrong place: its shape, not the path.
        "missing": (None, "holds {length} characters that look like a file path: it cannot "
                          "be read (No such file or directory)"),
        "text": (b"not a key", "is not a PEM file"),
        "der": (der, "is not a PEM file"),
        "public key": (public, "holds a public key"),
        "certificate": (certificate, "holds a certificate"),
        "encrypted pkcs8": (pem(key, locked), "holds a passphrase-protected key"),
        "encrypted pkcs1": (pem(key, locked, form=serialization.PrivateFormat.TraditionalOpenSSL),
                            "holds a passphrase-protected key"),
        "ec key": (pem(ec.generate_private_key(ec.SECP256R1())),
                   "holds a private key of another kind than RSA"),
        "damaged": (pem(key).replace(b"\n", b"\n!", 3), "holds a private key that cannot be "
                                                          "read"),
    }


KEY_FILES = key_files()


@pytest.mark.parametrize("kind", list(KEY_FILES))
def test_key_files_that_cannot_work_are_bad_input(lab: SalesforceLab, tmp_path: Path,
                                                  kind: str) -> None:
    content, expected = KEY_FILES[kind]
    key_file = tmp_path / "server.key"
    if content is not None:
        key_file.write_bytes(content)
    with pytest.raises(InputError) as caught:
        lab.collect(env=jwt_env(lab, key_file))
    message = str(caught.value)
    named = "" if content is None else f"{key_file}: "
    assert message.startswith(f"{named}SF_PRIVATE_KEY_FILE "
                              + expected.format(length=len(str(key_file))))
    assert message.endswith("expected an unencrypted RSA private key in PEM format (a file "
                            "starting with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA "
                            "PRIVATE KEY-----).")
    assert lab.emulator.logins == [] and lab.emulator.request_count == 0


def test_a_traditional_rsa_key_works(lab: SalesforceLab, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    lab.scenario.jwt_public_key = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    key_file = tmp_path / "server.key"
    key_file.write_bytes(pem(key, form=serialization.PrivateFormat.TraditionalOpenSSL))
    assert lab.collect(env=jwt_env(lab, key_file))["status"] == "collected"


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
    assert all("/v61.0/" in request for request in lab.emulator.rest_requests
               if "/services/data/" in request)
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
    assert caught.value.requests == 4  # the first round, none of it retried
