"""auditor/safety/secrets.py: what is redacted, what is left, and the ways in (data, streams,
the environment). The channels end to end are in tests/test_secrets_matrix.py."""

from __future__ import annotations

import base64
import html
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from auditor.safety import secrets, slots
from auditor.safety.secrets import REDACTED, Redactor, environment_secrets, private_key_parts
from tests.secret_leaks import TRANSFORMS, assert_no_leak
from tests.test_salesforce_auth import rsa_key_pair

SECRET = "Pw<&>'\"correct horse"
TOKEN = "00D5g000004XyZa!AQ4AQFakeAccessToken.Lp9xWq2Ze7Rt_Yu4Io8Pa3Sd"


@pytest.mark.parametrize("form", TRANSFORMS)
def test_each_form_is_replaced_and_the_text_around_it_kept(form: str) -> None:
    text = f"a&amp;b 50% C:\\new {TRANSFORMS[form](SECRET)} done"
    redacted = Redactor([SECRET])(text)
    assert redacted.startswith("a&amp;b 50% C:\\new ") and redacted.endswith(" done")
    assert REDACTED in redacted
    assert_no_leak([SECRET], text=redacted)


def test_a_cut_off_secret_counts_from_12_characters() -> None:
    secret = "AQ4AQFakeAccessTokenThatMustNotLeak"
    redactor = Redactor([secret])
    assert redactor(f"<{secret[:11]}> <{secret[:12]}> <{secret[:20]}x>") == (
        f"<{secret[:11]}> <{REDACTED}> <{REDACTED}x>")


def test_the_org_id_heading_an_access_token_is_no_secret() -> None:
    """The snapshot names the org; only what follows the "!" is the token's own: its
    start counts from one character past the "!", and any other part of it from 12
    characters after the "!"."""
    redactor = Redactor([TOKEN])
    public = "org 00D5g000004XyZaEAK, /id/00D5g000004XyZa/005x, 00D5g000004XyZa!"
    assert redactor(f"{public} {TOKEN[:17]}") == f"{public} {REDACTED}"
    assert redactor(f"<{TOKEN[17:28]}> <{TOKEN[17:29]}>") == f"<{TOKEN[17:28]}> <{REDACTED}>"


def test_any_part_of_a_secret_counts_from_12_characters_in_any_case() -> None:
    secret = "AQ4AQFakeAccessTokenThatMustNotLeak"
    redactor = Redactor([secret, TOKEN])
    middle = secret[9:21]
    assert redactor(f"<{secret[9:20]}> <{middle}> <{middle.lower()}> <{TOKEN[30:42].upper()}>"
                    ) == f"<{secret[9:20]}> <{REDACTED}> <{REDACTED}> <{REDACTED}>"


@pytest.mark.parametrize("encode", [bytes.hex, lambda data: data.hex().upper(),
                                    lambda data: "0x" + data.hex(),
                                    lambda data: base64.b64encode(data).decode()])
def test_a_part_of_a_secret_inside_hex_or_base64_is_found(encode: Callable[[bytes], str]
                                                          ) -> None:
    encoded = encode(b"prefix:" + TOKEN[20:40].encode() + b" and more")
    assert Redactor([TOKEN])(f"sent: {encoded}.") == f"sent: {REDACTED}."


def test_short_secrets_are_redacted_as_whole_words_only() -> None:
    redactor = Redactor(["pa55w", "abc"])  # 5 characters: words only; 3: never
    assert redactor("pa55w, x%20pa55w; bypa55wd abc") == (
        f"{REDACTED}, x%20{REDACTED}; bypa55wd abc")


@pytest.mark.parametrize("before", [b"", b"u", b"us", b"use", b"user:", b"Basic xy:"])
def test_base64_finds_a_secret_at_any_offset_in_a_longer_value(before: bytes) -> None:
    encoded = base64.b64encode(before + SECRET.encode() + b"!trailing").decode()
    redacted = Redactor([SECRET])(f"Authorization: Basic {encoded}")
    assert REDACTED in redacted
    assert_no_leak([SECRET], text=redacted)


