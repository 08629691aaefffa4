"""``mlci quality`` refuses bad input with one clear line (see hardening/battery.py)."""

from __future__ import annotations

import pytest

from hardening.battery import Battery, Case

CASES = {
    "unknown-check": Case(lambda w: ["quality", "--checks", "flake8,pylint"], "'pylint'"),
    "missing-path": Case(lambda w: ["quality", "no/such/dir"], "PATH no/such/dir"),
    "jobs-zero": Case(lambda w: ["quality", "--jobs", "0"], "--jobs"),
    "coverage-over-100": Case(
        lambda w: ["quality", "--checks", "pytest", "--cov-fail-under", "150"], "--cov-fail-under"
    ),
    "pytest-args-unbalanced-quote": Case(
        lambda w: ["quality", "--checks", "pytest", "--pytest-args", "-k 'fast"], "--pytest-args"
    ),
    "pytest-args-unknown-option": Case(
        lambda w: ["quality", "--checks", "pytest", "--pytest-args=--bogus"],
        "unrecognized arguments: --bogus",
        setup=lambda w: w.file("test_a.py", "def test_a():\n    pass\n"),
    ),
    "two-bandit-files": Case(
        lambda w: ["quality", "--checks", "bandit"],
        "several .bandit files",
        setup=lambda w: (
            w.file("a/.bandit", "[bandit]\n"),
            w.file("b/.bandit", "[bandit]\n"),
            w.file("m.py", "x = 1\n"),
        ),
    ),
    "broken-ruff-config": Case(
        lambda w: ["quality", "--checks", "ruff", w.file("m.py", "x = 1\n")],
        "ruff",
        setup=lambda w: w.file("ruff.toml", "line-length = 'wide'\n"),
    ),
    "bandit-severity-unknown": Case(
        lambda w: ["quality", "--bandit-severity", "critical"], "--bandit-severity"
    ),
    "changed-since-unknown-ref": Case(
        lambda w: ["quality", "--checks", "flake8", "--changed-since", "origin/nope"],
        "--changed-since origin/nope",
        setup=lambda w: w.git_project(),
    ),
    "changed-since-outside-git": Case(
        lambda w: ["quality", "--checks", "flake8", "--changed-since", "main"],
        "--changed-since main",
        setup=lambda w: w.file("m.py", "x = 1\n"),
    ),
    "broken-pyproject": Case(
        lambda w: ["quality", "--checks", "black"],
        "pyproject.toml: not valid TOML",
        setup=lambda w: w.file("pyproject.toml", "[tool.black\n"),
    ),
    "tool-cannot-run": Case(
        lambda w: ["quality", "--checks", "flake8,black", w.file("m.py", "x = 1\n")],
        "flake8 did not run",
        setup=lambda w: w.file(".flake8", "[flake8]\nmax-line-length = abc\n"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_quality_input(case: str, battery: Battery) -> None:
    battery.refuse(CASES[case])
