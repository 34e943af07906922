"""What users install is the wheel: build it (and the sdist it is made from), install it
into a fresh virtual environment with no source tree on the path, and run the commands
that need the bundled rules, templates, schemas and examples."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Files of the source tree that must reach the wheel, and where they land inside it.
BUNDLED = {
    "rules": ("auditor/rules", ("*.yaml",)),
    "examples": ("auditor/examples", ("*.json", "*.yaml")),
    "auditor/report/templates": ("auditor/report/templates", ("*",)),
    "auditor/documents/schemas": ("auditor/documents/schemas", ("*.json",)),
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build", reason="build is a test extra: pip install -e '.[test]'")
    out = tmp_path_factory.mktemp("dist")
    # No isolation: the locked setuptools builds it, with no download.
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = out.glob("*.whl")
    assert list(out.glob("*.tar.gz")), "no sdist was built"
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment holding only the wheel. The run-time dependencies come from
    this interpreter's site-packages as a plain path entry: its .pth files (among them
    the editable install's finder, which would map `auditor` back to this checkout) are
    not processed, so a file missing from the wheel cannot be found in the source tree."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    ask = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(
        subprocess.run(
            [venv / "bin" / "python", "-c", ask],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "dependencies.pth").write_text("\n".join(sorted(here)) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    return venv


def _run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [str(venv / "bin" / "auditor"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_wheel_holds_every_bundled_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for source, (inside, patterns) in BUNDLED.items():
        files = [
            path
            for pattern in patterns
            for path in (ROOT / source).rglob(pattern)
            if path.is_file() and "__pycache__" not in path.parts
        ]
        assert files, f"nothing to bundle under {source}"
        missing = sorted(
            f"{inside}/{path.relative_to(ROOT / source).as_posix()}"
            for path in files
            if f"{inside}/{path.relative_to(ROOT / source).as_posix()}" not in names
        )
        assert not missing, f"the wheel lacks {missing}"


def test_the_installed_wheel_is_what_runs(installed: Path, tmp_path: Path) -> None:
    where = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import auditor; print(auditor.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(installed), where


def test_demo_runs_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    result = _run(installed, "demo", "--out", str(tmp_path / "reports"), cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr  # the demo's example fails on purpose
    for name in ("report.html", "report.md", "report.json"):
        assert (tmp_path / "reports" / name).stat().st_size > 0, name


def test_rules_and_schemas_come_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    rules = _run(installed, "rules", cwd=tmp_path)
    assert rules.returncode == 0, rules.stderr
    assert "connection.integration_user" in rules.stdout
    schema = _run(installed, "schema", "snapshot", cwd=tmp_path)
    assert schema.returncode == 0, schema.stderr
    assert '"$schema"' in schema.stdout
