"""Run a command; print its peak memory in bytes and its exit code.

    python bench/peak.py COMMAND [ARGS...]

The peak is the larger of two measures: the kernel's peak resident set of the largest
single process (wait4's ru_maxrss, exact but blind to sums), and the largest total
proportional set size (PSS: shared pages divided among the processes sharing them) of
the command and every process it started, sampled every 20 ms (a fleet's workers).

The command is forked from this small launcher rather than from the benchmark, which
holds emulators and their data: a child's peak counts the pages of the process it was
forked from.
"""

from __future__ import annotations

import os
import sys
import time

_SAMPLE_SECONDS = 0.02


def _children() -> dict[int, list[int]]:
    by_parent: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                # The name (field 2) is in parentheses and may hold spaces.
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        by_parent.setdefault(parent, []).append(int(entry))
    return by_parent


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def tree_pss(root: int) -> int:
    by_parent = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _pss(pid)
        todo += by_parent.get(pid, [])
    return total


def main() -> None:
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execvp(sys.argv[1], sys.argv[1:])
    peak = 0
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        peak = max(peak, tree_pss(pid))
        time.sleep(_SAMPLE_SECONDS)
    print(max(peak, usage.ru_maxrss * 1024), os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
