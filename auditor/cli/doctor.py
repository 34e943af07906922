"""`auditor doctor`: can the audit see what it needs, before any collection is run?

Each source is probed with at most two requests (see the collectors' probe functions);
what a probe finds missing is mapped through the rules' reads to the rules that would
come out unknown, so a person knows what to fix before the real run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from auditor.collect import Preflight, RequestCounter, ignore_request
from auditor.documents.errors import InputError
from auditor.documents.snapshot import SOURCE_LABELS
from auditor.engine.catalogue import Rule
from auditor.safety.display import one_line

Probe = Callable[[RequestCounter], Preflight]


def _guarded(source: str, probe: Probe) -> Preflight:
    try:
        return probe(ignore_request)
    except InputError:
        raise  # bad configuration is the user's to fix, said as such
    except Exception as exc:  # a probe's bug must not hide the other source's answer
        return Preflight(source, reachable=False, signed_in_as=None, api_version=None,
                         access=(), requests=0,
                         problem=f"the probe stopped on an unexpected error "
                                 f"({type(exc).__name__}); this is a bug in the auditor")


def run_probes(probes: dict[str, Probe]) -> list[Preflight]:
    """Probe every source at once; configuration errors (InputError) propagate."""
    if not probes:
        return []
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        futures = [pool.submit(_guarded, source, probe) for source, probe in probes.items()]
        return [future.result() for future in futures]


def missing_items(preflight: Preflight) -> set[str]:
    return {item for access in preflight.access if access.granted is not True
            for item in access.items}


def rules_left_unknown(preflight: Preflight, rules: Iterable[Rule]) -> list[str]:
    """Rules whose required evidence this source cannot supply as things stand."""
    prefix = preflight.source + "."
    if not _collectable(preflight):
        return [rule.id for rule in rules if any(
            read.path.startswith(prefix) and not (read.optional or read.has_default)
            for read in rule.reads.values())]
    paths = {prefix + item for item in missing_items(preflight)}
    return [rule.id for rule in rules if any(
        not (read.optional or read.has_default)
        and any(read.path == path or read.path.startswith(path + ".") for path in paths)
        for read in rule.reads.values())]


def _collectable(preflight: Preflight) -> bool:
    return preflight.reachable and preflight.problem is None


def ready(preflight: Preflight, rules: list[Rule]) -> bool:
    """Nothing refused, and no rule left without the evidence it requires."""
    return (_collectable(preflight)
            and not any(access.granted is False for access in preflight.access)
            and not rules_left_unknown(preflight, rules))


def describe(preflight: Preflight, rules: list[Rule]) -> str:
    """The block `auditor doctor` prints for one source."""
    label = SOURCE_LABELS[preflight.source]
    plural = "s" if preflight.requests != 1 else ""
    if not preflight.reachable:
        state = "UNREACHABLE"
    elif preflight.problem:
        state = "reachable, but CANNOT BE COLLECTED"
    else:
        state = "ready" if ready(preflight, rules) else "reachable, with GAPS"
    lines = [f"{label}: {state} ({preflight.requests} request{plural})"]
    if preflight.problem:
        lines.append(f"  problem: {preflight.problem}")
    if preflight.signed_in_as:
        lines.append(f"  signed in as: {preflight.signed_in_as}")
    if preflight.api_version:
        lines.append(f"  API version: {preflight.api_version}")
    for access in preflight.access:
        state = {True: "yes", False: "MISSING", None: "not checked"}[access.granted]
        needed = f" (needed for {', '.join(access.items)})" if access.items else ""
        lines.append(f"  {access.name}: {state}{needed}")
    unknown = rules_left_unknown(preflight, rules)
    if unknown:
        lines.append(f"  rules that would come out unknown: {', '.join(unknown)}")
    elif ready(preflight, rules):
        lines.append("  everything the audit reads is within reach")
    # Problems quote API answers: no control character may drive the terminal.
    return "\n".join(one_line(line) for line in lines)
