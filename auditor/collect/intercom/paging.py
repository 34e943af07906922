"""Following Intercom's pages the way each answer says, within a stated bound.

Intercom's references disagree on how a list says there is more: the 2.16 description
gives `pages.next` as a cursor object (`starting_after`), later references as a URL
string, and older pages only give `page` and `total_pages`. All three are followed:

- `next` is a URL: its path and query are requested on the configured host, only when
  the path is the same endpoint (the token is never sent anywhere else);
- `next` is an object: its `starting_after` cursor (or its `page` number) is sent back,
  in the query of a GET or the body of a POST;
- no `next`: page `page + 1` is asked for while `page < total_pages`.

A page already asked for is never asked again (a server that points back would loop),
and past `max_pages` the list is reported incomplete rather than used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import SplitResult, urlsplit

from auditor.collect.answers import MISSING, Fields, ItemUnavailable, quote
from auditor.collect.intercom.client import IntercomClient

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class PageRequest:
    method: str
    url: str  # a path on the base URL (with the query of a next link, if any)
    params: dict[str, str | int] | None = None
    body: dict[str, Any] | None = None

    @property
    def identity(self) -> str:
        return json.dumps([self.method, self.url, self.params, self.body], sort_keys=True)


async def read_pages(
    client: IntercomClient, first: PageRequest, *, key: str, kind: str, max_pages: int,
    skip_nulls: bool = False,
) -> list[Fields]:
    """Every entry under `key` on every page, first page first; null entries are dropped
    with `skip_nulls` (where the description allows them and they cannot matter), and
    otherwise make the list unreadable."""
    endpoint = f"{first.method} {first.url}"
    entries: list[Fields] = []
    request, asked = first, {first.identity}
    for number in range(1, max_pages + 1):
        what = endpoint if number == 1 else f"{endpoint} (page {number})"
        try:
            sent = await client.send(request.method, request.url, params=request.params,
                                     body=request.body, what=what)
        except ItemUnavailable as error:
            if number == 1:
                raise
            # Only the first page's status may decide to try another endpoint.
            raise ItemUnavailable(error.reason, unreachable=error.unreachable) from None
        answer = Fields(what, sent)
        answer.kind(kind)
        entries += answer.items(key, skip_nulls=skip_nulls)
        following = _next_page(answer, request, first.url, client.base_url)
        if following is None:
            return entries
        if following.identity in asked:
            raise ItemUnavailable(
                f"{what}: the answer's pages point back to a page already read; stopped "
                "there rather than loop, so the list is incomplete"
            )
        request = following
        asked.add(request.identity)
    raise ItemUnavailable(
        f"{endpoint}: more pages follow the {max_pages} read ({len(entries)} entries), the "
        f"most the collector reads from this endpoint; the list is incomplete, so it is "
        "not used"
    )


def _next_page(
    answer: Fields, current: PageRequest, endpoint: str, base_url: str
) -> PageRequest | None:
    pages = answer.child("pages")
    if pages is None:
        return None
    link = pages.raw("next")
    if isinstance(link, str) and link:
        # The link carries the paging; a POST's filters stay in its body (2.17 reference).
        return replace(current, url=_on_host(pages, link, endpoint, base_url), params=None)
    if isinstance(link, dict):
        cursor = Fields(pages.what, link, "pages.next")
        token = cursor.raw("starting_after")
        if isinstance(token, str) and token:
            return _with(current, "starting_after", token)
        if token not in (MISSING, None, ""):
            raise cursor.wrong("starting_after", "a cursor text or null")
        page = cursor.optional_count("page")
        if page is not None:
            return _with(current, "page", page)
    elif link not in (MISSING, None, ""):
        raise pages.wrong("next", "a URL, a cursor object or null")
    page, total = pages.optional_count("page"), pages.optional_count("total_pages")
    if page is not None and total is not None and page < total:
        return _with(current, "page", page + 1)
    return None


def _with(current: PageRequest, name: str, value: str | int) -> PageRequest:
    """The same request asking for another page: in the query of a GET, the body of a POST."""
    if current.method == "GET":
        return replace(current, params={**(current.params or {}), name: value})
    return replace(current, body={**(current.body or {}), name: value})


def _on_host(pages: Fields, link: str, endpoint: str, base_url: str) -> str:
    """The next link as a path and query on the configured host, or why it is not followed."""
    base = urlsplit(base_url)
    parts = _split(link)
    if parts is None or _elsewhere(parts, base):
        raise ItemUnavailable(
            f"{pages.what}: the next page is at {quote(link)}, not on the configured host "
            f"{base.netloc}; not followed, so the token is sent nowhere else, and the list "
            "is incomplete"
        )
    # Behind a proxy with a path prefix the link may carry the prefix; the endpoint follows.
    prefix = base.path.rstrip("/")
    path = parts.path
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix):]
    if path != endpoint:
        raise ItemUnavailable(
            f"{pages.what}: the next-page link {quote(link)} points at another endpoint than "
            f"{endpoint}; not followed, and the list is incomplete"
        )
    return f"{path}?{parts.query}" if parts.query else path


def _split(link: str) -> SplitResult | None:
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:  # an unbalanced [, a bad port
        return None
    return parts


def _elsewhere(parts: SplitResult, base: SplitResult) -> bool:
    """Whether an absolute link leaves the configured scheme family, host or port."""
    if not (parts.scheme or parts.netloc):
        return False  # a path on the configured host
    return parts.scheme not in _DEFAULT_PORTS or _origin(parts) != _origin(base)


def _origin(parts: SplitResult) -> tuple[str, int | None]:
    return (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(parts.scheme)
