"""Parity: on a real codebase no one here wrote, `mlci quality` reports exactly what the four tools report
when run by hand on the project with the same configuration (including each tool's own exclusions)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Finding = tuple[str, str, int | None, str]
PACKAGE = "pathspec"  # ~4,500 lines in 31 files and nested packages: installed with black

SETUP_CFG = """\
[flake8]
max-line-length = 100
extend-exclude = hyperscan,pathspec/_meta.py
per-file-ignores = pathspec/patterns/*:E501
"""
PYPROJECT = """\
[tool.black]
line-length = 100
extend-exclude = "/re2/"

[tool.isort]
profile = "black"
skip = ["simple"]
extend_skip_glob = ["pathspec/patterns/gitignore/*"]

[tool.bandit]
exclude_dirs = ["pathspec/_backends/re2", "*/util.py"]
"""
# bandit skips .github (it excludes any path containing ".git"); the others check it
EXTRA_SCRIPT = "import os\nimport subprocess\n\nsubprocess.call('ls -l', shell=True)\n"


def _by_hand(root: Path) -> set[Finding]:
    def tool(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *args], cwd=root, capture_output=True, text=True)

    real = os.path.realpath(root)

    def rel(path: str) -> str:
        return os.path.relpath(path, real) if os.path.isabs(path) else os.path.normpath(path)

    found: set[Finding] = set()
    flake8 = tool("flake8", "--format=%(path)s\t%(row)d\t%(code)s", ".")
    for line in flake8.stdout.splitlines():
        path, row, code = line.split("\t")
        found.add(("flake8", rel(path), int(row), code))
    black = tool("black", "--check", ".")
    found |= {
        ("black", rel(line[15:]), None, "would reformat")
        for line in black.stderr.splitlines()
        if line.startswith("would reformat ")
    }
    isort = tool("isort", "--check-only", ".")
    for line in (isort.stderr + isort.stdout).splitlines():
        if match := re.match(r"ERROR: (.+) Imports are incorrectly sorted", line):
            found.add(("isort", rel(match[1]), None, "incorrectly sorted"))
    bandit = tool("bandit", "-r", "-f", "json", "-q", "-c", "pyproject.toml", ".")
    for item in json.loads(bandit.stdout)["results"]:
        found.add(("bandit", rel(item["filename"]), item["line_number"], item["test_id"]))
    return found


def _by_mlci(report: dict[str, Any]) -> set[Finding]:
    return {
        (f["tool"], f["path"], f["line"] if f["tool"] in ("flake8", "bandit") else None, f["code"])
        for f in report["results"]
        if f["level"] == "error"
    }


def test_mlci_reports_what_the_tools_report_by_hand(
    tmp_path: Path, monkeypatch: Any, gate: Callable[..., Any]
) -> None:
    spec = importlib.util.find_spec(PACKAGE)
    assert spec is not None and spec.submodule_search_locations
    root = tmp_path / "project"
    shutil.copytree(
        spec.submodule_search_locations[0], root / PACKAGE, ignore=shutil.ignore_patterns("__pycache__")
    )
    (root / "setup.cfg").write_text(SETUP_CFG)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / ".gitignore").write_text(f"{PACKAGE}/backend.py\n")  # black skips it; the others do not
    (root / ".github" / "scripts").mkdir(parents=True)
    (root / ".github" / "scripts" / "check.py").write_text(EXTRA_SCRIPT)

    expected = _by_hand(root)
    monkeypatch.chdir(root)
    run = gate("--bandit-severity", "low", "--bandit-confidence", "low")

    assert run.code == 1
    assert {tool for tool, *_ in expected} == {
        "flake8",
        "black",
        "isort",
        "bandit",
    }  # every tool finds something
    assert _by_mlci(run.report) == expected
