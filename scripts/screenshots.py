"""Make the README's screenshots: the audit report, the checklist, the terminal summary
and the trend over thirty nights.

    python scripts/screenshots.py            # writes docs/screenshots/*.png

Audits the bundled misconfigured example with the installed `auditor`, then photographs
the reports in headless Chromium through playwright (a test extra). The terminal summary
is the audit's own stdout, coloured as on a terminal, drawn on a dark page. The trend is
`auditor history` over the thirty nights tests/golden/history.py makes.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the thirty nights are made by the tests' own script

from auditor.report.render import render_summary_table  # noqa: E402
from tests.golden.history import make_history  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
EXAMPLE = ROOT / "examples" / "misconfigured.snapshot.json"
COLUMNS = 110  # the terminal's width for the summary
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# The SGR codes click.style writes for the summary's colours.
_ANSI_CLASSES = {"1": "b", "2": "dim", "31": "red", "32": "green", "33": "yellow",
                 "35": "magenta"}
_TERMINAL_CSS = """
body { margin: 0; background: #1e1e1e; }
pre { margin: 0; padding: 18px 22px; color: #d4d4d4; font: 14px/1.35 "DejaVu Sans Mono",
      "Liberation Mono", monospace; white-space: pre; }
.b { font-weight: bold; } .dim { color: #8a8a8a; } .red { color: #f14c4c; }
.green { color: #23d18b; } .yellow { color: #e5c07b; } .magenta { color: #c678dd; }
.prompt { color: #61afef; }
"""


def audit(workdir: Path, *options: str) -> str:
    """Run `auditor audit` on the example in workdir; its stdout."""
    env = {**os.environ, "COLUMNS": str(COLUMNS), "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "audit", "--snapshot", EXAMPLE.name, *options],
        cwd=workdir, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"auditor audit failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def ansi_to_html(text: str) -> str:
    """The summary's colour codes as <span>s; everything else escaped."""
    out, open_spans = [], 0
    for part in re.split(r"(\x1b\[[0-9;]*m)", text):
        codes = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
        if not codes:
            out.append(html.escape(part))
        elif codes.group(1) in ("0", ""):
            out.append("</span>" * open_spans)
            open_spans = 0
        else:
            classes = " ".join(_ANSI_CLASSES.get(code, "") for code in codes.group(1).split(";"))
            out.append(f'<span class="{classes.strip()}">')
            open_spans += 1
    return "".join(out) + "</span>" * open_spans


def terminal_page(workdir: Path, stdout: str) -> Path:
    """The audit's stdout as a terminal shows it: its summary in colour."""
    results = json.loads((workdir / "reports" / "report.json").read_text(encoding="utf-8"))
    plain = render_summary_table(results, width=COLUMNS)
    coloured = render_summary_table(results, width=COLUMNS, color=True)
    if stdout.startswith(plain):
        stdout = coloured + stdout[len(plain):]
    command = f"$ auditor audit --snapshot {EXAMPLE.name}"
    page = workdir / "terminal.html"
    page.write_text(f"<!DOCTYPE html><meta charset='utf-8'><style>{_TERMINAL_CSS}</style>"
                    f"<pre><span class='prompt'>{html.escape(command)}</span>\n"
                    f"{ansi_to_html(stdout)}</pre>", encoding="utf-8")
    return page


def trend_page(workdir: Path) -> Path:
    """trend.html of `auditor history` over thirty nights of the three examples."""
    make_history(workdir / "history")
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "history", "history", "--out", "trend", "--format",
         "html"], cwd=workdir, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"auditor history failed ({done.returncode}):\n{done.stderr}")
    return workdir / "trend" / "trend.html"


def shoot(page: Page, source: Path, target: str, *, anchor: str | None = None,
          full: bool = False) -> None:
    page.goto(source.as_uri() + (f"#{anchor}" if anchor else ""), wait_until="load")
    page.screenshot(path=str(OUT / target), full_page=full)
    print(f"wrote {(OUT / target).relative_to(ROOT)}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        shutil.copy(EXAMPLE, workdir / EXAMPLE.name)
        # The checklist first, into its own folder: the audit's report.json is read after.
        audit(workdir, "--profile", "onboarding", "--out", "checklist")
        stdout = audit(workdir, "--out", "reports")
        checklist = next(path for name in ("checklist.html", "report.html")
                         if (path := workdir / "checklist" / name).exists())
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                 args=["--headless", "--no-sandbox"])
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 1350})
                report = workdir / "reports" / "report.html"
                shoot(page, report, "report-summary.png")
                shoot(page, report, "report-finding.png",
                      anchor="finding-connection.admin_access_temporary")
                shoot(page, checklist, "checklist.png")
                trend = browser.new_page(viewport={"width": 1200, "height": 1100})
                shoot(trend, trend_page(workdir), "trend.png")
                terminal = browser.new_page(viewport={"width": 1000, "height": 400})
                shoot(terminal, terminal_page(workdir, stdout), "terminal-summary.png",
                      full=True)
            finally:
                browser.close()


if __name__ == "__main__":
    main()
