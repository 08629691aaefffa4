"""The args: of the project's pre-commit hooks: the settings-like ones reach the tools, the rest are named
in a notice, and the verdicts equal the tools run by hand with those args."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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


FILTERED_HOOKS = """\
exclude: ^vendor/
repos:
  - repo: local
    hooks:
      - id: black
        name: black
        entry: {python} -m black --check
        language: system
        types_or: [python, pyi]
        exclude: ^migrations/
      - id: flake8
        name: flake8
        entry: {python} -m flake8
        language: system
        types: [python]
        files: ^(pkg|migrations)/
      - id: ruff
        name: ruff
        entry: {python} -m ruff check --no-cache --output-format=concise
        language: system
        types_or: [python, pyi]
      - id: ruff-format
        name: ruff-format
        entry: {python} -m ruff format --check --no-cache --output-format=concise
        language: system
        types_or: [python, pyi, jupyter]
        exclude_types: [jupyter]
"""
UGLY = "import os\nx = {  'a':1 }\n"
#: what each hook's tool prints for a file it flags
FLAGGED = {
    "black": re.compile(r"^would reformat (\S+)$"),
    "flake8": re.compile(r"^([\w./-]+):\d+:\d+: "),
    "ruff": re.compile(r"^([\w./-]+):(?:cell \d+:)?\d+:\d+: "),
    "ruff-format": re.compile(r"^([\w./-]+):(?:cell \d+:)?\d+:\d+: unformatted"),
}


def _pre_commit_flags(root: Path, hook: str, home: Path) -> set[str]:
    """The files ``pre-commit run --all-files HOOK`` reports (pre-commit passes them to the tool)."""
    out = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never", hook],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
        check=False,
    ).stdout
    return {match[1] for line in out.splitlines() if (match := FLAGGED[hook].match(line.strip()))}


def test_the_hooks_file_filters_select_files_as_pre_commit_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gate: Gate, git: Callable[..., str]
) -> None:
    """files:, exclude:, types_or:, exclude_types: of a hook and the top-level exclude: a file pre-commit
    never gives a hook's tool does not make that tool red in the gate."""
    root = tmp_path / "repo"
    for rel in ("pkg/mod.py", "migrations/0001_initial.py", "vendor/lib.py", "scripts/run.py"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(UGLY)
    (root / "pkg" / "__init__.py").write_text("")
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": ["import json\n", "x = {  'a':1 }\n"],
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "analysis.ipynb").write_text(json.dumps(notebook))
    (root / ".pre-commit-config.yaml").write_text(FILTERED_HOOKS.format(python=sys.executable))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    monkeypatch.chdir(root)
    expected = {hook: _pre_commit_flags(root, hook, tmp_path / "pre-commit-home") for hook in FLAGGED}
    assert expected == {
        "black": {"pkg/mod.py", "scripts/run.py"},
        "flake8": {"pkg/mod.py", "migrations/0001_initial.py"},
        "ruff": {"pkg/mod.py", "migrations/0001_initial.py", "scripts/run.py"},
        "ruff-format": {"pkg/mod.py", "migrations/0001_initial.py", "scripts/run.py"},
    }
    run = gate("--checks", ",".join(FLAGGED))
    assert {hook: {f["path"] for f in run.findings(hook)} for hook in FLAGGED} == expected


@pytest.mark.parametrize(
    ("hook", "said"),
    [
        ("exclude: '^(migrations/'", "hook black exclude: is not a valid regular expression"),
        ("types: [pyhton]", "hook black types: type tag 'pyhton' is not recognized"),
    ],
)
def test_a_hook_filter_pre_commit_refuses_is_one_line_exit_2(
    project: Callable[..., Path], gate: Gate, hook: str, said: str
) -> None:
    root = project("clean")
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: local\n    hooks:\n      - id: black\n        {hook}\n"
    )
    run = gate("--checks", "black")
    assert run.code == 2
    assert run.out.count("\n") == 1 and said in run.out and ".pre-commit-config.yaml" in run.out


def test_the_notice_names_the_hooks_filters(project: Callable[..., Path], gate: Gate) -> None:
    root = project("clean")
    (root / ".pre-commit-config.yaml").write_text(
        "exclude: ^docs/\nrepos:\n  - repo: local\n    hooks:\n      - id: black\n"
        "        exclude: ^inventory/\n        types: [python]\n"
    )
    run = gate("--checks", "black")
    assert run.checked() == {"black": 1}  # tests/test_stock.py; not inventory/__init__.py, inventory/stock.py
    assert (
        "notice: [mlci quality] black: checks only the files its hook in .pre-commit-config.yaml is given "
        "(top-level exclude: ^docs/; exclude: ^inventory/; types: [python]), as pre-commit selects them."
    ) in run.out.splitlines()


