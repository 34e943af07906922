"""What redaction may skip (issue 13: it is a fifth of a fleet target's CPU): a text
shorter than every form a hit can take is never searched. Counted, never timed."""

from __future__ import annotations

from typing import Any

import pytest

from auditor.safety import redaction
from auditor.safety.redaction import REDACTED, Redactor

TOKEN = "tok-6f2a9c0d8e7b1a5f"  # 19 characters: hits are 12 or more
PASSWORD = "Pw7x"  # 4 characters: a whole word only


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    searched: list[str] = []
    spans = redaction._Finder.spans

    def counted(self: Any, text: str) -> Any:
        searched.append(text)
        return spans(self, text)

    monkeypatch.setattr(redaction._Finder, "spans", counted)
    return searched


def test_texts_shorter_than_any_hit_are_not_searched(searches: list[str]) -> None:
    redact = Redactor([TOKEN])
    data = {"status": "fail", "rule_id": "x.y", "reason": f"rejected {TOKEN[:12]}…",
            "n": ["short", "%41%42"]}
    assert redact.data(data) == {"status": "fail", "rule_id": "x.y",
                                 "reason": f"rejected {REDACTED}…", "n": ["short", "%41%42"]}
    # The reason, and it with its runs of base64 or hex characters decoded.
    assert searches[0] == f"rejected {TOKEN[:12]}…" and len(searches) == 2


def test_a_short_secret_sets_how_short_a_hit_can_be(searches: list[str]) -> None:
    redact = Redactor([TOKEN, PASSWORD])
    assert redact.data(["Pw7x", "abc", "%50w7x"]) == [REDACTED, "abc", REDACTED]
    assert searches == ["Pw7x", "%50w7x", "Pw7x"]  # the last: "%50w7x" decoded
