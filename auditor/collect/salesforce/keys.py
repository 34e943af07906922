"""Checking SF_PRIVATE_KEY_FILE before it is used to sign the JWT bearer assertion.

The JWT bearer flow signs with RS256, so the file must hold an unencrypted RSA private
key in PEM. Anything else (a passphrase-protected key, the certificate or public key
that belongs in the connected app, a DER or PKCS#12 file) is the user's to fix: an
InputError naming the variable, the file and what was expected, before any request.
cryptography comes with simple-salesforce (it requires pyjwt[crypto]).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from auditor.documents.errors import InputError
from auditor.safety.slots import shape

_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
_PRIVATE_LABELS = {b"PRIVATE KEY", b"RSA PRIVATE KEY", b"ENCRYPTED PRIVATE KEY",
                   b"EC PRIVATE KEY", b"DSA PRIVATE KEY", b"OPENSSH PRIVATE KEY"}
_EXPECTED = ("expected an unencrypted RSA private key in PEM format (a file starting with "
             "-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)")


def private_key(path: str) -> str:
    """The PEM text of the RSA private key in `path`, or InputError saying what is wrong."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        problem = f"cannot be read ({exc.strerror or type(exc).__name__})"
        if not os.path.lexists(path):
            # Not a path, it may be a secret in the wrong place (the key itself): its
            # shape, never the value.
            raise InputError(f"SF_PRIVATE_KEY_FILE {shape(path)}: it {problem}; {_EXPECTED}."
                             ) from None
        raise _bad(path, problem) from None
    labels = set(_LABEL.findall(data))
    if not labels:
        raise _bad(path, "is not a PEM file")
    if not labels & _PRIVATE_LABELS:
        held = ("a certificate" if any(b"CERTIFICATE" in label for label in labels)
                else "a public key" if any(b"PUBLIC KEY" in label for label in labels)
                else "no private key")
        raise _bad(path, f"holds {held} (the certificate belongs in the connected app; "
                         "SF_PRIVATE_KEY_FILE is the private key it was made from)")
    if b"ENCRYPTED PRIVATE KEY" in labels or b"Proc-Type: 4,ENCRYPTED" in data:
        raise _encrypted(path)
    try:
        key = load_pem_private_key(data, password=None)
    except TypeError:  # cryptography's word for "this key needs a password"
        raise _encrypted(path) from None
    except (ValueError, UnsupportedAlgorithm):
        raise _bad(path, "holds a private key that cannot be read") from None
    if not isinstance(key, RSAPrivateKey):
        raise _bad(path, "holds a private key of another kind than RSA (the JWT bearer flow "
                         "signs with RS256)")
    return data.decode("ascii", errors="replace")


def _encrypted(path: str) -> InputError:
    return _bad(path, "holds a passphrase-protected key, which the auditor cannot use; write "
                      "an unencrypted copy for it, e.g. `openssl pkey -in KEY -out server.key`")


def _bad(path: str, problem: str) -> InputError:
    return InputError(f"SF_PRIVATE_KEY_FILE {problem}; {_EXPECTED}.", file=path)
