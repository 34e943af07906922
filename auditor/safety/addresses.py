"""Which web addresses a document may give for a report to link to."""

from __future__ import annotations

import re
from typing import Any

# No space, quote, angle bracket, backslash or backtick: nothing that could end an HTML
# attribute or a Markdown link destination early.
_HTTPS = re.compile(r"https://[^\s\"'<>\\`]+")


def https_url(value: Any) -> str | None:
    """The address when it is a plain https:// one; anything else gets no link."""
    text = str(value or "")
    return text if _HTTPS.fullmatch(text) else None
