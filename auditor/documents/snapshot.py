"""The snapshot: the boundary between collection and evaluation.

A snapshot is plain JSON. Collectors fill its source sections; the rule engine reads
it; any audit can be re-run offline from a saved one.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from auditor import TOOL_NAME, __version__
from auditor.documents.errors import InputError
from auditor.documents.load import Document, format_path, load_document, read_text_file
from auditor.documents.plain_data import json_text, plain_data_problem
from auditor.documents.timestamps import parse_timestamp as parse_timestamp  # re-exported, RFC 3339
from auditor.documents.validation import load_schema, part_validator, validate_document
from auditor.safety.display import one_line

SNAPSHOT_VERSION = 1
SOURCES = ("salesforce", "intercom")
SOURCE_LABELS = {"salesforce": "Salesforce", "intercom": "Intercom"}
# The most email addresses shared by several Leads (or Contacts) a collection counts (its
# query's LIMIT): a `duplicate_emails.count` at this bound is a floor, not the count.
DUPLICATE_EMAILS_COUNTED = 2000


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z and whole seconds, the one shape the tool writes."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def unavailable(reason: str) -> dict[str, str]:
    """The marker for evidence that could not be read, with the reason the API gave.

    A reason quotes what a server said, which may hold escape codes or invisible text: it
    is neutralised here, as it is collected, so that a saved snapshot always reads back
    (a snapshot refuses control characters) and no report carries them.
    """
    return {"status": "unavailable", "reason": one_line(reason)}


def skipped(reason: str) -> dict[str, str]:
    return {"status": "skipped", "reason": one_line(reason)}


# The keys of a collected source section that describe the collection, not evidence.
SECTION_METADATA = frozenset({"status", "collected_at", "requests", "api_version",
                              "instance_url", "base_url"})


def evidence_items(section: dict[str, Any]) -> dict[str, Any]:
    """The evidence items of a collected source section, by name."""
    return {key: value for key, value in section.items() if key not in SECTION_METADATA}


def unfit_item(source: str, name: str, value: Any) -> str | None:
    """Why an evidence item as collected could not be stored and loaded again, if it could not.

    A server may send text a snapshot refuses (control characters, lone surrogates, dates
    past the calendar's bounds): such an item is kept out rather than making the whole
    snapshot unloadable.
    """
    problem = plain_data_problem(value)
    if problem:
        path, what = problem
        return f"at {format_path(path)}: {what}"
    pointer = f"/properties/{source}/oneOf/1/properties/{name}"
    if name not in _collected_properties(source):
        return None
    error = next(iter(part_validator("snapshot", pointer).iter_errors(value)), None)
    return None if error is None else f"at {format_path(error.absolute_path)}: {error.message}"


@cache
def _collected_properties(source: str) -> frozenset[str]:
    schema = load_schema("snapshot")["properties"][source]["oneOf"][1]["properties"]
    return frozenset(schema)


def is_unavailable(value: Any) -> bool:
    return isinstance(value, dict) and value.get("status") == "unavailable" and "reason" in value


def new_snapshot(
    *,
    settings: dict[str, Any] | None,
    salesforce: dict[str, Any],
    intercom: dict[str, Any],
    created_at: datetime | None = None,
    settings_file: str | None = None,
) -> dict[str, Any]:
    snapshot: dict[str, Any] = {
        "snapshot_version": SNAPSHOT_VERSION,
        "created_at": timestamp(created_at or utc_now()),
        "tool": {"name": TOOL_NAME, "version": __version__},
        "settings": settings,
    }
    if settings_file:
        snapshot["settings_file"] = settings_file
    snapshot["salesforce"] = salesforce
    snapshot["intercom"] = intercom
    return snapshot


def looks_like_settings(data: dict[str, Any]) -> bool:
    """A document with a settings file's own keys."""
    return "settings_version" in data or "intercom_salesforce_app" in data


def check_snapshot(doc: Document) -> dict[str, Any]:
    """Validate a parsed snapshot; the version is checked first for a clearer message."""
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error("expected a snapshot: a JSON object with snapshot_version, created_at, "
                        "tool, settings, salesforce and intercom.")
    if "snapshot_version" not in data and looks_like_settings(data):
        raise doc.error("this is a settings file, not a snapshot: pass it with --settings "
                        "(a snapshot is what `auditor collect` writes).")
    version = data.get("snapshot_version")
    if version != SNAPSHOT_VERSION:
        found = "no snapshot_version" if version is None else f"snapshot_version {version!r}"
        raise doc.error(
            f"found {found}, but this auditor ({__version__}) reads snapshot_version "
            f"{SNAPSHOT_VERSION} only. Re-collect the snapshot with this version, or audit it "
            "with the version that wrote it.",
            ("snapshot_version",),
        )
    validate_document(doc, "snapshot")
    return data


# Far beyond any org's snapshot (they hold counts and examples, not records), and small
# enough that auditing one takes at most 1 GiB of memory: 0.8 GiB at this limit,
# measured by `python bench/run.py --only limits` (bench/RESULTS.md); 1.6 GiB at 256 MiB.
# A report.json (a baseline, `auditor diff`) is held to it too: it is smaller than the
# snapshot it reports on.
MAX_SNAPSHOT_BYTES = 128 * 1024**2


def load_snapshot(path: Path) -> dict[str, Any]:
    return check_snapshot(snapshot_document(path))


def snapshot_document(path: Path, what: str = "snapshot") -> Document:
    """A snapshot file read as a document (not yet checked as a snapshot)."""
    try:
        return load_document(path, what, MAX_SNAPSHOT_BYTES)
    except InputError as error:
        return _with_reasons_cleaned(path, what, error)


# Where a reason of a source or of one of its evidence items stands.
_REASON = re.compile(rf"^\$\.(?:{'|'.join(SOURCES)})(?:\.[a-z_]+)?\.reason$")


def _with_reasons_cleaned(path: Path, what: str, error: InputError) -> Document:
    """A snapshot saved before reasons were cleaned as they were collected may quote a
    server's control characters in one: read with its reasons cleaned now, as a new
    collection would clean them. Any other problem is refused as before."""
    if not (error.path and _REASON.match(error.path) and str(path).lower().endswith(".json")):
        raise error
    text = read_text_file(path, what, MAX_SNAPSHOT_BYTES)
    try:
        data = json.loads(text)  # it parsed before: the problem is in a value
    except (ValueError, RecursionError):  # and in another one that json cannot read
        raise error from None
    for source in SOURCES:
        section = data.get(source)
        for marker in (section, *section.values()) if isinstance(section, dict) else ():
            if isinstance(marker, dict) and isinstance(marker.get("reason"), str):
                marker["reason"] = one_line(marker["reason"])
    doc = Document(data=data, file=str(path), text=text)
    found = plain_data_problem(data)
    if found is not None:
        where, problem = found
        raise doc.error(problem, where) if where else InputError(problem, file=str(path))
    return doc


def dump_snapshot(snapshot: dict[str, Any]) -> str:
    return json_text(snapshot)


def with_settings(
    snapshot: dict[str, Any], settings: dict[str, Any], settings_file: str
) -> dict[str, Any]:
    """A copy of the snapshot whose attested settings come from another file."""
    replaced = dict(snapshot)
    replaced["settings"] = settings
    replaced["settings_file"] = settings_file
    return replaced


