"""Masking customer email addresses (auditor/safety/privacy.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.safety.privacy import mask_emails


@pytest.mark.parametrize(("text", "masked"), [
    ("jane.doe@acme.example", "j***@acme.example"),
    ("see jane@acme.example, (bob@x.io) and [ann@b.co]", "see j***@acme.example, (b***@x.io) "
     "and [a***@b.co]"),
    ("x@@y.z, a@b, @acme.example", "x@@y.z, a@b, @acme.example"),  # no address here
    ("tom@a.example@b.example", "t***@a.example@b.example"),
])
def test_each_address_shows_its_first_letter_and_domain(text: str, masked: str) -> None:
    assert mask_emails(text) == masked


def test_a_long_value_is_masked_in_one_pass() -> None:
    # Hostile values reach error messages at up to 65,536 characters; a search that
    # started again from each character would take minutes here (pytest-timeout stops it).
    run = "x" * 1_000_000
    assert mask_emails(run) == run
    assert mask_emails(f"{run}@acme.example") == "x***@acme.example"
    assert mask_emails(f"@{run}.") == f"@{run}."


_SEPARATOR = re.compile(r"""([\s"'<>,;:()\[\]{}@])""")


def _by_tokens(text: str) -> str:
    """The same masking by another route: walk the runs between separators; a run, an @
    and a run with a dot inside it (not first, not last) are an address."""
    tokens = [token for token in _SEPARATOR.split(text) if token]
    out, index = [], 0
    while index < len(tokens):
        run = tokens[index]
        domain = tokens[index + 2] if index + 2 < len(tokens) else ""
        if (not _SEPARATOR.fullmatch(run) and tokens[index + 1:index + 2] == ["@"]
                and not _SEPARATOR.fullmatch(domain) and "." in domain[1:-1]):
            out += [f"{run[0]}***", "@", domain]
            index += 3
        else:
            out.append(run)
            index += 1
    return "".join(out)


@given(st.lists(st.sampled_from(["jo", "@", ".", "e", " ", ",", "<", "'", "\n", "é"]),
                max_size=40))
def test_masking_matches_a_walk_over_the_words(parts: list[str]) -> None:
    text = "".join(parts)
    assert mask_emails(text) == _by_tokens(text)
