"""Stand-ins for auditing one fleet target, for the tests of fleet_processes.py: module
functions, so that a worker process (a fresh interpreter) can be handed them."""

from __future__ import annotations

import os
from pathlib import Path

from auditor.cli.fleet_run import Target, TargetOutcome
from auditor.safety.secrets import register, registered

PARENT_SECRET = "parent-secret-4f1d9a7c2e"  # registered in the parent before the workers start
LEARNED_SECRET = "learned-in-a-worker-8b3e6d0f1a"  # what a worker signs in with, say


def audit_stand_in(target: Target, out_dir: Path) -> TargetOutcome:
    """By the target's name: `bug` raises, `dies` ends its process at once, `unpicklable`
    cannot be sent, `learns` registers a secret and shows it; any other says which
    process audited it and whether that process holds the parent's secret."""
    if target.name == "bug":
        raise RuntimeError("a bug in one target")
    if target.name == "dies":
        os._exit(9)
    if target.name == "unpicklable":
        return TargetOutcome(target.name, 0, results={"made by": lambda: None})
    if target.name == "learns":
        register(LEARNED_SECRET)
        return TargetOutcome(target.name, 1, reason=f"signed in with {LEARNED_SECRET}")
    return TargetOutcome(target.name, 0, reason=(
        f"pid {os.getpid()}; holds the parent's secret: {PARENT_SECRET in registered()}"))
