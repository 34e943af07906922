"""Dates and timestamps: RFC 3339, and nothing else, wherever the tool reads one.

Python's own ISO 8601 parser takes more than RFC 3339 allows (week dates, hours without
minutes, no separators) and refuses some of what it does allow (a lower-case t or z,
a leap second), so both the schemas' format checks and the code reading values go
through these functions. Years are bounded well inside Python's calendar (years 1 to
9999) so that converting to UTC and counting days back from a moment never leave it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

EARLIEST_YEAR = 1900
LATEST_YEAR = 9998
YEARS = f"from {EARLIEST_YEAR} to {LATEST_YEAR}"

_FULL_DATE = r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
_DATE = re.compile(_FULL_DATE)
# RFC 3339 section 5.6; "T" and "Z" may be written in lower case (the note under the ABNF).
_DATE_TIME = re.compile(
    _FULL_DATE
    + r"[Tt](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<off_hour>[0-9]{2}):(?P<off_minute>[0-9]{2}))"
)


def parse_date(text: str) -> date:
    """An RFC 3339 full-date (YYYY-MM-DD); ValueError saying why otherwise."""
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError("not written YYYY-MM-DD")
    return _calendar_date(match)


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 date-time, as an aware datetime; ValueError saying why otherwise.

    A leap second (:60) is read as the last instant of second 59: Python's datetime has
    no 60th second, and one second never changes an audit's outcome.
    """
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise ValueError("not an RFC 3339 timestamp")
    day = _calendar_date(match)
    hour, minute, second = (int(match[name]) for name in ("hour", "minute", "second"))
    if hour > 23 or minute > 59 or second > 60:
        raise ValueError(f"there is no time {hour:02}:{minute:02}:{second:02}")
    fraction = int((match["fraction"] or "0")[:6].ljust(6, "0"))
    if second == 60:
        second, fraction = 59, 999_999
    offset = timedelta()
    if match["sign"]:
        off_hour, off_minute = int(match["off_hour"]), int(match["off_minute"])
        if off_hour > 23 or off_minute > 59:
            raise ValueError(f"there is no time zone offset {off_hour:02}:{off_minute:02}")
        offset = timedelta(hours=off_hour, minutes=off_minute)
        if match["sign"] == "-":
            offset = -offset
    zone = UTC if offset == timedelta() else timezone(offset)
    return datetime(day.year, day.month, day.day, hour, minute, second, fraction, tzinfo=zone)


def _calendar_date(match: re.Match[str]) -> date:
    year, month, day = (int(match[name]) for name in ("year", "month", "day"))
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"the year {year} is outside the years this tool accepts, {YEARS}")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"there is no day {day:02} in month {month:02} of {year}") from None

