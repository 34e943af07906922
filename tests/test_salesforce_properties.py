"""Property: whatever Salesforce answers, collection yields a valid section or a whole-source
stop, and never evidence that an answer did not hold.

Every request the collector sends (the two first-round Composite requests, the Tooling
query, UserInfo, the second-round Composite Batch, further pages) gets, independently,
its real answer, an arbitrary JSON value, a body that is not JSON, a truncated body, or
its real answer with one value somewhere replaced by arbitrary JSON; with any status and
any Sforce-Limit-Info header. The collector runs in-process through the stub transport, so
examples are cheap.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.collect import SourceUnavailable
from auditor.collect.salesforce.api import RetryPolicy
from auditor.collect.salesforce.collector import SalesforceOptions, collect_salesforce
from tests.emulators.salesforce_org import Org, Scenario
from tests.salesforce_lab import TEAMMATES, as_snapshot, schema_errors, typical_tables
from tests.salesforce_stub import INSTANCE, KINDS, Answer, StubTransport

# The items each kind of request carries: a wholly unreadable answer leaves them unknown.
RESTS_ON = {
    # What the auditing user's permissions decide is unknown too without them.
    "access": {"org", "intercom_tokens", "integration_users", "integration_activity",
               "active_users", "case_record_types", "integration_user_logins",
               "mapped_field_access", "duplicate_rules", "validation_rules"},
    "records": {"leads", "contacts", "installed_packages", "lead_fields", "contact_fields"},
    "tooling": {"validation_rules"},
    # The limits ride in the batch when no answer before it carried the header.
    "followup": {"integration_users", "integration_activity", "integration_user_logins",
                 "mapped_field_access", "duplicate_rules", "api_allowance"},
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=12)
# Top-level values that are not the documented answer of the kind they stand in for.
_DOCUMENTED_KEY = {"access": "compositeResponse", "records": "compositeResponse",
                   "followup": "results", "tooling": "records", "page": "records",
                   "userinfo": "user_id"}


@dataclass(frozen=True)
class Treatment:
    how: str  # "real", "json", "not json", "truncated", "mutated"
    status: int
    value: Any = None  # the JSON, text, cut point or replacement
    path: tuple[int, ...] = ()  # where a mutation lands, as choices at each level
    header: str | None = "keep"  # Sforce-Limit-Info: "keep", None (absent) or a text

    @property
    def unreadable(self) -> bool:
        """Whether the answer as a whole cannot be what the request asked for."""
        return self.how in ("json", "not json", "truncated") or self.status >= 300

    def apply(self, kind: str, answer: Answer) -> Answer:
        headers = dict(answer.headers)
        if self.header != "keep":
            headers.pop("Sforce-Limit-Info", None)
            if self.header is not None:
                headers["Sforce-Limit-Info"] = self.header
        if self.how == "real":
            return Answer(answer.status, answer.content, answer.content_type, headers)
        if self.how == "json":
            content = json.dumps(self.value).encode()
        elif self.how == "not json":
            return Answer(self.status, self.value.encode(), "text/html", headers)
        elif self.how == "truncated":
            content = answer.content[: int(len(answer.content) * self.value)]
        else:
            content = json.dumps(_mutated(answer.json(), self.path, self.value)).encode()
        return Answer(self.status, content, "application/json;charset=UTF-8", headers)


def _mutated(value: Any, path: tuple[int, ...], replacement: Any) -> Any:
    """`value` with the place `path` leads to (choices among keys or items) replaced."""
    if not path or not isinstance(value, dict | list) or not value:
        return replacement
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = keys[path[0] % len(keys)]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[key] = _mutated(value[key], path[1:], replacement)
    return copy


def treatments(kind: str) -> st.SearchStrategy[Treatment]:
    not_documented = JSON.filter(
        lambda v: not (isinstance(v, dict) and _DOCUMENTED_KEY[kind] in v))
    headers = st.sampled_from(["keep", None, "api-usage=110018/100000", "api-usage=abc",
                               "api-usage=5/0"])
    statuses = st.sampled_from([200, 200, 200, 400, 403, 404, 500, 503])
    return st.one_of(
        st.builds(Treatment, st.just("real"), st.just(200), header=headers),
        st.builds(Treatment, st.just("json"), statuses, not_documented, header=headers),
        st.builds(Treatment, st.just("not json"), statuses,
                  st.sampled_from(["<html><body>proxy</body></html>", "", "null,", "\x00\xff"]),
                  header=headers),
        st.builds(Treatment, st.just("truncated"), st.just(200),
                  st.floats(0.0, 0.95), header=headers),
        st.builds(Treatment, st.just("mutated"), st.just(200), JSON,
                  st.tuples(*[st.integers(0, 50)] * 6), header=headers),
    )


def gives_usage(kind: str, header: str | None) -> bool:
    """Whether an answer of this kind carries a readable Sforce-Limit-Info header."""
    if header == "keep":  # the org's own: on every answer under /services/data
        return kind != "userinfo"
    return header is not None and re.fullmatch(r"api-usage=\d+/\d+", header) is not None


PLANS = st.fixed_dictionaries({kind: treatments(kind) for kind in KINDS})


def collect(plan: dict[str, Treatment], batch_size: int) -> tuple[dict[str, Any] | None,
                                                                  StubTransport]:
    scenario = Scenario(tables=typical_tables(), batch_size=batch_size)
    transport = StubTransport(Org(scenario, INSTANCE),
                              lambda kind, answer: plan[kind].apply(kind, answer))
    env = {"PATH": os.environ.get("PATH", ""), "SF_INSTANCE_URL": INSTANCE,
           "SF_ACCESS_TOKEN": scenario.access_token}
    options = SalesforceOptions(env=env, user_keys=lambda: TEAMMATES)
    try:
        section = collect_salesforce(options, retry=RetryPolicy(attempts=2, sleep=lambda _: None),
                                     transport=transport)
    except SourceUnavailable as stop:
        assert stop.message and stop.requests == len(transport.kinds)
        return None, transport
    return section, transport


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=PLANS, batch_size=st.sampled_from([1, 2, 2000]))
def test_any_answer_gives_a_valid_section_and_no_invented_evidence(
        plan: dict[str, Treatment], batch_size: int) -> None:
    section, transport = collect(plan, batch_size)
    if section is None:
        return
    assert schema_errors(as_snapshot(section)) == []
    assert section["requests"] == len(transport.kinds)
    unknown = {key for key, value in section.items()
               if isinstance(value, dict) and value.get("status") == "unavailable"}
    # The allowance comes from any Sforce-Limit-Info header seen, the limits only without one.
    header_seen = any(gives_usage(kind, plan[kind].header) for kind in transport.kinds)
    for kind, items in RESTS_ON.items():
        if kind in transport.kinds and plan[kind].unreadable:
            assert items - ({"api_allowance"} if header_seen else set()) <= unknown, (
                kind, plan[kind])
    if plan["access"].unreadable:
        audited = section["audited_as"]
        assert "permissions" not in audited or set(audited["permissions"].values()) == {None}
    if plan["userinfo"].unreadable and "userinfo" in transport.kinds:
        audited = section["audited_as"]
        assert "user_id" not in audited or (audited["user_id"], audited["username"]) == (
            None, None)
