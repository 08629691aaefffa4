"""The args: of the project's pre-commit hooks: the settings-like ones reach the tools, the rest are named
in a notice, and the verdicts equal the tools run by hand with those args."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Gate = Callable[..., Any]

PRE_COMMIT = """\
repos:
  - repo: https://github.com/psf/black-pre-commit-mirror
    rev: 24.10.0
    hooks:
      - id: black
        args: [--line-length=79, --fast]
  - repo: https://github.com/pycqa/flake8
    rev: 7.1.1
    hooks:
      - id: flake8
        args: ["--max-line-length", "79", "--extend-ignore=E203", "--statistics"]
  - repo: https://github.com/pycqa/isort
    rev: 5.13.2
    hooks:
      - id: isort
        args: ["--profile", "black", "--filter-files"]
"""


def _by_hand(root: Path, module: str, *args: str) -> int:
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=root, capture_output=True, check=False
    ).returncode


def test_hook_args_reach_the_tools_and_the_rest_are_named(project: Callable[..., Path], gate: Gate) -> None:
    root = project("clean")
    assert gate("--checks", "flake8,black").code == 0  # line length 100 from the project's own config
    (root / ".pre-commit-config.yaml").write_text(PRE_COMMIT)
    run = gate("--checks", "flake8,black,isort")
    assert run.code == 1
    assert {f["title"] for f in run.findings("flake8")} == {"flake8 E501"}
    assert _by_hand(root, "flake8", "--max-line-length", "79", ".") == 1
    assert [f["path"] for f in run.findings("black")] == ["inventory/stock.py"]
    assert _by_hand(root, "black", "--check", "--line-length=79", "inventory/stock.py") == 1
    assert run.checked() == {"flake8": 3, "black": 3, "isort": 3}  # the hook args are part of the cache key
    lines = run.out.splitlines()
    assert (
        "notice: [mlci quality] black: from the args of its hook in .pre-commit-config.yaml, the gate uses "
        "--line-length=79; ignored --fast (not a setting the gate passes on: see docs/quality.md)."
    ) in lines
    assert any(
        "flake8: from the args" in line
        and "uses --max-line-length 79 --extend-ignore=E203" in line
        and "ignored --statistics" in line
        for line in lines
    )
    assert any(
        "isort: from the args" in line and "uses --profile black; ignored --filter-files" in line
        for line in lines
    )


def test_changing_the_hook_args_rechecks_that_tool(project: Callable[..., Path], gate: Gate) -> None:
    root = project("clean")
    (root / ".pre-commit-config.yaml").write_text(PRE_COMMIT)
    gate("--checks", "flake8,black")
    (root / ".pre-commit-config.yaml").write_text(PRE_COMMIT.replace("--line-length=79", "--line-length=100"))
    run = gate("--checks", "flake8,black")
    assert run.checked() == {"flake8": 0, "black": 3}
    assert run.findings("black") == []


def test_a_broken_pre_commit_config_is_one_line_exit_2(project: Callable[..., Path], gate: Gate) -> None:
    root = project("clean")
    (root / ".pre-commit-config.yaml").write_text("repos: [\n")
    run = gate("--checks", "flake8")
    assert run.code == 2
    assert run.out.count("\n") == 1 and ".pre-commit-config.yaml: not valid YAML" in run.out
