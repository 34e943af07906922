"""Evidence that cannot be true, found before any rule reads it.

A snapshot is a trust boundary: it is saved, edited by hand, merged and audited again
offline, so passing the schema says only that each value has the right shape. These
checks look across values: an observation dated after the snapshot was taken, a count
smaller than its own examples, a token whose user is not among the integration users,
a null where a verdict needs a value. Each problem names the snapshot path it spoils;
the evidence lookup then answers every read that takes in that path with a Missing
whose reason is the problem, so no rule passes or fails on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from auditor.documents.snapshot import is_unavailable
from auditor.documents.timestamps import parse_date, parse_timestamp
from auditor.engine.checks.base import plural

# Observations may be stamped a little after the snapshot's created_at: the servers'
# clocks differ from ours, and the first requests go out just after it.
CLOCK_SKEW = timedelta(minutes=5)
_SKEW_TEXT = "allowing 5 minutes for clocks that differ"
# A settings file's attested_at is the attester's local date, which runs up to 14 hours
# ahead of UTC (UTC+14, the easternmost time zone).
_LOCAL_DATE_LEAD = timedelta(hours=14)

_RECOLLECT = ("collect the snapshot again (`auditor collect`), or correct the value in the "
              "snapshot file")
_REPLACE_SETTINGS = (
    "correct attested_at in the settings file if it is a typo; if the settings really were "
    "read after the snapshot, audit them against a new one (`auditor audit --settings FILE` "
    "collects it)"
)
_SEE_EVERY_TOKEN = (
    "give the auditing user Customize Application (Salesforce's OauthToken reference: only "
    "users with it see every user's tokens), then collect again"
)


class Problem(NamedTuple):
    """One impossibility: the snapshot path it spoils, what is wrong, how to put it right."""

    path: str
    reason: str
    how_to_fix: str = _RECOLLECT

    def spoils(self, path: str) -> bool:
        """Whether a read of path takes in the spoiled value, or lies inside it."""
        return (path == self.path or self.path.startswith(path + ".")
                or path.startswith(self.path + "."))


def find_problems(snapshot: dict[str, Any]) -> tuple[Problem, ...]:
    """Every inconsistency in a snapshot that has already passed its schema."""
    created = _moment(snapshot.get("created_at"))
    if created is None:
        return ()  # the schema check refuses such a snapshot; nothing to measure against
    problems = list(_settings_problems(snapshot.get("settings"), created))
    for source, find in (("salesforce", _salesforce_problems), ("intercom", _intercom_problems)):
        section = snapshot.get(source)
        if isinstance(section, dict) and section.get("status") in ("collected", "partial"):
            problems += find(section, created)
    return tuple(problems)


# --- dates ----------------------------------------------------------------------------

def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        return None


def _shown(moment: datetime) -> str:
    # Written in the moment's own offset: converting to UTC could leave the calendar.
    return moment.isoformat().replace("+00:00", "Z")


def _window_start(end: datetime, days: int) -> datetime | None:
    """days before end; None when that is before any date the calendar holds."""
    try:
        return end - timedelta(days=days)
    except OverflowError:
        return None


def _after_snapshot(path: str, label: str, text: Any, created: datetime) -> Iterator[Problem]:
    moment = _moment(text)
    if moment is not None and moment - created > CLOCK_SKEW:
        yield Problem(path, f"{label} is {text}, after the snapshot was taken "
                      f"({_shown(created)}, {_SKEW_TEXT}): nothing is observed before it "
                      "happens")


def _settings_problems(settings: Any, created: datetime) -> Iterator[Problem]:
    if not isinstance(settings, dict) or not isinstance(settings.get("attested_at"), str):
        return
    try:
        attested = parse_date(settings["attested_at"])
    except ValueError:
        return
    latest: date = (created + _LOCAL_DATE_LEAD).date()
    if attested > latest:
        yield Problem(
            "settings.attested_at",
            f"the settings are dated {attested.isoformat()}, after the snapshot was taken on "
            f"{created.date().isoformat()}: settings read later cannot say how the app was set "
            "up when the evidence was collected",
            _REPLACE_SETTINGS)


# --- Salesforce -----------------------------------------------------------------------

def _data(section: dict[str, Any], name: str, kind: type) -> Any:
    """An evidence item that was read and has the expected shape, else None."""
    value = section.get(name)
    return value if isinstance(value, kind) and not is_unavailable(value) else None


def _salesforce_problems(section: dict[str, Any], created: datetime) -> list[Problem]:
    problems = list(_after_snapshot("salesforce", "Salesforce `collected_at`",
                                    section.get("collected_at"), created))
    tokens = _data(section, "intercom_tokens", list)
    users = _data(section, "integration_users", list)
    for index, token in enumerate(tokens or []):
        item = f"intercom_tokens.{index}.last_used_date"
        problems += _after_snapshot(f"salesforce.{item}", f"Salesforce `{item}`",
                                    token.get("last_used_date"), created)
    problems += _token_visibility(section, tokens)
    problems += _record_visibility(section)
    if tokens is not None and users is not None:
        problems += _token_users_listed(tokens, users)
    for index, user in enumerate(users or []):
        if user.get("profile_name") is None:
            problems.append(Problem(
                f"salesforce.integration_users.{index}.profile_name",
                f"Salesforce integration user {user['id']} has no profile name (null): without "
                "it nothing shows whether the user holds the administrator's profile; every "
                "Salesforce user has a profile, so the auditing user could not read it",
                "collect again with an auditing user who can read users' profiles (View Setup "
                "and Configuration), or correct the value in the snapshot file"))
    problems += _derived_from_tokens(section, problems)
    problems += _activity_window(section)
    for name in ("leads", "contacts"):
        quality = _data(section, name, dict)
        if quality is not None:
            problems += _email_quality(f"salesforce.{name}", f"Salesforce `{name}`", quality)
    allowance = _data(section, "api_allowance", dict)
    if allowance is not None and allowance["daily_remaining"] > allowance["daily_max"]:
        problems.append(Problem(
            "salesforce.api_allowance",
            f"Salesforce `api_allowance` has {allowance['daily_remaining']:,} daily API "
            f"requests remaining out of a maximum of {allowance['daily_max']:,}"))
    return problems


def _token_visibility(section: dict[str, Any], tokens: list[Any] | None) -> Iterator[Problem]:
    """A token list read by a user who sees only their own tokens may leave Intercom's out."""
    audited_as = _data(section, "audited_as", dict)
    if tokens is None or audited_as is None:
        return  # nothing says who read them (snapshots from before audited_as)
    permission = audited_as["permissions"]["customize_application"]
    if permission is True:
        return
    who = audited_as.get("username") or "the auditing user"
    lacks = "lacks" if permission is False else "may lack (Salesforce did not say)"
    yield Problem(
        "salesforce.intercom_tokens",
        f"the auditing user {who} {lacks} the Customize Application permission, without which "
        "Salesforce shows a user only their own OAuth tokens; Intercom's token may be missing "
        "from `intercom_tokens`, so its absence, last use and user prove nothing",
        _SEE_EVERY_TOKEN)


