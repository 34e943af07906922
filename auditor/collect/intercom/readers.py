"""Each evidence item of the intercom section: which requests read it, and its shape.

Request plan for one collection (all started at once, see intercom.py):

    GET  /me                             workspace and the token's admin          1
    GET  /admins                         teammates (one page; pages followed)     1
    POST /contacts/search  x3            users, leads, and everyone without email 3 (+1)
    POST /admins/activity_logs/search    app-package events, 250 a page          1 (+1 per 250)

Four contact counts from three searches: the search for contacts without an email asks
for a full page (150, the search maximum) and splits it by role, which is exact whenever
they all fit on that page. Only when they do not is a fourth search sent (leads without
email; users without email = all without email - leads without email).

App events are searched by type, so the rest of the workspace's activity costs nothing.
Where the search endpoint does not exist (404 or 405: an older API version), the whole
activity log is listed instead (`GET /admins/activity_logs`, 20 entries a page) and
filtered here; that costs a request per 20 entries, so it is bounded more tightly.
Null activity-log entries (the description allows them) are skipped: the events kept
are the ones seen, and an empty list never claims more than that.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.collect.answers import Fields, ItemUnavailable
from auditor.collect.intercom.client import IntercomClient, gather_all
from auditor.collect.intercom.paging import PageRequest, read_pages
from auditor.documents.snapshot import timestamp

# The app-package event types of the 2.16 description's activity_type list.
APP_EVENT_TYPES = (
    "app_package_installation",
    "app_package_uninstallation",
    "app_package_token_regeneration",
)
SEARCH_PAGE_MAX = 150  # contacts per search page, Intercom's maximum
APP_EVENTS_PAGE = 250  # activity-log search per_page, Intercom's maximum
# Bounds on pages read: 20 x 250 app events, or 100 x 20 entries of the unfiltered list.
APP_EVENT_PAGES_MAX = 20
ACTIVITY_LIST_PAGES_MAX = 100
# 2.16 describes /admins as one list; older references allow it pages, so they are read.
ADMIN_PAGES_MAX = 10
_SEARCH_MISSING = (404, 405)

_NO_EMAIL = {"field": "email", "operator": "=", "value": None}


def _role_is(role: str) -> dict[str, Any]:
    return {"field": "role", "operator": "=", "value": role}


def _search(query: dict[str, Any], per_page: int) -> dict[str, Any]:
    return {"query": query, "pagination": {"per_page": per_page}}


async def read_workspace(client: IntercomClient) -> dict[str, Any]:
    me = Fields("GET /me", await client.get("/me", {}))
    me.kind("admin")
    app = me.child("app")
    if app is None:
        raise me.wrong("app", "the workspace object")
    id_code = app.identifier("id_code")
    region = app.label("region")
    return {
        "id_code": id_code,
        "name": app.label("name") or id_code,
        "region": region.lower() if region else None,
        "timezone": app.label("timezone"),
        # The teammate the token acts as: whose view of the workspace this is.
        "admin": {"id": me.identifier("id"), "name": me.label("name"),
                  "email": me.text("email")},
    }


async def read_teammates(client: IntercomClient) -> list[dict[str, Any]]:
    # One malformed teammate (a null one too) fails the whole list: a list missing
    # someone would let the teammate mapping look complete when it is not.
    admins = await read_pages(client, PageRequest("GET", "/admins"), key="admins",
                              kind="admin.list", max_pages=ADMIN_PAGES_MAX)
    # Older references list teams among the admins (type "team"); a team is no teammate.
    return [_teammate(admin) for admin in admins if admin.raw("type") != "team"]


def _teammate(admin: Fields) -> dict[str, Any]:
    admin.kind("admin")
    return {
        "id": admin.identifier("id"),
        "name": admin.label("name"),
        "email": admin.text("email"),
        # Absent means Intercom did not say; no seat is the cautious reading.
        "has_inbox_seat": admin.flag("has_inbox_seat") is True,
        "away_mode_enabled": admin.flag("away_mode_enabled"),
    }


async def _searched(client: IntercomClient, query: dict[str, Any], per_page: int) -> Fields:
    answer = Fields("POST /contacts/search",
                    await client.post("/contacts/search", _search(query, per_page)))
    answer.kind("list")
    return answer


async def _count(client: IntercomClient, query: dict[str, Any]) -> int:
    return (await _searched(client, query, 1)).count("total_count")


async def _without_email_by_role(client: IntercomClient) -> dict[str, int]:
    answer = await _searched(client, _NO_EMAIL, SEARCH_PAGE_MAX)
    total = answer.count("total_count")
    page = answer.items("data")
    if total <= len(page):
        if total < len(page):
            raise ItemUnavailable(
                f"{answer.what}: total_count is {total} but the page holds {len(page)} "
                "contacts; the counts cannot both be right"
            )
        for contact in page:
            if contact.raw("role") not in ("user", "lead"):
                raise contact.wrong("role", "'user' or 'lead'")
        roles = [contact.raw("role") for contact in page]
        return {role: roles.count(role) for role in ("user", "lead")}
    leads = await _count(client, {"operator": "AND", "value": [_role_is("lead"), _NO_EMAIL]})
    if leads > total:
        raise ItemUnavailable(
            f"POST /contacts/search: {leads} leads without an email, but only {total} "
            "contacts without one; the searches disagree"
        )
    return {"user": total - leads, "lead": leads}


async def read_contacts(client: IntercomClient) -> dict[str, Any]:
    users, leads, without_email = await gather_all(
        _count(client, _role_is("user")),
        _count(client, _role_is("lead")),
        _without_email_by_role(client),
    )
    return {
        "users": {"total": users, "without_email": without_email["user"]},
        "leads": {"total": leads, "without_email": without_email["lead"]},
    }


async def read_app_events(client: IntercomClient, days: int, now: datetime) -> dict[str, Any]:
    """The app-package events of the last `days` days. An empty list says only that none
    was seen in the window, never that no app is installed."""
    after = int((now - timedelta(days=days)).timestamp())
    search = PageRequest("POST", "/admins/activity_logs/search", body={
        "created_at_after": after, "event_types": list(APP_EVENT_TYPES),
        "per_page": APP_EVENTS_PAGE,
    })
    try:
        entries = await read_pages(client, search, key="activity_logs", kind="activity_log.list",
                                   max_pages=APP_EVENT_PAGES_MAX, skip_nulls=True)
    except ItemUnavailable as missing:
        if missing.status not in _SEARCH_MISSING:
            raise
        entries = await _listed(client, after, missing)
    return {"window_days": days, "events": [_app_event(e) for e in entries if _is_app(e)]}


async def _listed(client: IntercomClient, after: int, search: ItemUnavailable) -> list[Fields]:
    """The whole activity log of the window, for versions without the search endpoint."""
    listing = PageRequest("GET", "/admins/activity_logs", params={"created_at_after": str(after)})
    try:
        return await read_pages(client, listing, key="activity_logs", kind="activity_log.list",
                                max_pages=ACTIVITY_LIST_PAGES_MAX, skip_nulls=True)
    except ItemUnavailable as error:
        raise ItemUnavailable(
            f"{error.reason} (read instead of the activity-log search, which answered "
            f"{search.reason.split(': ', 1)[-1]})", unreachable=error.unreachable
        ) from None


def _is_app(entry: Fields) -> bool:
    kind = entry.raw("activity_type")
    if not isinstance(kind, str):
        raise entry.wrong("activity_type", "an activity type")
    return kind in APP_EVENT_TYPES


def _app_event(entry: Fields) -> dict[str, Any]:
    performer = entry.raw("performed_by")
    by: str | None = None
    if isinstance(performer, dict):  # who did it is only shown, so an odd one stays blank
        who = Fields(entry.what, performer)
        by = who.label("email") or who.label("name")
    return {
        "type": entry.raw("activity_type"),
        "created_at": timestamp(datetime.fromtimestamp(entry.epoch("created_at"), UTC)),
        "performed_by": by,
        # Intercom's description defines no metadata naming the app for these events;
        # its own sentence about the event (which names the app) is kept instead.
        "description": entry.label("activity_description"),
    }
