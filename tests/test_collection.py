"""Running the collectors side by side: source status, failures kept apart, the handoff."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from auditor.collect import RequestCounter, SourceUnavailable, UserKeys
from auditor.collect.run import CollectionProgress, TeammateHandoff, collect_sources, settle
from auditor.documents.errors import InputError
from auditor.documents.snapshot import unavailable

COLLECTED = {"status": "collected", "collected_at": "2026-11-20T10:00:00Z", "requests": 3,
             "api_version": "2.16", "base_url": "https://api.intercom.io"}


CONTACTS = {"users": {"total": 9, "without_email": 1}, "leads": {"total": 3, "without_email": 0}}


def section(**items: Any) -> dict[str, Any]:
    return {**COLLECTED, **items}


def test_a_section_whose_every_item_was_read_is_collected() -> None:
    assert settle("intercom", section(teammates=[], contacts=CONTACTS))["status"] == "collected"


def test_a_section_with_some_items_unavailable_is_partial_and_keeps_them() -> None:
    settled = settle("intercom", section(teammates=[], contacts=unavailable("403 forbidden")))
    assert settled["status"] == "partial"
    assert settled["teammates"] == []
    assert settled["contacts"] == unavailable("403 forbidden")


def test_a_section_with_no_item_read_is_unavailable_with_the_reasons() -> None:
    settled = settle("intercom", section(
        workspace=unavailable("GET /me: 503 service_unavailable, 3 times"),
        teammates=unavailable("GET /admins: 503 service_unavailable, 3 times"),
        contacts=unavailable("POST /contacts/search: 503 service_unavailable, 3 times"),
    ))
    assert settled == {
        "status": "unavailable",
        "reason": "no evidence item could be read. workspace: GET /me: 503 "
                  "service_unavailable, 3 times; teammates: GET /admins: 503 "
                  "service_unavailable, 3 times (and 1 more item)",
        "requests": 3,
    }


def test_an_item_a_snapshot_could_not_hold_is_kept_out_with_the_reason() -> None:
    teammate = {"id": "1", "name": "Ada\x07", "email": "ada@acme.example",
                "has_inbox_seat": True}
    settled = settle("intercom", section(teammates=[teammate], contacts=CONTACTS))
    assert settled["status"] == "partial"
    assert settled["contacts"] == CONTACTS
    reason = settled["teammates"]["reason"]
    assert reason.startswith("what Intercom sent for it cannot be kept in a snapshot (at $[0].name")


def test_an_item_of_the_wrong_shape_is_kept_out_too() -> None:
    settled = settle("intercom", section(teammates="maintenance", contacts=CONTACTS))
    assert settled["teammates"] == unavailable(
        "what Intercom sent for it cannot be kept in a snapshot (at $: 'maintenance' is not "
        "valid under any of the given schemas)")


def _run(**collectors: Any) -> tuple[dict[str, dict[str, Any]], CollectionProgress]:
    progress = CollectionProgress()
    full = {"salesforce": None, "intercom": None, **collectors}
    return collect_sources(full, progress), progress


def test_an_unexpected_error_in_one_collector_keeps_the_other_sources_evidence() -> None:
    def broken(on_request: RequestCounter) -> dict[str, Any]:
        on_request()
        on_request()
        raise AttributeError("'str' object has no attribute 'get'")

    def working(on_request: RequestCounter) -> dict[str, Any]:
        on_request()
        return section(teammates=[])

    sections, progress = _run(salesforce=working, intercom=broken)
    assert sections["salesforce"]["status"] == "collected"
    broken_section = sections["intercom"]
    assert broken_section["status"] == "unavailable"
    assert broken_section["requests"] == 2
    assert "unexpected error (AttributeError)" in broken_section["reason"]
    assert "bug in the auditor" in broken_section["reason"]
    assert progress.sources["intercom"].state == "unavailable"


def test_a_source_that_stops_is_unavailable_with_its_reason() -> None:
    def refused(_: RequestCounter) -> dict[str, Any]:
        raise SourceUnavailable("Intercom rejected the access token (401).", requests=1)

    sections, progress = _run(intercom=refused)
    assert sections["intercom"] == {"status": "unavailable",
                                    "reason": "Intercom rejected the access token (401).",
                                    "requests": 1}
    assert sections["salesforce"]["status"] == "skipped"
    assert progress.sources["salesforce"].state == "skipped"


def test_progress_names_the_unavailable_items_of_a_partial_source() -> None:
    def partial(_: RequestCounter) -> dict[str, Any]:
        return section(teammates=[], contacts=unavailable("403"), app_events=unavailable("403"))

    _, progress = _run(intercom=partial)
    assert progress.sources["intercom"].state == "partial"
    assert progress.sources["intercom"].detail == "unavailable: contacts, app_events"


def test_bad_configuration_is_still_bad_input() -> None:
    def misconfigured(_: RequestCounter) -> dict[str, Any]:
        raise InputError("INTERCOM_ACCESS_TOKEN is not set.")

    with pytest.raises(InputError, match="INTERCOM_ACCESS_TOKEN"):
        _run(intercom=misconfigured)


def test_the_handoff_gives_salesforce_the_teammates_emails_and_mapped_usernames() -> None:
    handoff = TeammateHandoff(["Sam.Lee@Acme.example.PROD"])
    waiting: list[UserKeys | None] = []
    reader = threading.Thread(target=lambda: waiting.append(handoff.keys()))
    reader.start()
    handoff.publish([{"email": "Ada@Acme.example"}, {"email": None}, {"name": "no email"}])
    handoff.publish(None)  # a later clean-up does not undo the teammates
    reader.join(timeout=5)
    assert waiting == [UserKeys(emails=frozenset({"ada@acme.example"}),
                                usernames=frozenset({"sam.lee@acme.example.prod"}))]


def test_the_handoff_says_none_when_the_teammates_cannot_be_known() -> None:
    handoff = TeammateHandoff()
    handoff.publish(None)
    handoff.publish([{"email": "late@acme.example"}])
    assert handoff.keys() is None
