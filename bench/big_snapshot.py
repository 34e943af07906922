"""A large snapshot for the scale benchmarks: the misconfigured example with many
unmapped teammates and duplicate-email groups at the collector's bound.

    python bench/big_snapshot.py OUT.json [--teammates N | --fill BYTES] [--bad-last]

`--bad-last` makes the last teammate's `has_inbox_seat` a string, so the snapshot is
refused by its schema at its very end (the error path's benchmark). `--fill` writes as
many teammates as fit in BYTES (the snapshot size limit's benchmark).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "misconfigured.snapshot.json"
DUPLICATE_GROUPS = 2_000  # the most a collection counts (see collect/salesforce/queries.py)


def big_snapshot(teammates: int, *, bad_last: bool = False) -> dict[str, Any]:
    snapshot: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    snapshot["intercom"]["teammates"] = [
        {"id": str(10_000_000 + n), "name": f"Teammate {n}", "email": f"teammate{n}@acme.example",
         "has_inbox_seat": True, "away_mode_enabled": False}
        for n in range(teammates)
    ]
    if bad_last and teammates:
        snapshot["intercom"]["teammates"][-1]["has_inbox_seat"] = "yes"
    for key in ("leads", "contacts"):
        snapshot["salesforce"][key]["duplicate_emails"]["count"] = DUPLICATE_GROUPS
    return snapshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--teammates", type=int, default=200_000)
    parser.add_argument("--bad-last", action="store_true")
    parser.add_argument("--fill", type=int, metavar="BYTES")
    args = parser.parse_args()
    teammates = args.teammates if args.fill is None else filling(args.fill)
    args.out.write_text(_text(teammates, bad_last=args.bad_last), encoding="utf-8")


def _text(teammates: int, *, bad_last: bool = False) -> str:
    return json.dumps(big_snapshot(teammates, bad_last=bad_last), indent=2)


def filling(size: int) -> int:
    """The most teammates whose snapshot is at most `size` bytes. Teammate n adds the same
    characters as teammate 1 but for the digits of n, twice (its name and its email)."""
    one = len(_text(1))
    if one > size:
        return 0
    each = len(_text(2)) - one - 2  # teammate 1's characters but for its digits
    teammates, total = 1, one
    while total + each + 2 * len(str(teammates)) <= size:
        total += each + 2 * len(str(teammates))
        teammates += 1
    return teammates

if __name__ == "__main__":
    main()
