"""Helpers for tests (importable from any test module: tests/ is on pytest's pythonpath)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from devtools.composite import parse_github_output  # noqa: F401  # re-exported for the tests

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


@dataclass
class ActionsStep:
    """The files a GitHub Actions step writes to."""

    output_file: Path
    summary_file: Path

    @property
    def outputs(self) -> dict[str, str]:
        return parse_github_output(self.output_file.read_text(encoding="utf-8"))

    @property
    def summary(self) -> str:
        return self.summary_file.read_text(encoding="utf-8")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter that sees only mlci (what imports it pulls in, how it exits)."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(SCRIPTS)},
        capture_output=True,
        text=True,
        check=True,
    )


def git_history(directory: Path, versions: list[str]) -> list[str]:
    """A new git repository in ``directory`` with one commit per version (a file VERSION holding it); the
    commits' SHAs, oldest first."""

    def git(*argv: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(directory), *argv], check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    directory.mkdir(parents=True, exist_ok=True)
    git("init", "--quiet")
    commits = []
    for version in versions:
        (directory / "VERSION").write_text(version, encoding="utf-8")
        git("add", "VERSION")
        git("-c", "user.name=mlci", "-c", "user.email=mlci@example.com", "commit", "--quiet", "-m", version)
        commits.append(git("rev-parse", "HEAD"))
    return commits
