"""The exit codes every command shares, and their line in --help.

A module of its own so that the group (app.py) and the crash handler (crash.py) both
take them from here without importing each other.
"""

from auditor.safety.interrupts import EXIT_SIGINT, EXIT_SIGTERM

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_PARTIAL, EXIT_BUG = 0, 1, 2, 3, 4
# The README's exit-code table, in short; \b keeps click from rewrapping it.
EXIT_CODES = f"""\b
Exit codes: {EXIT_OK} no failing finding at or above --fail-on; {EXIT_FINDINGS} failing findings;
{EXIT_BAD_INPUT} bad input or usage; {EXIT_PARTIAL} a source asked for could not be collected;
{EXIT_BUG} a bug in the auditor (a crash file holds the details);
{EXIT_SIGINT}/{EXIT_SIGTERM} stopped by SIGINT (Ctrl-C)/SIGTERM, no file half-written."""
