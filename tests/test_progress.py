"""Collection progress: redrawn in place on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from auditor.cli.progress import PlainProgress, TerminalProgress, progress_display
from auditor.collect import RequestCounter, SourceUnavailable
from auditor.collect.run import CollectionProgress, collect_sources
from auditor.documents.errors import InputError


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def salesforce(on_request: RequestCounter) -> dict[str, object]:
    for _ in range(3):
        on_request()
    return {"status": "collected", "requests": 3}


def intercom_down(on_request: RequestCounter) -> dict[str, object]:
    on_request()
    raise SourceUnavailable("Intercom could not be reached", requests=1)


def test_plain_progress_prints_one_line_per_source() -> None:
    stream = io.StringIO()
    sections = collect_sources({"salesforce": salesforce, "intercom": intercom_down},
                               CollectionProgress(on_change=PlainProgress(stream)))
    lines = sorted(stream.getvalue().splitlines())
    assert lines == ["intercom   unavailable, 1 request: Intercom could not be reached",
                     "salesforce collected, 3 requests"]
    assert sections["intercom"] == {"status": "unavailable",
                                    "reason": "Intercom could not be reached", "requests": 1}
    assert sections["salesforce"]["requests"] == 3


def test_a_source_turned_off_is_skipped() -> None:
    stream = io.StringIO()
    sections = collect_sources({"salesforce": None, "intercom": None},
                               CollectionProgress(on_change=PlainProgress(stream)))
    assert sections["salesforce"] == {"status": "skipped",
                                      "reason": "turned off with --no-salesforce"}
    assert "salesforce skipped" in stream.getvalue()


def test_terminal_progress_redraws_the_block_in_place() -> None:
    stream = Terminal()
    collect_sources({"salesforce": salesforce, "intercom": None},
                    CollectionProgress(on_change=TerminalProgress(stream)))
    output = stream.getvalue()
    assert "\x1b[2F" in output  # moved back over the two lines to redraw them
    last_frame = output.rsplit("\x1b[2F", 1)[1]
    assert last_frame == ("\x1b[2Ksalesforce collected, 3 requests\n"
                          "\x1b[2Kintercom   skipped\n")


def test_display_is_plain_when_quiet_or_not_a_terminal() -> None:
    assert isinstance(progress_display(quiet=False, stream=Terminal()), TerminalProgress)
    assert isinstance(progress_display(quiet=True, stream=Terminal()), PlainProgress)
    assert isinstance(progress_display(quiet=False, stream=io.StringIO()), PlainProgress)


def test_configuration_problems_of_both_sources_are_reported_together() -> None:
    def unconfigured(name: str) -> Callable[[RequestCounter], dict[str, object]]:
        def collector(on_request: RequestCounter) -> dict[str, object]:
            raise InputError(f"no {name} credentials")
        return collector

    with pytest.raises(InputError) as raised:
        collect_sources({"salesforce": unconfigured("Salesforce"),
                         "intercom": unconfigured("Intercom")},
                        CollectionProgress(on_change=PlainProgress(io.StringIO())))
    assert str(raised.value) == "no Salesforce credentials Also: no Intercom credentials"


def test_control_characters_from_an_api_never_reach_the_terminal() -> None:
    stream = io.StringIO()

    def hostile(on_request: RequestCounter) -> dict[str, object]:
        raise SourceUnavailable("bad\x1b[2J answer\x07")

    collect_sources({"salesforce": None, "intercom": hostile},
                    CollectionProgress(on_change=PlainProgress(stream)))
    assert "\x1b" not in stream.getvalue() and "\x07" not in stream.getvalue()
