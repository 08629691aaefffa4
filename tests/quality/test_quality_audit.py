"""Cases a team's real repository brings that nobody listed: a broken pyproject.toml, symbolic links out of
the project, git submodules, flake8 plugins from a hook's additional_dependencies."""

from __future__ import annotations

from collections.abc import Callable
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
