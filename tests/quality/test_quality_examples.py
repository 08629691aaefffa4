"""The example projects users see in `make demo`: the clean one passes every check, the other fails each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # leave no __pycache__ in the examples


def test_clean_example_passes_the_linters_and_its_tests(gate: Callable[..., Any]) -> None:
    run = gate(
        "--checks",
        "flake8,black,isort,bandit,pytest",
        "--cov-fail-under",
        "90",
        "--pytest-args=-p no:cacheprovider",
        "examples/projects/clean",
    )
    assert run.code == 0, run.out
    assert all(entry["files_checked"] >= 2 for entry in run.report["tools"] if entry["tool"] != "pytest")
    assert run.tool("pytest")["pytest"]["passed"] >= 4


def test_findings_example_fails_each_linter_once(gate: Callable[..., Any]) -> None:
    run = gate("examples/projects/findings")
    assert run.code == 1
    assert {entry["tool"]: entry["findings"] for entry in run.report["tools"]} == {
        "flake8": 1,
        "black": 1,
        "isort": 1,
        "bandit": 1,
    }
    assert {f["path"] for f in run.report["results"]} == {
        "examples/projects/findings/wine_quality/predict.py",
        "examples/projects/findings/wine_quality/labels.py",
        "examples/projects/findings/wine_quality/io.py",
        "examples/projects/findings/wine_quality/model.py",
    }
