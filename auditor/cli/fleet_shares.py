"""How a fleet's targets are shared among worker processes: numbers only, no machinery.

Apart from fleet_processes.py so that the command (fleet.py) can state the share in its
--help and choose the process count without loading the process machinery, and neither
module imports the other.
"""

from __future__ import annotations

import os

TARGETS_PER_PROCESS = 8  # fewer for each, and a process costs more to start than it saves


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def process_count(targets: int, concurrency: int, asked: int | None = None) -> int:
    """How many processes audit the targets: as asked, else one per CPU with enough
    targets each; never more than there are targets or threads to share out."""
    wanted = asked if asked is not None else min(available_cpus(),
                                                 targets // TARGETS_PER_PROCESS)
    return max(1, min(wanted, targets, concurrency))


def share_out(count: int, parts: int) -> list[int]:
    """`count` split into `parts` as evenly as can be, the larger parts first."""
    return [count // parts + (1 if part < count % parts else 0) for part in range(parts)]
