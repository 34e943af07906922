"""Template filters shared by the reporters."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def md(value: Any) -> str:
    """Text safe inside GitHub-flavoured Markdown: no markup, no HTML, no table breaks."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


FILTERS: dict[str, Callable[..., Any]] = {"md": md, "pretty_json": pretty_json}
