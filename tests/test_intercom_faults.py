"""Each fault Intercom can throw at the collector: what comes out, and that the token never does.

Waits are recorded rather than slept (see intercom_fixtures.collect), so these tests
assert what the collector asked to wait, never wall time.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from auditor.collect import SourceUnavailable
from tests.emulators.intercom import Fault
from tests.intercom_fixtures import (
    TOKEN,
    Run,
    Served,
    assert_no_token,
    collect,
    collect_checked,
    intercom,
    make_scenario,
    unavailable_reasons,
)

SEARCH = "POST /admins/activity_logs/search"


@pytest.fixture
def outputs(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> Iterator[list[object]]:
    """Everything a test saw come out; at the end, none of it may hold the token."""
    caplog.set_level(logging.DEBUG)
    seen: list[object] = []
    yield seen
    captured = capsys.readouterr()
    assert_no_token(*seen, caplog.text, captured.out, captured.err)


def collect_with(faults: dict[str, list[Fault]], **options: float) -> tuple[Run, Served]:
    return collect_checked(make_scenario(faults=faults), **options)


def unavailable_items(run: Run) -> dict[str, str]:
    return unavailable_reasons(run.section)


def test_a_rejected_token_makes_the_source_unavailable(outputs: list[object]) -> None:
    scenario = make_scenario()
    scenario.token = "the-token-intercom-knows"
    with intercom(scenario) as served, pytest.raises(SourceUnavailable) as raised:
        collect(served.env)

    message = raised.value.message
    outputs += [message, str(raised.value), repr(raised.value)]
    assert message.startswith("Intercom rejected the access token (401 unauthorized: "
                              "Access Token Invalid)")
    assert "INTERCOM_ACCESS_TOKEN" in message and "--no-intercom" in message
    assert raised.value.requests == served.emulator.requests


def test_an_error_message_quoting_the_token_is_scrubbed(outputs: list[object]) -> None:
    echo = Fault.error(401, "token_unauthorized", f"Token {TOKEN} was revoked", times=99)
    scenario = make_scenario(faults={"GET /me": [echo]})
    with intercom(scenario) as served, pytest.raises(SourceUnavailable) as raised:
        collect(served.env)

    outputs.append(raised.value.message)
    assert "401 token_unauthorized: Token [redacted] was revoked" in raised.value.message


def test_a_rate_limit_within_max_wait_is_waited_out(
    outputs: list[object],
) -> None:
    run, served = collect_with({"GET /admins": [Fault.rate_limited(reset_in=7)]})
    outputs.append(run.section)

    assert len(run.section["teammates"]) == 150
    assert len(run.sleeps) == 1 and 5 <= run.sleeps[0] <= 8  # X-RateLimit-Reset, epoch s
    assert len(served.emulator.requests_to("GET /admins")) == 2


def test_retry_after_is_preferred_to_the_reset_time(
    outputs: list[object],
) -> None:
    limited = Fault.rate_limited(reset_in=50, retry_after=3)
    run, _ = collect_with({"GET /admins": [limited]})
    outputs.append(run.section)

    assert run.sleeps == [3.0]
    assert len(run.section["teammates"]) == 150


def test_a_rate_limit_past_max_wait_leaves_only_that_item_unavailable(
    outputs: list[object],
) -> None:
    limited = Fault.rate_limited(reset_in=120, times=99)
    run, served = collect_with({"GET /admins": [limited]}, max_wait=60)
    outputs.append(run.section)

    reason = unavailable_items(run)["teammates"]
    assert reason.startswith("GET /admins: 429 rate_limit_exceeded: Exceeded rate limit")
    assert "past the 60 s allowed by --max-wait" in reason
    assert list(unavailable_items(run)) == ["teammates"]
    assert run.sleeps == []
    assert len(served.emulator.requests_to("GET /admins")) == 1


def test_rate_limits_that_never_end_give_up(
    outputs: list[object],
) -> None:
    limited = Fault.rate_limited(reset_in=2, times=99)
    run, served = collect_with({"GET /me": [limited]})
    outputs.append(run.section)

    assert unavailable_items(run) == {"workspace": "GET /me: 429 rate_limit_exceeded: Exceeded "
                                                   "rate limit of 10000 in 60_seconds, 5 times"}
    assert len(run.sleeps) == 4
    assert len(served.emulator.requests_to("GET /me")) == 5


def test_server_errors_are_retried(
    outputs: list[object], caplog: pytest.LogCaptureFixture
) -> None:
    flaky = Fault.error(503, "service_unavailable", "Try again", times=2)
    run, served = collect_with({"GET /me": [flaky]})
    outputs.append(run.section)

    assert run.section["workspace"]["id_code"] == "ab12cd34"
    assert run.sleeps == [0.5, 1.0]
    assert len(served.emulator.requests_to("GET /me")) == 3
    assert "Intercom GET /me: 503; retrying in 0.5 s" in caplog.text  # logs are captured


def test_server_errors_past_the_retries_leave_the_item_unavailable(
    outputs: list[object],
) -> None:
    broken = Fault.error(500, "server_error", "Something went wrong", times=99)
    run, served = collect_with({"GET /me": [broken]})
    outputs.append(run.section)

    assert unavailable_items(run) == {
        "workspace": "GET /me: 500 server_error: Something went wrong, 3 times"}
    assert len(served.emulator.requests_to("GET /me")) == 3


def test_a_reset_connection_is_retried(
    outputs: list[object],
) -> None:
    run, served = collect_with({"GET /admins": [Fault(drop=True)]})
    outputs.append(run.section)

    assert len(run.section["teammates"]) == 150
    assert len(served.emulator.requests_to("GET /admins")) == 2


def test_connections_reset_every_time_leave_the_item_unavailable(
    outputs: list[object],
) -> None:
    run, _ = collect_with({"GET /admins": [Fault(drop=True, times=99)]})
    outputs.append(run.section)

    reason = unavailable_items(run)["teammates"]
    assert reason.startswith("GET /admins: connection lost (")
    assert reason.endswith(", 3 times")
    assert list(unavailable_items(run)) == ["teammates"]


def test_timeouts_are_retried_then_leave_the_item_unavailable(
    outputs: list[object],
) -> None:
    slow = Fault(delay=1.0, times=99)
    run, _ = collect_with({SEARCH: [slow]}, timeout=0.2)
    outputs.append(run.section)

    assert unavailable_items(run) == {
        "app_events": f"{SEARCH}: no answer within 0.2 s, 3 times"}
    assert run.section["teammates"][0]["id"] == "4417000"


def test_a_forbidden_endpoint_leaves_only_its_item_unavailable(
    outputs: list[object],
) -> None:
    forbidden = Fault.error(403, "forbidden", "The access token lacks the read_admins scope",
                            times=99)
    run, served = collect_with({SEARCH: [forbidden]})
    outputs.append(run.section)

    assert unavailable_items(run) == {"app_events": f"{SEARCH}: 403 forbidden: The access "
                                                    "token lacks the read_admins scope"}
    assert len(served.emulator.requests_to(SEARCH)) == 1  # no retry, and no fallback
    assert served.emulator.requests_to("GET /admins/activity_logs") == []
    assert run.section["contacts"]["leads"] == {"total": 300, "without_email": 60}


def test_an_unreachable_host_makes_the_source_unavailable(outputs: list[object]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"INTERCOM_ACCESS_TOKEN": TOKEN, "INTERCOM_BASE_URL": f"http://127.0.0.1:{port}"}

    with pytest.raises(SourceUnavailable) as raised:
        collect(env)

    message = raised.value.message
    outputs.append(message)
    assert message.startswith(f"Intercom could not be reached at http://127.0.0.1:{port} "
                              "(GET /me: could not connect (")
    assert raised.value.requests == 6 * 3  # each request tried three times
