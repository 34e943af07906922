"""Rule messages: small Jinja templates over the values a rule read and its parameters.

They render to plain text; each reporter escapes that text for its own format.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@cache
def _compiled(text: str) -> Template:
    return _ENV.from_string(text)


def template_problem(text: str) -> str | None:
    """Why the text is not a usable template, or None when it is."""
    try:
        _compiled(text)
    except TemplateSyntaxError as exc:
        return f"{exc.message} (line {exc.lineno} of the message)"
    return None


def render_message(text: str, variables: dict[str, Any]) -> str:
    return " ".join(_compiled(text).render(variables).split())
