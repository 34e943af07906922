"""`auditor fleet`: many orgs and workspaces audited at once, with one roll-up.

A face over the same pipeline as `auditor audit`: each target is audited into a folder of
its own by the function the command line passes in, side by side up to --concurrency.
A target that cannot be audited (bad credentials, a timeout, a bad settings file, even a
bug) is recorded in its row with the reason and never stops the others. The exit code
is the worst of the targets'. Credentials are named, never held, in the fleet file: each
target maps the variables the auditor reads to environment variables of its own.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from auditor import TOOL_NAME, __version__
from auditor.documents.config import as_flag_defaults, resolve_paths
from auditor.documents.errors import InputError
from auditor.documents.load import load_document
from auditor.documents.snapshot import SOURCES, timestamp
from auditor.documents.validation import validate_document

if TYPE_CHECKING:
    from auditor.cli.steps import Catalogue
    from auditor.engine.catalogue import Rule

# Worst first: a bug, bad input, a source not collected, failing findings, all well.
EXIT_SEVERITY = (4, 2, 3, 1, 0)
# The roll-up's own files, beside the targets' folders in the fleet's `out`.
ROLLUP_FILES = {fmt: f"index.{fmt}" for fmt in ("html", "md", "json")}


@dataclass(frozen=True)
class Target:
    name: str
    options: dict[str, Any]  # the audit command's parameters for this target
    env: dict[str, str] = field(repr=False)  # the collectors' environment, secrets included
    unset: tuple[str, ...] = ()  # credential variables the fleet file names but nobody set


@dataclass(frozen=True)
class TargetOutcome:
    name: str
    exit_code: int
    results: dict[str, Any] | None = None
    reason: str | None = None


AuditOne = Callable[[Target, Path], TargetOutcome]


def load_fleet(path: Path, shared: Mapping[str, Any],
               environ: Mapping[str, str] | None = None) -> tuple[list[Target], str | None]:
    """The targets of a fleet file, each with its options and environment, and its `out`.

    `shared` holds the options every target starts from (the command line and config);
    a target's own `config` overrides them. A credential variable that is not set makes
    that target fail when it runs, not the whole fleet now.
    """
    doc = load_document(path, "fleet file")
    if not isinstance(doc.data, dict):
        raise doc.error("expected a mapping with a `targets:` list (see `auditor schema "
                        "fleet`).")
    validate_document(doc, "fleet")
    environ = os.environ if environ is None else environ
    base = path.parent
    names: dict[str, str] = {}  # each name in lower case: the name as written
    rollup = {file.casefold() for file in ROLLUP_FILES.values()}
    targets = []
    for index, spec in enumerate(doc.data["targets"]):
        name = spec["name"]
        # Folders are named after targets; on some file systems case tells none apart.
        folded = name.casefold()
        if folded in rollup:
            raise doc.error(f"the target name '{name}' is the name of a file of the roll-up "
                            f"({', '.join(ROLLUP_FILES.values())}), written beside the "
                            "targets' folders; name the target otherwise.",
                            ("targets", index, "name"))
        if folded in names:
            same = ("is used twice" if names[folded] == name
                    else f"differs from '{names[folded]}' only in case")
            raise doc.error(f"the target name '{name}' {same}; names pick report folders, "
                            "so they must differ, in more than case.",
                            ("targets", index, "name"))
        names[folded] = name
        options = dict(shared)
        options.update(as_flag_defaults(resolve_paths(spec.get("config", {}), base), doc.error,
                                        ("targets", index, "config")))
        for key, option in (("settings", "settings_file"), ("snapshot", "snapshot_file")):
            if key in spec:
                options[option] = str(base / spec[key])
        if options.get("notify"):
            # Refused rather than ignored: a notice asked for must never silently not come.
            raise doc.error("notify is not supported by `auditor fleet` yet; post notices "
                            "from `auditor audit` runs, or remove notify from the config.",
                            ("targets", index, "config", "notify"))
        for key in ("sf_target_org", "no_salesforce", "no_intercom"):
            if key in spec:
                options[key] = spec[key]
        env = {k: v for k, v in environ.items()
               if not k.startswith(("SF_", "INTERCOM_"))}
        env.update({wanted: environ.get(source, "")
                    for wanted, source in spec.get("credentials", {}).items()})
        unset = tuple(sorted(source for source in spec.get("credentials", {}).values()
                             if not environ.get(source)))
        targets.append(Target(name, options, env, unset))
    out = doc.data.get("out")
    return targets, None if out is None else str(base / out)


class Tracker(Protocol):
    """What hears of each target as it starts and ends."""

    def started(self, name: str) -> None: ...

    def finished(self, name: str, outcome: TargetOutcome | None = None) -> None: ...


@dataclass
class FleetProgress:
    """Targets done and running, for the progress line; updated from worker threads."""

    total: int
    on_change: Callable[[FleetProgress], None] = lambda _: None
    done: int = 0
    running: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def started(self, name: str) -> None:
        with self.lock:
            self.running.add(name)
            self.on_change(self)

    def finished(self, name: str, outcome: TargetOutcome | None = None) -> None:
        with self.lock:
            self.running.discard(name)
            self.done += 1
            self.on_change(self)

    def describe(self) -> str:
        running = ", ".join(sorted(self.running)) or "none"
        return f"fleet: {self.done} of {self.total} targets done; running: {running}"


def run_fleet(targets: list[Target], audit_one: AuditOne, out_dir: Path, *,
              concurrency: int, progress: Tracker) -> list[TargetOutcome]:
    """Audit every target, at most `concurrency` at once, each into out_dir/NAME."""

    def one(target: Target) -> TargetOutcome:
        progress.started(target.name)
        outcome = audit_safely(target, audit_one, out_dir)
        progress.finished(target.name, outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(targets)))) as pool:
        return list(pool.map(one, targets))


def _unset_reason(unset: tuple[str, ...]) -> str:
    """Which credential variables are not set. A name unlike an environment variable's
    may be a secret pasted where its variable's name belongs: only its shape is given."""
    from auditor.safety.slots import environment_name, shape

    names = [name if environment_name(name) else f"whose name {shape(name)}"
             for name in unset]
    plural = len(unset) > 1
    return (f"the credential variable{'s' if plural else ''} {', '.join(names)} "
            f"{'are' if plural else 'is'} not set")