# Counts that can pass on a zero: a user who sees only some records may count zero
# duplicates, or zero Accounts written, where there are some.
_SHARED_COUNTS = ("leads.duplicate_emails", "contacts.duplicate_emails", "integration_activity")


def _record_visibility(section: dict[str, Any]) -> Iterator[Problem]:
    """Record counts made by a user without View All Data cover only what is shared with
    them: a low count proves nothing."""
    audited_as = _data(section, "audited_as", dict)
    if audited_as is None or audited_as["permissions"]["view_all_data"] is True:
        return
    who = audited_as.get("username") or "the auditing user"
    lacks = ("lacks" if audited_as["permissions"]["view_all_data"] is False
             else "may lack (Salesforce did not say)")
    for path in _SHARED_COUNTS:
        if _data(section, path.split(".")[0], dict) is not None:
            yield Problem(
                f"salesforce.{path}",
                f"the auditing user {who} {lacks} View All Data, so Salesforce counted only "
                "the Leads, Contacts, Tasks and Accounts shared with them; a count of zero "
                "may hide records they cannot see",
                "give the auditing user View All Data (or collect as a user who has it), "
                "then collect again")


def _salesforce_id(value: str) -> str:
    # An 18-character Salesforce Id is the 15-character one plus a checksum suffix.
    return value[:15] if len(value) == 18 else value


def _token_users_listed(tokens: list[Any], users: list[Any]) -> Iterator[Problem]:
    listed = {_salesforce_id(user["id"]) for user in users}
    absent = sorted({t["user_id"] for t in tokens if _salesforce_id(t["user_id"]) not in listed})
    if absent:
        yield Problem(
            "salesforce.integration_users",
            f"Salesforce `intercom_tokens` names {', '.join(absent)} as the user of an Intercom "
            "token, but `integration_users` does not list "
            f"{'that user' if len(absent) == 1 else 'those users'}: the integration users' "
            "rights and records cannot all be checked")


