"""A large snapshot for the scale benchmarks: the misconfigured example with many
unmapped teammates and duplicate-email groups at the collector's bound.

    python bench/big_snapshot.py OUT.json [--teammates N] [--bad-last]

`--bad-last` makes the last teammate's `has_inbox_seat` a string, so the snapshot is
refused by its schema at its very end (the error path's benchmark).
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
    args = parser.parse_args()
    args.out.write_text(json.dumps(big_snapshot(args.teammates, bad_last=args.bad_last), indent=2),
                        encoding="utf-8")


if __name__ == "__main__":
    main()
