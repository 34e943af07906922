"""Named Python checks for the rules that compare values across systems.

Most rules are pure data (see rules/); these are the few that need arithmetic,
dates or matching across Salesforce and Intercom. Each registers itself with
@named_check where it is defined; importing every module here fills CHECKS, so a new
check touches one file.
"""

from importlib import import_module
from pkgutil import iter_modules

from auditor.engine.checks.base import CHECKS, CheckInput, Outcome

for _module in iter_modules(__path__):
    import_module(f"{__name__}.{_module.name}")

__all__ = ["CHECKS", "CheckInput", "Outcome"]
