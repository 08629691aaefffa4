"""Helpers for tests (importable from any test module: tests/ is on pytest's pythonpath)."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"

_HEREDOC = re.compile(r"^(?P<name>[^\n<]+)<<(?P<delim>\S+)\n(?P<value>.*?)\n(?P=delim)\n", re.S | re.M)


def parse_github_output(text: str) -> dict[str, str]:
    """Parse ``$GITHUB_OUTPUT`` the way the runner does (``name<<DELIM`` blocks and ``name=value`` lines)."""
    values: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _HEREDOC.match(text, pos)
        if match:
            values[match["name"]] = match["value"]
            pos = match.end()
            continue
        line_end = text.find("\n", pos)
        line = text[pos : line_end if line_end >= 0 else len(text)]
        if line.strip():
            name, sep, value = line.partition("=")
            if not sep:
                raise ValueError(f"malformed GITHUB_OUTPUT line: {line!r}")
            values[name] = value
        pos = len(text) if line_end < 0 else line_end + 1
    return values


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
