"""The golden reports: report.md and report.json of `auditor audit` on each example
snapshot, with the run's timestamp normalised, kept in tests/golden/ and compared byte
for byte by tests/test_golden.py.

After an intended change to a message, a template or a rule, regenerate them from the
repository's root and review the diff:

    python -m tests.golden.regenerate
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from auditor.report.filters import when

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
EXAMPLES = ("compliant", "misconfigured", "partial")
# What the run's own timestamp is replaced with, in report.json and in report.md.
GENERATED_AT = "2000-01-01T00:00:00Z"


def _normalised(report_md: str, report_json: str) -> dict[str, str]:
    generated_at = json.loads(report_json)["generated_at"]
    stamp = f'"generated_at": "{generated_at}"'
    assert report_json.count(stamp) == 1, "report.json names its generated_at once"
    return {
        "report.md": report_md.replace(when(generated_at), when(GENERATED_AT)),
        "report.json": report_json.replace(stamp, f'"generated_at": "{GENERATED_AT}"'),
    }


def render_example(example: str) -> dict[str, str]:
    """File name -> text of the example's reports, as the command line writes them."""
    with tempfile.TemporaryDirectory() as out:
        # Run from the repository with a relative path, so that the snapshot's name in
        # the reports is the same on every machine.
        result = subprocess.run(
            [sys.executable, "-m", "auditor", "audit", "--snapshot",
             f"examples/{example}.snapshot.json", "--format", "md", "--format", "json",
             "--out", out, "--quiet"],
            cwd=REPO, capture_output=True, text=True, check=False)
        if result.returncode not in (0, 1):  # 1: findings at or above --fail-on
            raise RuntimeError(f"auditor audit on {example} exited {result.returncode}:\n"
                               f"{result.stderr}")
        folder = Path(out)
        return _normalised((folder / "report.md").read_text(encoding="utf-8"),
                           (folder / "report.json").read_text(encoding="utf-8"))


def render_trend() -> dict[str, str]:
    """trend.md and trend.json of `auditor history` over the thirty nights of
    tests/golden/history.py (made afresh, never kept by hand)."""
    from tests.golden.history import make_history

    with tempfile.TemporaryDirectory() as folder:
        make_history(Path(folder) / "history")
        # Run from the folder with a relative path, so the trend names the same files on
        # every machine.
        result = subprocess.run(
            [sys.executable, "-m", "auditor", "history", "history", "--format", "md",
             "--format", "json", "--out", "out"],
            cwd=folder, capture_output=True, text=True, check=False,
            env={**os.environ, "PYTHONPATH": str(REPO)})
        if result.returncode != 0:
            raise RuntimeError(f"auditor history exited {result.returncode}:\n{result.stderr}")
        return {name: (Path(folder) / "out" / name).read_text(encoding="utf-8")
                for name in ("trend.md", "trend.json")}


def golden_path(example: str, name: str) -> Path:
    return GOLDEN / example / name


def main() -> None:
    outputs = [(example, render_example(example)) for example in EXAMPLES]
    for example, texts in [*outputs, ("trend", render_trend())]:
        for name, text in texts.items():
            path = golden_path(example, name)
            path.parent.mkdir(exist_ok=True)
            changed = not path.exists() or path.read_text(encoding="utf-8") != text
            path.write_text(text, encoding="utf-8")
            print(f"{'updated' if changed else 'unchanged'} {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