def test_escapes_of_escapes_are_read_through() -> None:
    twice = html.escape(html.escape(SECRET))  # Pw&amp;lt;&amp;amp;...
    in_json_in_html = html.escape(TRANSFORMS["json"](SECRET))
    redactor = Redactor([SECRET])
    assert redactor(f"[{twice}] [{in_json_in_html}]") == f"[{REDACTED}] [{REDACTED}]"


def test_a_key_file_is_redacted_line_by_line_and_its_armour_kept() -> None:
    pem, _ = rsa_key_pair()
    redacted = Redactor(private_key_parts(pem))(f"key: {pem}")
    assert redacted.splitlines()[0] == "key: -----BEGIN PRIVATE KEY-----"
    assert redacted.splitlines()[-1] == "-----END PRIVATE KEY-----"
    assert set(redacted.splitlines()[1:-1]) == {REDACTED}
    one_line = "".join(pem.splitlines()[1:-1])
    assert Redactor(private_key_parts(pem))(one_line) == REDACTED


def test_nothing_is_changed_when_no_secret_is_there() -> None:
    text = "&bogus; %zz \\q &#x110000; \\ud800 50%25 a&b"
    assert Redactor([SECRET, TOKEN])(text) == text
    assert Redactor()(SECRET) == SECRET


def test_data_is_redacted_in_keys_and_values_and_keeps_its_kinds() -> None:
    data = {"reason": f"401: {SECRET}", SECRET: [1, None, (f"x{SECRET}",)],
            "safe": Markup("<b>ok</b>"), "leak": Markup(f"<b>{html.escape(SECRET)}</b>")}
    redacted = Redactor([SECRET]).data(data)
    assert redacted == {"reason": f"401: {REDACTED}", REDACTED: [1, None, (f"x{REDACTED}",)],
                        "safe": Markup("<b>ok</b>"), "leak": Markup(f"<b>{REDACTED}</b>")}
    assert redacted["safe"] is data["safe"] and isinstance(redacted["leak"], Markup)


def test_secrets_added_later_count_from_then_on() -> None:
    redactor = Redactor()
    assert redactor(SECRET) == SECRET
    redactor.add(SECRET, "", "abc")
    assert redactor(SECRET) == REDACTED


def test_the_environment_gives_every_credential(tmp_path: Path) -> None:
    pem, _ = rsa_key_pair()
    key = tmp_path / "server.key"
    key.write_text(pem)
    found = environment_secrets({"SF_PASSWORD": "pw-secret ", "SF_SECURITY_TOKEN": "tok",
                                 "SF_CONSUMER_KEY": "3MVG9key", "INTERCOM_ACCESS_TOKEN": "ic",
                                 "SF_PRIVATE_KEY_FILE": str(key), "SF_USERNAME": "not@secret"})
    assert {"pw-secret ", "pw-secret", "tok", "pw-secret tok", "3MVG9key", "ic"} <= set(found)
    assert set(private_key_parts(pem)) <= set(found)
    assert "not@secret" not in found


def test_a_key_variable_naming_a_pipe_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    # Its name counts as a secret in the wrong place (it names no regular file).
    assert set(environment_secrets({"SF_PRIVATE_KEY_FILE": str(fifo)})) == {"", str(fifo)}


def test_streams_are_redacted_while_inside(capsys: pytest.CaptureFixture[str]) -> None:
    secrets.start_over(SECRET)
    with secrets.redacting_streams():
        print(f"progress: {SECRET}")
        click.echo(f"error: {html.escape(SECRET)}", err=True)
        assert not hasattr(sys.stdout, "buffer")  # click cannot write around it
        with pytest.raises(TypeError):
            sys.stdout.write(b"bytes")  # type: ignore[arg-type]
    print(SECRET)
    assert capsys.readouterr() == (f"progress: {REDACTED}\n{SECRET}\n", f"error: {REDACTED}\n")
    secrets.start_over()


