"""An in-process Salesforce for fast tests: a requests transport adapter that answers from
the emulated org (tests/emulators/salesforce_org.py) without sockets or TLS.

Each answer can be changed on its way back by a `Treat` function, chosen by the kind of
request it answers, so a test can hand the collector any answer to any request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from tests.emulators.salesforce_org import Org, Reply

INSTANCE = "https://acme.my.salesforce.com"
# The kinds of request the collector sends, told apart by path and by what they carry.
KINDS = ("access", "records", "tooling", "followup", "userinfo", "page")


@dataclass
class Answer:
    status: int
    content: bytes
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, reply: Reply) -> Answer:
        return cls(reply.status, reply.payload(), reply.content_type, dict(reply.headers))

    def json(self) -> Any:
        return json.loads(self.content)


Treat = Callable[[str, Answer], Answer]


def kind_of(request: requests.PreparedRequest) -> str:
    path = urlsplit(request.url or "").path
    body = request.body or b""
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    if path.endswith("/composite"):
        return "access" if "UserPermissionAccess" in text else "records"
    if path.endswith("/composite/batch"):
        return "followup"
    if path.rstrip("/").endswith("/tooling/query"):
        return "tooling"
    if path.endswith("/userinfo"):
        return "userinfo"
    return "page"


class StubTransport(HTTPAdapter):
    def __init__(self, org: Org, treat: Treat = lambda _, answer: answer) -> None:
        super().__init__()
        self.org = org
        self.treat = treat
        self.kinds: list[str] = []  # of every request answered, logins excluded

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
             ) -> requests.Response:
        parts = urlsplit(request.url or "")
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        headers = {**request.headers, "Host": parts.netloc}
        answer = Answer.of(self.org.answer(request.method or "GET",
                                           f"{parts.path}?{parts.query}", raw, headers))
        if not parts.path.startswith(("/services/Soap/u/", "/services/oauth2/token")):
            kind = kind_of(request)
            self.kinds.append(kind)
            answer = self.treat(kind, answer)
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict({"Content-Type": answer.content_type,
                                                **answer.headers})
        response._content = answer.content
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response
