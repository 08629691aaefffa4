"""Unified diffs as black, isort and ruff format print them: split per file, with one header style (git's
``--- a/PATH`` / ``+++ b/PATH``, relative to the project root, whatever the tool printed), and where each
file's first change is."""

from __future__ import annotations

import re
from collections.abc import Callable

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+\d+(?:,\d+)? @@")
_CELL = re.compile(r":cell \d+$")  # ruff format names a notebook's cell after the file


def split_file_diffs(text: str, name_of: Callable[[str], str | None]) -> dict[str, str]:
    """The diff of each file in ``text``, keyed by ``name_of(header name)``, headers rewritten.

    A file's section starts at a ``--- NAME<TAB>...`` line directly followed by a ``+++`` line, where
    ``name_of(NAME)`` knows the file (so a removed line that happens to start with ``--`` starts nothing).
    """
    lines = text.splitlines(keepends=True)
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    skip_next = False
    for i, line in enumerate(lines):
        if skip_next:
            skip_next = False
            continue
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            printed = line[4:].split("\t", 1)[0].rstrip("\r\n")
            cell = _CELL.search(printed)
            key = name_of(printed[: cell.start()] if cell else printed)
            if key is not None:
                current = sections.setdefault(key, [])
                suffix = cell.group(0) if cell else ""
                current += [f"--- a/{key}{suffix}\n", f"+++ b/{key}{suffix}\n"]
                skip_next = True
                continue
        if current is not None:
            current.append(line)
    return {key: "".join(body) for key, body in sections.items()}


def first_changed_line(diff: str) -> int | None:
    """The line (of the original file) of the first change in ``diff``; None when it has no hunk."""
    line_no: int | None = None
    for line in diff.splitlines():
        match = _HUNK.match(line)
        if match:
            line_no = int(match.group(1))
            continue
        if line_no is None:
            continue
        if line.startswith(("-", "+")):
            return max(line_no, 1)
        line_no += 1
    return None
