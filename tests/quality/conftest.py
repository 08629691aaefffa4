"""Fixtures for the quality gate: fixture projects copied to tmp_path, and a runner that reads the report."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlci import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "quality"


def run_git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a throw-away identity."""
    result = subprocess.run(
        ["git", "-c", "user.name=mlci tests", "-c", "user.email=tests@mlci.invalid", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


@pytest.fixture
def git() -> Callable[..., str]:
    """``git(root, *args)``: run git in a test repository."""
    return run_git


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """``project("findings")``: a copy of a fixture project in tmp_path, made the current directory
    (``git=True``: also a git repository with everything committed on ``main``)."""

    def make(name: str, *, git_repo: bool = False, into: Path | None = None) -> Path:
        dest = (into or tmp_path) / name
        shutil.copytree(FIXTURES / name, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        monkeypatch.chdir(dest)
        if git_repo:
            run_git(dest, "init", "-q", "-b", "main")
            run_git(dest, "add", "-A")
            run_git(dest, "commit", "-q", "-m", "initial")
        return dest

    return make


@dataclass
class GateRun:
    """What a user sees from one ``mlci quality`` run."""

    code: int
    out: str
    err: str
    report: dict[str, Any]

    def tool(self, name: str) -> dict[str, Any]:
        return next(entry for entry in self.report["tools"] if entry["tool"] == name)

    def findings(self, tool: str) -> list[dict[str, Any]]:
        return [f for f in self.report["results"] if f["tool"] == tool and f["level"] == "error"]

    def checked(self) -> dict[str, int]:
        return {entry["tool"]: entry["files_checked"] for entry in self.report["tools"]}

    def cached(self) -> dict[str, int]:
        return {entry["tool"]: entry["files_cached"] for entry in self.report["tools"]}


@pytest.fixture
def gate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., GateRun]:
    """``gate("--checks", "flake8", ...)``: run ``mlci quality`` in-process with a JSON report."""
    counter = iter(range(1_000_000))

    def run(*args: str) -> GateRun:
        report = tmp_path / f"report-{next(counter)}.json"
        code = cli.main(["quality", "--report", str(report), *args])
        captured = capsys.readouterr()
        data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
        return GateRun(code, captured.out, captured.err, data)

    return run
