"""Rule messages: small Jinja templates over the values a rule read and its parameters.

They render to plain text; each reporter escapes that text for its own format.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jinja2 is imported when a message is first compiled: it is slow to import
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment


@cache
def _environment() -> SandboxedEnvironment:
    from jinja2 import FunctionLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from auditor.safety.run_cache import template_cache

    # A message's name is its text: loaded through a loader, so that the compiled
    # message comes from the cache between runs when there is one.
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                loader=FunctionLoader(lambda text: text),
                                bytecode_cache=template_cache("message"))


@cache
def _compiled(text: str) -> Template:
    return _environment().get_template(text)


def template_problem(text: str) -> str | None:
    """Why the text is not a usable template, or None when it is."""
    from jinja2 import TemplateSyntaxError

    try:
        _compiled(text)
    except TemplateSyntaxError as exc:
        return f"{exc.message} (line {exc.lineno} of the message)"
    return None


def render_message(text: str, variables: dict[str, Any]) -> str:
    return " ".join(_compiled(text).render(variables).split())
