"""The details a user meets on a real codebase: odd file names, a nested .bandit, pytest's own counts and
messages, a PATH with nothing in it, a broken setup.cfg."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlci_testing import ActionsStep

Gate = Callable[..., Any]

TESTS = """\
import pytest


def test_ok():
    pass


def test_bad():
    assert 0


@pytest.mark.xfail
def test_xfail():
    assert 0


@pytest.mark.xfail
def test_xpass():
    pass


@pytest.fixture
def boom():
    raise RuntimeError("setup broke")


def test_error(boom):
    pass


@pytest.mark.skip
def test_skipped():
    pass
"""


def test_a_tracked_file_name_that_is_not_utf8_is_skipped_with_a_warning_naming_it(
    project: Callable[..., Path], gate: Gate, git: Callable[..., str]
) -> None:
    root = project("clean", git_repo=True)
    name = os.path.join(os.fsencode(root), b"inventory", b"caf\xe9.py")  # latin-1, as an old archive has it
    with open(name, "wb") as handle:
        handle.write(b"x = 1\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "latin-1 name")
    run = gate("--checks", "flake8")
    assert run.code == 0
    (warning,) = [line for line in run.out.splitlines() if line.startswith("warning:")]
    assert "caf\\udce9.py" in warning and "not valid UTF-8" in warning and "rename" in warning
    assert run.checked() == {"flake8": 3}


def test_a_bandit_file_in_a_subdirectory_is_honoured_as_bandit_r_does(
    project: Callable[..., Path], gate: Gate
) -> None:
    root = project("findings")
    (root / "shop" / ".bandit").write_text("[bandit]\nskips = B307\n")
    by_hand = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-c", "pyproject.toml", "-r", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert by_hand.returncode == 0, by_hand.stdout  # bandit -r found shop/.bandit and skipped B307
    run = gate("--checks", "bandit")
    assert run.code == 0
    assert run.findings("bandit") == []
    (root / "shop" / ".bandit").write_text("[bandit]\nskips = B101\n")  # its edit reaches the cache
    assert gate("--checks", "bandit").code == 1


def test_two_bandit_files_are_bandits_own_refusal(project: Callable[..., Path], gate: Gate) -> None:
    root = project("findings")
    (root / "shop" / ".bandit").write_text("[bandit]\nskips = B307\n")
    (root / "tests" / ".bandit").write_text("[bandit]\nskips = B101\n")
    run = gate("--checks", "bandit")
    assert run.code == 2
    assert run.out.count("\n") == 1 and "several .bandit files" in run.out and "shop/.bandit" in run.out


def test_pytest_counts_as_pytest_prints_them(
    tmp_path: Path, gate: Gate, actions: ActionsStep, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "test_mixed.py").write_text(TESTS)
    monkeypatch.chdir(tmp_path / "proj")
    by_hand = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()[-1]
    assert "1 failed, 1 passed, 1 skipped, 1 xfailed, 1 xpassed, 1 error in" in by_hand
    run = gate("--checks", "pytest")
    summary = run.tool("pytest")["pytest"]
    counts = {key: summary[key] for key in ("passed", "failed", "skipped", "xfailed", "xpassed", "errors")}
    assert counts == {"passed": 1, "failed": 1, "skipped": 1, "xfailed": 1, "xpassed": 1, "errors": 1}
    assert (
        "| pytest | ❌ fail | 2 | 1 failed, 1 passed, 1 skipped, 1 xfailed, 1 xpassed, 1 error |"
        in actions.summary
    )


def test_a_collection_error_shows_its_cause(
    tmp_path: Path, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "test_broken.py").write_text("import nosuchmodule\n\n\ndef test_x():\n    pass\n")
    monkeypatch.chdir(tmp_path / "proj")
    run = gate("--checks", "pytest")
    assert run.code == 1
    (line,) = [line for line in run.out.splitlines() if "[pytest: test failed]" in line]
    assert line.startswith("test_broken.py: error: ")
    assert line.endswith("collection failure: ModuleNotFoundError: No module named 'nosuchmodule'")


def test_a_bad_pytest_arg_shows_pytests_own_message(project: Callable[..., Path], gate: Gate) -> None:
    project("clean")
    run = gate("--checks", "pytest", "--pytest-args=--bogus")
    assert run.code == 2
    (line,) = [line for line in run.out.splitlines() if line.startswith("error:")]
    assert "pytest did not run: pytest exited with code 4: " in line
    assert "error: unrecognized arguments: --bogus" in line  # pytest's words, not its "rootdir: ..." line


def test_a_path_with_nothing_to_check_says_so_and_warns_in_actions(
    project: Callable[..., Path], gate: Gate, actions: ActionsStep
) -> None:
    root = project("clean")
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("# Docs\n")
    run = gate("--checks", "flake8", "docs")
    assert run.code == 0
    assert (
        "::warning title=mlci quality::PATH docs: nothing to check there (no Python files the tools would "
        "check); name the project's source directory."
    ) in run.out.splitlines()


def test_a_broken_setup_cfg_warning_names_that_file(project: Callable[..., Path], gate: Gate) -> None:
    root = project("clean")
    (root / "pyproject.toml").unlink()  # so isort looks for its settings in setup.cfg
    (root / "setup.cfg").write_text("[isort]\nprofile = black\n  continued\n[broken\n")
    run = gate("--checks", "isort")
    warnings = [line for line in run.out.splitlines() + run.err.splitlines() if "warning" in line.lower()]
    assert warnings and all(str(root / "setup.cfg") in line for line in warnings), run.out + run.err
    assert "runner.py" not in run.out + run.err
