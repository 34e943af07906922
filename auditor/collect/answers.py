"""Reading Intercom's JSON answers without trusting their shape.

Every value a reader takes from an answer goes through Fields, which either returns it in
the type the snapshot needs or raises ItemUnavailable naming the endpoint, the place in
the answer, what was expected and what came instead. Two strictness levels:

- fields a rule or the teammate mapping depends on (ids, emails, counts, flags, event
  types and times) must have the documented type, or the whole item is unavailable;
- fields that are only shown to a person (names, descriptions, time zones) become None
  when they have the wrong type, so a cosmetic oddity never hides evidence.
"""

from __future__ import annotations

from typing import Any

# An absent key, told apart from an explicit null.
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
# The largest epoch second Python's datetime can show (the last second of year 9999).
_LATEST_EPOCH = 253_402_300_799
_QUOTE_MAX = 40


class ItemUnavailable(Exception):
    """One piece of evidence could not be read; `reason` names the request and the answer."""

    def __init__(
        self, reason: str, *, unreachable: bool = False, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        # True when no HTTP answer came back at all (connection refused, reset, timeout).
        self.unreachable = unreachable
        # The HTTP status of an error answer, when there was one.
        self.status = status


def describe(value: Any) -> str:
    """A short, safe phrase for what an answer held, for reasons a person reads."""
    if value is MISSING:
        return "nothing (the key is absent)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {quote(value)}" if value else "an empty text"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        keys = [quote(str(key)) for key in list(value)[:4]]
        more = ", ..." if len(value) > 4 else ""
        return f"an object with keys {', '.join(keys)}{more}" if keys else "an empty object"
    return f"a {type(value).__name__}"


def quote(text: str) -> str:
    """At most _QUOTE_MAX characters of `text`, quoted with control characters escaped."""
    short = text if len(text) <= _QUOTE_MAX else text[:_QUOTE_MAX] + "..."
    return repr(short)


class Fields:
    """One JSON object of an answer, read field by field."""

    def __init__(self, what: str, data: Any, path: str = "") -> None:
        self.what = what  # the request, e.g. "GET /admins"
        self.path = path  # where this object sits in the answer, e.g. "admins[3]"
        if not isinstance(data, dict):
            raise ItemUnavailable(
                f"{what}: expected {path or 'the answer'} to be an object, got {describe(data)}"
            )
        self.data: dict[str, Any] = data

    def raw(self, key: str) -> Any:
        return self.data.get(key, MISSING)

    def wrong(self, key: str, expected: str) -> ItemUnavailable:
        where = f"{self.path}.{key}" if self.path else key
        return ItemUnavailable(
            f"{self.what}: expected {where} to be {expected}, got {describe(self.raw(key))}"
        )

    def kind(self, expected: str) -> None:
        """Intercom's `type` names the object; a different one means a different answer."""
        value = self.raw("type")
        if value is not MISSING and value != expected:
            raise self.wrong("type", repr(expected))

    def identifier(self, key: str) -> str:
        value = self.raw(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # documented as a string; a number still names the same thing
        raise self.wrong(key, "an id")

    def text(self, key: str) -> str | None:
        """A text a rule reads: a string, or null/absent/empty for none."""
        value = self.raw(key)
        if value is MISSING or value is None or value == "":
            return None
        if isinstance(value, str):
            return value
        raise self.wrong(key, "a text or null")

    def label(self, key: str) -> str | None:
        """A text only shown to people: anything but a non-empty string is None."""
        value = self.raw(key)
        return value if isinstance(value, str) and value else None

    def flag(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is MISSING or value is None:
            return None
        if isinstance(value, bool):
            return value
        raise self.wrong(key, "true, false or null")

    def count(self, key: str) -> int:
        value = self.raw(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise self.wrong(key, "a whole number of 0 or more")

    def optional_count(self, key: str) -> int | None:
        return None if self.raw(key) in (MISSING, None) else self.count(key)

    def epoch(self, key: str) -> int:
        value = self.raw(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _LATEST_EPOCH:
            return value
        raise self.wrong(key, "a UNIX timestamp")

    def child(self, key: str) -> Fields | None:
        """The object under `key`, or None when it is null or absent."""
        value = self.raw(key)
        if value is MISSING or value is None:
            return None
        return Fields(self.what, value, self._at(key))

    def items(self, key: str, *, skip_nulls: bool = False) -> list[Fields]:
        """The list under `key`, each element an object; null elements are dropped only
        where the description allows them (`skip_nulls`)."""
        value = self.raw(key)
        if not isinstance(value, list):
            raise self.wrong(key, "a list")
        return [
            Fields(self.what, item, f"{self._at(key)}[{n}]")
            for n, item in enumerate(value)
            if not (item is None and skip_nulls)
        ]

    def _at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key