def audit_safely(target: Target, audit_one: AuditOne, out_dir: Path) -> TargetOutcome:
    """The target's outcome, whatever happens while auditing it."""
    try:
        unset = target.unset
        if unset:
            return TargetOutcome(target.name, 2, reason=_unset_reason(unset))
        return audit_one(target, out_dir / target.name)
    except InputError as error:
        return TargetOutcome(target.name, 2, reason=str(error))
    except Exception as error:  # one target's bug must not stop the others
        return bug(target.name, error)


def bug(name: str, cause: Exception | str) -> TargetOutcome:
    """The outcome of a target a bug stopped: `cause`, the error or what happened."""
    what = cause if isinstance(cause, str) else f"the auditor hit a bug ({type(cause).__name__})"
    return TargetOutcome(name, 4, reason=(
        f"{what}; run this target alone with `auditor audit` to get the crash file"))


def worst_exit(codes: list[int]) -> int:
    return min(codes, key=EXIT_SEVERITY.index, default=0)


def rollup(outcomes: list[TargetOutcome], generated_at: datetime) -> dict[str, Any]:
    """One row per target: how it stands, what changed, where its report is."""
    rows = []
    for outcome in outcomes:
        row: dict[str, Any] = {"name": outcome.name, "exit_code": outcome.exit_code}
        results = outcome.results
        if results is None:
            row.update(status="failed", reason=outcome.reason, report=None)
        else:
            since = results.get("since_baseline")
            row.update(
                status="audited",
                summary=results["summary"],
                score_change=since["score"]["change"] if since else None,
                new=len(since["new"]) if since else None,
                sources={s: results["collection"][s].get("status", "not collected")
                         for s in SOURCES},
                report=f"{outcome.name}/report.html",
            )
            if outcome.reason:
                row["reason"] = outcome.reason
        rows.append(row)
    return {
        "schema_version": 1,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "generated_at": timestamp(generated_at),
        "exit_code": worst_exit([o.exit_code for o in outcomes]),
        "counts": {"audited": sum(1 for r in rows if r["status"] == "audited"),
                   "failed": sum(1 for r in rows if r["status"] == "failed")},
        "targets": rows,
    }