def _derived_from_tokens(section: dict[str, Any], found: list[Problem]) -> Iterator[Problem]:
    """The integration users, and their records, are those of the tokens' users: when the
    token list is unreadable or may be incomplete, so are they."""
    tokens: Any = section.get("intercom_tokens")
    if is_unavailable(tokens):
        cause = f"could not be read: {tokens['reason']}"
        how = _RECOLLECT
    else:
        incomplete = [p for p in found if p.path == "salesforce.intercom_tokens"]
        if not incomplete:
            return
        cause, how = f"may be incomplete: {incomplete[0].reason}", incomplete[0].how_to_fix
    derived = [name for name in ("integration_users", "integration_activity")
               if section.get(name) is not None and not is_unavailable(section.get(name))]
    # One reason for both items, so a rule reading both says it once.
    reason = ("the integration users and their records (Salesforce `integration_users` and "
              "`integration_activity`) are those of the Intercom OAuth tokens' users, and the "
              f"tokens {cause}")
    for name in derived:
        yield Problem(f"salesforce.{name}", reason, how)


def _activity_window(section: dict[str, Any]) -> Iterator[Problem]:
    """Counts are only as good as the window they claim: `since` must be window_days
    before the collection started."""
    activity = _data(section, "integration_activity", dict)
    collected = _moment(section.get("collected_at"))
    since = _moment(activity["since"]) if activity is not None else None
    if collected is None or since is None:
        return
    days = activity["window_days"]
    expected = _window_start(collected, days)
    if expected is None or abs(since - expected) > CLOCK_SKEW:
        start = "before any date" if expected is None else _shown(expected)
        yield Problem(
            "salesforce.integration_activity",
            f"Salesforce `integration_activity` claims a window of {days:,} days but counts "
            f"since {activity['since']}, while {days:,} days before its collection "
            f"({section['collected_at']}) is {start}: the counts and their window disagree")


def _email_quality(path: str, label: str, quality: dict[str, Any]) -> Iterator[Problem]:
    total, without = quality["total"], quality["without_email"]
    duplicates = quality["duplicate_emails"]
    count, examples = duplicates["count"], duplicates["examples"]
    if without > total:
        yield Problem(path, f"{label} has {without:,} records without an email out of "
                      f"{total:,} in all")
        return
    with_email = total - without
    shared = sum(example["records"] for example in examples)
    if len({example["email"] for example in examples}) < len(examples):
        yield Problem(path, f"{label} lists the same address twice among its duplicate-email "
                      "examples")
    counted = f"{label} counts {plural(count, 'email address', 'email addresses')} shared by two "
    if count < len(examples):
        yield Problem(path, f"{counted}or more records, but its examples show "
                      f"{plural(len(examples), 'such address', 'such addresses')} (shared by "
                      f"{plural(shared, 'record')} in all)")
    elif count * 2 > with_email or shared > with_email:
        yield Problem(path, f"{counted}or more records (its examples alone cover "
                      f"{plural(shared, 'record')}), but only {plural(with_email, 'record')} "
                      f"{'has' if with_email == 1 else 'have'} an email")


# --- Intercom -------------------------------------------------------------------------

def _intercom_problems(section: dict[str, Any], created: datetime) -> list[Problem]:
    problems = list(_after_snapshot("intercom", "Intercom `collected_at`",
                                    section.get("collected_at"), created))
    contacts = _data(section, "contacts", dict)
    for role in ("users", "leads") if contacts is not None else ():
        counts = contacts[role]
        if counts["without_email"] > counts["total"]:
            problems.append(Problem(
                "intercom.contacts",
                f"Intercom `contacts.{role}` has {counts['without_email']:,} without an email "
                f"out of {counts['total']:,} in all"))
    return problems + list(_app_event_problems(section, created))


def _app_event_problems(section: dict[str, Any], created: datetime) -> Iterator[Problem]:
    """Each event must fall inside the window it was read over, which ends at the snapshot."""
    events = _data(section, "app_events", dict)
    collected = _moment(section.get("collected_at"))
    if events is None or collected is None:
        return
    days = events["window_days"]
    start = _window_start(collected, days)
    for index, event in enumerate(events["events"]):
        item = f"app_events.events.{index}.created_at"
        yield from _after_snapshot(f"intercom.{item}", f"Intercom `{item}`",
                                   event["created_at"], created)
        moment = _moment(event["created_at"])
        if moment is not None and start is not None and start - moment > CLOCK_SKEW:
            yield Problem(f"intercom.{item}",
                          f"Intercom `{item}` is {event['created_at']}, before the window of "
                          f"{days} days the events were read over (from {_shown(start)})")