def test_a_local_hooks_entry_args_count_as_its_args_as_pre_commit_runs_them(
    project: Callable[..., Path], gate: Gate, git: Callable[..., str], tmp_path: Path
) -> None:
    """``repo: local`` hooks carry their settings in ``entry:`` (pre-commit runs entry + args + files)."""
    root = project("clean", git_repo=True)
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n"
        f"      - id: black\n        name: black\n        entry: {sys.executable} -m black --check -l 79\n"
        "        language: system\n        types: [python]\n"
        f"      - id: ruff\n        name: ruff\n        entry: {sys.executable} -m ruff check --select E501"
        " --output-format=concise --no-cache\n        args: [--line-length=79]\n"
        "        language: system\n        types: [python]\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hooks")
    home = tmp_path / "pre-commit-home"
    expected = {hook: _pre_commit_flags(root, hook, home) for hook in ("black", "ruff")}
    assert expected == {"black": {"inventory/stock.py"}, "ruff": {"inventory/stock.py"}}
    run = gate("--checks", "black,ruff")
    assert {hook: {f["path"] for f in run.findings(hook)} for hook in ("black", "ruff")} == expected
    assert {f["code"] for f in run.findings("ruff")} == {"E501"}
    assert any(
        "black: from the args of its hook" in line and "uses -l 79; ignored --check" in line
        for line in run.out.splitlines()
    )


def test_two_hooks_of_one_tool_check_the_files_either_is_given(
    project: Callable[..., Path], gate: Gate, git: Callable[..., str], tmp_path: Path
) -> None:
    """flake8 once for the package and once for the tests (``files: ^tests/``): pre-commit gives flake8
    both sets, so the gate's flake8 checks both."""
    root = project("clean", git_repo=True)
    (root / "tests" / "test_more.py").write_text("import os\n")
    (root / "inventory" / "extra.py").write_text("import sys\n")
    (root / "docs").mkdir()
    (root / "docs" / "conf.py").write_text("import re\n")
    entry = f"{sys.executable} -m flake8"
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n"
        f"      - id: flake8\n        name: flake8\n        entry: {entry}\n        language: system\n"
        "        files: ^inventory/\n        types: [python]\n"
        f"      - id: flake8\n        name: flake8 tests\n        entry: {entry}\n        language: system\n"
        "        files: ^tests/\n        types: [python]\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hooks")
    expected = _pre_commit_flags(root, "flake8", tmp_path / "pre-commit-home")
    assert expected == {"inventory/extra.py", "tests/test_more.py"}
    run = gate("--checks", "flake8")
    assert {f["path"] for f in run.findings("flake8")} == expected
    assert (
        "notice: [mlci quality] flake8: checks only the files its 2 hooks in .pre-commit-config.yaml are "
        "given (files: ^inventory/; types: [python] | files: ^tests/; types: [python]), as pre-commit "
        "selects them."
    ) in run.out.splitlines()


def test_a_subproject_uses_the_hooks_at_the_top_of_its_git_work_tree_as_pre_commit_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gate: Gate, git: Callable[..., str]
) -> None:
    """A monorepo: pre-commit reads .pre-commit-config.yaml at the top of the work tree and matches its
    filters there, also for a subproject with its own pyproject.toml (mlci's project root)."""
    root = tmp_path / "repo"
    api = root / "services" / "api"
    (api / "generated").mkdir(parents=True)
    (api / "pyproject.toml").write_text("[tool.black]\nline-length = 88\n")
    (api / "wide.py").write_text("VALUE = [" + ", ".join(['"' + "x" * 18 + '"'] * 4) + "]\n")  # 96 wide
    (api / "ugly.py").write_text(UGLY)
    (api / "generated" / "models.py").write_text(UGLY)
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: black\n        name: black\n"
        f"        entry: {sys.executable} -m black --check\n        language: system\n"
        "        types: [python]\n        args: [--line-length=100]\n"
        "        exclude: ^services/api/generated/\n"
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    monkeypatch.chdir(root)
    expected = _pre_commit_flags(root, "black", tmp_path / "pre-commit-home")
    assert expected == {"services/api/ugly.py"}  # wide.py fits in 100, generated/ is not the hook's
    run = gate("--checks", "black", "services/api")
    assert {f["path"] for f in run.findings("black")} == expected
    # a pull request that only changes the hooks at the top re-checks the subproject's every file
    config = root / ".pre-commit-config.yaml"
    config.write_text(config.read_text().replace("--line-length=100", "--line-length=88"))
    git(root, "commit", "-q", "-am", "narrower")
    run = gate("--checks", "black", "--changed-since", "HEAD~1", "services/api")
    assert {f["path"] for f in run.findings("black")} == {"services/api/ugly.py", "services/api/wide.py"}