def rollup_part(results: dict[str, Any]) -> dict[str, Any]:
    """What rollup() reads of a target's results, and all a fleet keeps of them: every
    outcome is held to the end, and a worker process sends each through a pipe."""
    since = results.get("since_baseline")
    return {
        "summary": results["summary"],
        "since_baseline": since and {"score": {"change": since["score"]["change"]},
                                     "new": since["new"]},
        "collection": {s: {k: v for k, v in results["collection"][s].items() if k == "status"}
                       for s in SOURCES},
    }


class SharedCatalogue:
    """The rule catalogue read once per fleet for each set of rule options.

    Reading and checking every rule file is the same work for every target that sets no
    rule options of its own; a target whose `config` sets rules_dirs, params or
    severities gets the catalogue those describe. Safe to share between threads.
    """

    def __init__(self, load: Catalogue | None = None) -> None:
        from auditor.cli.options import load_catalogue

        self._load = load or load_catalogue
        self._lock = threading.Lock()
        self._read: dict[str, tuple[list[Rule], dict[str, dict[str, Any]]]] = {}

    def __call__(self, rules_dirs: tuple[Path, ...], params: tuple[tuple[str, Any], ...],
                 severities: tuple[tuple[str, str], ...] = ()
                 ) -> tuple[list[Rule], dict[str, dict[str, Any]]]:
        # repr, not the values: a parameter may be a list, and True == 1 as a key.
        key = repr((rules_dirs, params, severities))
        with self._lock:  # the first target reads; the others wait for it, not read again
            if key not in self._read:
                self._read[key] = self._load(rules_dirs, params, severities)
            rules, resolved = self._read[key]
        return list(rules), copy.deepcopy(resolved)  # each plan its own, as if read anew

    def __reduce__(self) -> tuple[type[SharedCatalogue], tuple[Catalogue]]:
        # A worker process (fleet_processes.py) gets one of its own, read once there.
        return SharedCatalogue, (self._load,)


def audit_target(target: Target, out_dir: Path,
                 catalogue: Catalogue | None = None) -> TargetOutcome:
    """One target through the same steps as `auditor audit`, quietly; `catalogue`, when
    given, reads the rules (a SharedCatalogue, for the fleet)."""
    from auditor.cli.audit import audit
    from auditor.cli.exit_codes import EXIT_PARTIAL
    from auditor.cli.pipeline import audit_snapshot
    from auditor.cli.steps import (
        REPORT_KEYS,
        check_outputs,
        collect_snapshot,
        partial,
        plan_from,
        shown_path,
    )
    from auditor.documents.settings import load_settings
    from auditor.documents.snapshot import load_snapshot, with_settings

    # click converts and checks the target's options exactly as it would typed flags.
    ctx = audit.make_context("audit", [], default_map={**target.options, "out_dir": out_dir})
    options = dict(ctx.params)
    plan = plan_from({key: options[key] for key in REPORT_KEYS}, catalogue)
    check_outputs(plan.report_files().values(), None)
    settings_file = options["settings_file"]
    settings_shown = shown_path(settings_file, options["show_paths"]) if settings_file else None
    if options["snapshot_file"] is not None:
        snapshot = load_snapshot(options["snapshot_file"])
        if settings_file is not None:
            snapshot = with_settings(snapshot, load_settings(settings_file), settings_shown or "")
    else:
        snapshot = collect_snapshot(
            settings_file=settings_file, no_salesforce=options["no_salesforce"],
            no_intercom=options["no_intercom"], sf_target_org=options["sf_target_org"],
            window_days=options["window_days"], timeout=options["timeout"],
            max_wait=options["max_wait"], quiet=True, env=target.env,
            shown_settings_file=settings_shown, show_progress=False)
    outcome = audit_snapshot(snapshot, None, plan, settings_path=settings_file)
    if options["snapshot_file"] is None and partial(snapshot) and not options["allow_partial"]:
        reasons = "; ".join(f"{s}: {snapshot[s]['reason']}" for s in SOURCES
                            if snapshot[s]["status"] == "unavailable")
        return TargetOutcome(target.name, EXIT_PARTIAL, rollup_part(outcome.results),
                             reason=f"not collected: {reasons}")
    return TargetOutcome(target.name, outcome.exit_code, rollup_part(outcome.results))
