"""The reports' jinja2 environment class (imported when a report is rendered)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment


class ReportEnvironment(Environment):
    """jinja2's Environment, reading `value.key` from a dict without first raising and
    catching an AttributeError: the reports read thousands of keys that way. A name
    that dict itself has (items, get, keys...) still means the method, as in jinja2."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and not hasattr(dict, attribute):
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)
