"""Each evidence item of the intercom section: which requests read it, and its shape.

Request plan for one collection (all started at once, see intercom.py):

    GET  /me                      workspace and the token's admin          1
    GET  /admins                  teammates (the list is not paginated)    1
    POST /contacts/search  x3     users, leads, and everyone without email 3 (+1)
    GET  /companies?per_page=1    total_count                              1
    GET  /admins/activity_logs    per_page=250: one page up to 250 events  1 per 250
    GET  /data_attributes         model=contact                            1

Four contact counts from three searches: the search for contacts without an email asks
for a full page (150, the search maximum) and splits it by role, which is exact whenever
they all fit on that page. Only when they do not is a fourth search sent (leads without
email; users without email = all without email - leads without email).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.collectors.intercom_client import IntercomClient, ItemUnavailable, gather_all
from auditor.snapshot import timestamp

APP_EVENT_TYPES = (
    "app_package_installation",
    "app_package_uninstallation",
    "app_package_token_regeneration",
)
SEARCH_PAGE_MAX = 150
ACTIVITY_PAGE_MAX = 250
# A loop guard: 20 pages of 250 is far beyond what 90 days of one workspace produce.
ACTIVITY_PAGES_MAX = 20

_NO_EMAIL = {"field": "email", "operator": "=", "value": None}


def _role_is(role: str) -> dict[str, Any]:
    return {"field": "role", "operator": "=", "value": role}


def _search(query: dict[str, Any], per_page: int) -> dict[str, Any]:
    return {"query": query, "pagination": {"per_page": per_page}}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _moment(epoch: Any) -> str:
    return timestamp(datetime.fromtimestamp(int(epoch), UTC))


def _total(answer: dict[str, Any], what: str) -> int:
    total = answer.get("total_count")
    if not isinstance(total, int) or total < 0:
        raise ItemUnavailable(f"{what}: the answer had no total_count")
    return total


async def read_workspace(client: IntercomClient) -> dict[str, Any]:
    me = await client.get("/me", {})
    app = me.get("app")
    if not isinstance(app, dict) or not app.get("id_code"):
        raise ItemUnavailable("GET /me: the answer had no app (workspace) object")
    region = _text(app.get("region"))
    return {
        "id_code": app["id_code"],
        "name": _text(app.get("name")) or app["id_code"],
        "region": region.lower() if region else None,
        "timezone": _text(app.get("timezone")),
        "admin": {"id": str(me.get("id")), "name": _text(me.get("name")),
                  "email": _text(me.get("email"))},
    }


async def read_teammates(client: IntercomClient) -> list[dict[str, Any]]:
    answer = await client.get("/admins", {})
    return [
        {
            "id": str(admin.get("id")),
            "name": _text(admin.get("name")),
            "email": _text(admin.get("email")),
            # Absent means Intercom did not say; no seat is the cautious reading.
            "has_inbox_seat": admin.get("has_inbox_seat") is True,
            "away_mode_enabled": _flag(admin.get("away_mode_enabled")),
        }
        for admin in answer.get("admins") or []
        if isinstance(admin, dict)
    ]


async def _count(client: IntercomClient, query: dict[str, Any]) -> int:
    answer = await client.post("/contacts/search", _search(query, 1))
    return _total(answer, "POST /contacts/search")


async def _without_email_by_role(client: IntercomClient) -> dict[str, int]:
    answer = await client.post("/contacts/search", _search(_NO_EMAIL, SEARCH_PAGE_MAX))
    total = _total(answer, "POST /contacts/search")
    page = [contact for contact in answer.get("data") or [] if isinstance(contact, dict)]
    if total <= len(page):
        return {role: sum(1 for c in page if c.get("role") == role) for role in ("user", "lead")}
    leads = await _count(client, {"operator": "AND", "value": [_role_is("lead"), _NO_EMAIL]})
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


async def read_companies(client: IntercomClient) -> dict[str, Any]:
    answer = await client.get("/companies", {"per_page": 1})
    return {"total": _total(answer, "GET /companies")}


async def read_app_events(client: IntercomClient, days: int, now: datetime) -> dict[str, Any]:
    params: dict[str, str | int] = {
        "created_at_after": str(int((now - timedelta(days=days)).timestamp())),
        "per_page": ACTIVITY_PAGE_MAX,
    }
    events: list[dict[str, Any]] = []
    for _ in range(ACTIVITY_PAGES_MAX):
        answer = await client.get("/admins/activity_logs", params)
        for entry in answer.get("activity_logs") or []:
            if isinstance(entry, dict) and entry.get("activity_type") in APP_EVENT_TYPES:
                events.append(_app_event(entry))
        cursor = ((answer.get("pages") or {}).get("next") or {}).get("starting_after")
        if not cursor:
            return {"window_days": days, "events": events}
        params["starting_after"] = cursor
    raise ItemUnavailable(
        f"GET /admins/activity_logs: more than {ACTIVITY_PAGES_MAX} pages of "
        f"{ACTIVITY_PAGE_MAX} activity-log events in {days} days; not read to the end"
    )


def _app_event(entry: dict[str, Any]) -> dict[str, Any]:
    performer = entry.get("performed_by") or {}
    return {
        "type": entry["activity_type"],
        "created_at": _moment(entry.get("created_at", 0)),
        "performed_by": _text(performer.get("email")) or _text(performer.get("name")),
        # Intercom's description defines no metadata naming the app for these events;
        # its own sentence about the event (which names the app) is kept instead.
        "description": _text(entry.get("activity_description")),
    }


async def read_salesforce_attributes(client: IntercomClient) -> list[dict[str, Any]]:
    answer = await client.get("/data_attributes", {"model": "contact"})
    return [
        {
            "name": attribute["name"],
            "label": _text(attribute.get("label")),
            "data_type": _text(attribute.get("data_type")),
            "custom": _flag(attribute.get("custom")),
        }
        for attribute in answer.get("data") or []
        if isinstance(attribute, dict)
        and isinstance(attribute.get("name"), str)
        and _mentions_salesforce(attribute)
    ]


def _mentions_salesforce(attribute: dict[str, Any]) -> bool:
    return any(
        "salesforce" in (attribute.get(key) or "").lower()
        for key in ("name", "full_name", "label")
        if isinstance(attribute.get(key), str)
    )