def test_near_misses_of_a_secret_are_left_as_they_are() -> None:
    """The org Id and "!" heading a token, and its first 12 characters, again and again:
    each is a hit to extend, and none is the token."""
    near_misses = TOKEN[:16] * 20_000 + TOKEN[:12] * 20_000
    assert Redactor([TOKEN])(near_misses) == near_misses


@settings(max_examples=300, deadline=None)
@given(secret=st.text(st.characters(min_codepoint=32, max_codepoint=0x24F), min_size=8,
                      max_size=40),
       form=st.sampled_from(list(TRANSFORMS)),
       before=st.text(st.sampled_from("abcxyz019 .,:;()=-"), max_size=20),
       after=st.text(st.sampled_from("abcxyz019 .,:;()=-"), max_size=20))
def test_any_secret_in_any_form_anywhere_is_redacted(secret: str, form: str, before: str,
                                                     after: str) -> None:
    assume(len(set(secret)) > 4)  # "aaaaaaaa" would also be found in the text around it
    echoed = f"{before} {TRANSFORMS[form](secret)} {after}"
    assert_no_leak([secret], text=Redactor([secret])(echoed))


def test_process_redactor_starts_over(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets.start_over(SECRET)
    secrets.register(TOKEN)
    assert secrets.redact(f"{SECRET} {TOKEN}") == f"{REDACTED} {REDACTED}"
    assert secrets.redact_data({"k": [TOKEN]}) == {"k": [REDACTED]}
    secrets.start_over()
    assert secrets.redact(SECRET) == SECRET


def test_a_large_text_is_redacted_whole() -> None:
    text = io.StringIO()
    for n in range(20_000):
        text.write(f"line {n}: &quot;ok&quot; %20 \\n ")
    text.write(html.escape(SECRET))
    redacted = Redactor([SECRET, TOKEN])(text.getvalue())
    assert redacted.endswith(REDACTED) and redacted.count(REDACTED) == 1


@pytest.mark.parametrize(("value", "said"), [
    (TOKEN, "holds 61 characters that look like a Salesforce access token"),
    ("https://me:pw-1234@acme.my.salesforce.com", "holds 41 characters that look like a URL "
                                                  "starting https:// with a user name or "
                                                  "password in it"),
    ("http://acme.my.salesforce.com", "holds 29 characters that look like a URL starting "
                                      "http://"),
    ("jane@acme.example", "holds 17 characters that look like an email address or username"),
    ("v62", "holds 3 characters that look like a number"),
    ("europe", "holds 6 characters that look like a word"),
    ("3MVG9fTLmJ60pJ5KhPzOcQ4hbBwXG1T8tV", "holds 34 characters that look like an access "
                                          "token or key"),
    ("/home/jane/keys/server.key", "holds 26 characters that look like a file path"),
    ("-----BEGIN PRIVATE KEY-----\nMIIE", "holds 32 characters that look like a PEM key or "
                                          "certificate"),
    (SECRET, "holds 20 characters that look like text"),
    ("  ", "holds 2 characters, all spaces"),
])
def test_a_value_in_the_wrong_place_is_told_by_its_shape(value: str, said: str) -> None:
    assert slots.shape(value) == said


def test_a_value_that_does_not_fit_its_variable_may_be_a_secret(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("certificates")
    found = environment_secrets({
        "SF_INSTANCE_URL": TOKEN, "SF_ACCESS_TOKEN": "https://acme.my.salesforce.com",
        "INTERCOM_REGION": "ic-token-copied-here", "SF_USERNAME": "jane@acme.example",
        "INTERCOM_BASE_URL": "https://bot:pa%24s-word@api.intercom.io",
        "HTTPS_PROXY": "http://proxy-user:proxy-pass@proxy:3128", "SF_DOMAIN": "acme.my",
        "SSL_CERT_FILE": str(bundle), "SF_API_VERSION": "62.0"})
    assert {TOKEN, "https://acme.my.salesforce.com", "ic-token-copied-here",
            "bot:pa%24s-word", "pa%24s-word", "pa$s-word", "proxy-pass"} <= set(found)
    assert not {"jane@acme.example", "acme.my", str(bundle), "62.0"} & set(found)
