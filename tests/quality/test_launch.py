"""mlci starts each linter its own way (``Linter.program``): the Python ones with the garbage collector tuned
(base.LINTER_LAUNCH), ruff as its binary without ``python -m ruff``'s interpreter. Shortcuts for speed that
must not change a byte of what the tool says, compared here with ``python -P -m TOOL`` run by hand."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mlci.quality.runner import Options, _projects, execute, sources_for
from mlci.quality.tools import TOOLS

# black's and isort's diff headers and bandit's report carry the time of the run
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")


def _said(returncode: int, stdout: str, stderr: str) -> tuple[int, str, str]:
    return returncode, _TIMESTAMP.sub("<time>", stdout), _TIMESTAMP.sub("<time>", stderr)


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_a_linter_says_through_mlci_what_it_says_by_hand(tool: str, project: Callable[..., Path]) -> None:
    root = project("findings")
    (project_,) = _projects(["."], Options(), root)
    linter = TOOLS[tool](project_)
    argv = linter.check_argv(sources_for(linter, project_))
    ours = execute(linter.program(), argv, root)
    by_hand = subprocess.run(
        [sys.executable, "-P", "-m", linter.module, *argv], cwd=root, capture_output=True, text=True
    )
    assert _said(ours.returncode, ours.stdout, ours.stderr) == _said(
        by_hand.returncode, by_hand.stdout, by_hand.stderr
    )
    assert ours.returncode == 1  # the fixture has something for every tool to say


def test_a_bad_option_fails_through_mlci_as_by_hand(project: Callable[..., Path]) -> None:
    root = project("findings")
    ours = execute(TOOLS["black"].program(), ["--no-such-option", "."], root)
    by_hand = subprocess.run(
        [sys.executable, "-P", "-m", "black", "--no-such-option", "."],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert (ours.returncode, ours.stdout, ours.stderr) == (by_hand.returncode, by_hand.stdout, by_hand.stderr)
    assert ours.stderr.startswith("Usage: python -m black ")  # sys.argv as with -m
    assert "No such option '--no-such-option'" in ours.stderr
