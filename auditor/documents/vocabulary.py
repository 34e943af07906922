"""The words every stage shares: severities, report formats, profiles, schema names.

Kept here, at the bottom and free of imports, so that the command line can offer them
as choices without loading the engine or the reporters just to print --help.
"""

SEVERITIES = ("critical", "high", "medium", "low", "info")
STATUSES = ("pass", "fail", "unknown", "not_applicable", "waived")  # a finding's
# Report format -> file name (the onboarding profile writes checklist.* instead).
FORMATS = {"html": "report.html", "md": "report.md", "json": "report.json",
           "sarif": "report.sarif", "junit": "report.junit.xml",
           "codequality": "report.codequality.json"}
# Written when no --format is given: the human reports and the stable machine one.
DEFAULT_FORMATS = ("html", "md", "json")
PROFILES = ("audit", "onboarding")
SCHEMA_NAMES = ("settings", "snapshot", "rule", "report", "waivers", "config", "fleet")
MAX_WAIVER_DAYS = 365  # how far ahead a waiver may expire, unless the config says more
