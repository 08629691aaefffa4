"""Cases a team's real repository brings that nobody listed: a broken pyproject.toml, symbolic links out of
the project, git submodules, flake8 plugins from a hook's additional_dependencies."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

Gate = Callable[..., Any]


@pytest.mark.parametrize("cache", ["--cache", "--no-cache"])
@pytest.mark.parametrize("check", ["flake8", "black", "isort", "bandit", "ruff", "ruff-format", "pytest"])
def test_a_pyproject_that_is_not_toml_is_one_line_exit_2_naming_it(
    project: Callable[..., Path], gate: Gate, check: str, cache: str
) -> None:
    root = project("clean")
    (root / "pyproject.toml").write_text("[tool.black\nline-length = 100\n")
    run = gate("--checks", check, *([cache] if cache == "--no-cache" else []))
    assert run.code == 2
    assert run.out.count("\n") == 1, run.out
    assert f"{root / 'pyproject.toml'}: not valid TOML (" in run.out


@pytest.mark.parametrize("check", ["ruff", "ruff-format"])
def test_a_nested_ruff_config_that_is_not_toml_is_named(
    project: Callable[..., Path], gate: Gate, check: str
) -> None:
    """ruff by hand reads inventory/ruff.toml for the files below it and fails on it: exit 2 naming it."""
    root = project("clean")
    (root / "inventory" / "ruff.toml").write_text("line-length = \n")
    run = gate("--checks", check, "--no-cache")
    assert run.code == 2
    assert run.out.count("\n") == 1 and f"{root / 'inventory' / 'ruff.toml'}: not valid TOML (" in run.out


SECRET = (
    'import os\npassword = "hunter2-not-in-this-repo"\nimport subprocess\nsubprocess.call("ls", shell=True)\n'
)
ALL = "flake8,black,isort,bandit,ruff,ruff-format"


def _outside_links(tmp_path: Path, root: Path) -> None:
    """pkg/link.py and pkg/linkdir in the project point at a file and a directory outside it."""
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.py").write_text(SECRET)
    (outside / "dir" / "x.py").write_text(SECRET)
    (root / "inventory" / "link.py").symlink_to(outside / "secret.py")
    (root / "inventory" / "linkdir").symlink_to(outside / "dir", target_is_directory=True)


@pytest.mark.parametrize("in_git", [True, False], ids=["git", "walk"])
def test_a_symlink_out_of_the_project_is_not_read_nor_followed(
    tmp_path: Path, project: Callable[..., Path], gate: Gate, git: Callable[..., str], in_git: bool
) -> None:
    root = project("clean")
    expected = gate("--checks", ALL, "--no-cache").checked()
    _outside_links(tmp_path, root)
    if in_git:
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "a pull request that links out")
    run = gate("--checks", ALL, "--no-cache")
    everything = run.out + run.err + str(run.report)
    assert "hunter2" not in everything and "secret.py" not in everything
    assert run.code == 0, run.out
    assert run.checked() == expected  # the project's own files, as before the links
    assert (
        f"warning: [mlci quality] {root / 'inventory' / 'link.py'}: skipped, a symbolic link to outside the "
        "project (the gate checks only the project's own files)."
    ) in run.out.splitlines()


def test_a_path_that_links_out_of_the_project_is_skipped(
    tmp_path: Path, project: Callable[..., Path], gate: Gate
) -> None:
    root = project("clean")
    _outside_links(tmp_path, root)
    run = gate("--checks", ALL, "--no-cache", "inventory/linkdir", "inventory/link.py")
    assert "hunter2" not in run.out + str(run.report) and run.code == 0
    assert run.checked() == dict.fromkeys(ALL.split(","), 0)
    lines = run.out.splitlines()
    for name in ("linkdir", "link.py"):
        assert (
            f"warning: [mlci quality] {root / 'inventory' / name}: skipped, a symbolic link to outside the "
            "project (the gate checks only the project's own files)."
        ) in lines


def test_a_hooks_additional_dependencies_that_are_not_installed_are_named(
    project: Callable[..., Path], gate: Gate
) -> None:
    """flake8-bugbear in the flake8 hook's additional_dependencies: pre-commit's flake8 reports its B codes;
    the gate's flake8 (without it, as flake8 by hand here) cannot, and says so instead of passing silently."""
    root = project("clean")
    installed = metadata.version("pyflakes")
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: https://github.com/pycqa/flake8\n    rev: 7.1.1\n    hooks:\n      - id: flake8\n"
        "        additional_dependencies:\n          - flake8-bugbear==24.12.12\n"
        f"          - pyflakes=={installed}\n          - pycodestyle==2.0.0\n"
    )
    run = gate("--checks", "flake8")
    assert run.code == 0
    warnings = [line for line in run.out.splitlines() if line.startswith("warning: [mlci quality] flake8: ")]
    where = "from the additional_dependencies of its hook in .pre-commit-config.yaml"
    assert [line.split(" beside ")[0] for line in warnings] == [
        f"warning: [mlci quality] flake8: flake8-bugbear==24.12.12 {where} is not installed",
        f"warning: [mlci quality] flake8: pycodestyle==2.0.0 {where} is installed at "
        f"{metadata.version('pycodestyle')}",
    ]
    assert "pip install 'flake8-bugbear==24.12.12'" in warnings[0]


def test_a_submodule_named_as_a_path_is_checked_as_the_tool_by_hand_checks_it(
    tmp_path: Path, project: Callable[..., Path], gate: Gate, git: Callable[..., str]
) -> None:
    """``flake8 vendor/lib`` checks the submodule's files; ``mlci quality`` on the whole repository leaves
    them out, as ``pre-commit run --all-files`` does (git lists a submodule as one entry)."""
    library = tmp_path / "library"
    (library / "lib").mkdir(parents=True)
    (library / "lib" / "util.py").write_text("import os\n")
    git(library, "init", "-q", "-b", "main")
    git(library, "add", "-A")
    git(library, "commit", "-q", "-m", "library")
    root = project("clean", git_repo=True)
    git(root, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "vendor/lib")
    git(root, "commit", "-q", "-m", "vendor the library")
    by_hand = subprocess.run(
        [sys.executable, "-m", "flake8", "vendor/lib"], cwd=root, capture_output=True, text=True, check=False
    )
    assert by_hand.stdout.splitlines() == ["vendor/lib/lib/util.py:1:1: F401 'os' imported but unused"]
    run = gate("--checks", "flake8", "vendor/lib")
    assert [(f["path"], f["code"]) for f in run.findings("flake8")] == [("vendor/lib/lib/util.py", "F401")]
    assert gate("--checks", "flake8").findings("flake8") == []
