#!/usr/bin/env python3
"""One version's section of CHANGELOG.md (Keep a Changelog): the notes of its GitHub release.

    python scripts/devtools/changelog.py 1.2.0                # print the body of "## [1.2.0] - 2026-12-01"
    python scripts/devtools/changelog.py v1.2.0 --file CHANGELOG.md

Exit 0 and the section's body on stdout; exit 2 with one line on stderr when the version is not X.Y.Z, or the
file has no section for it, or the section is empty. Standard library only: the release workflow runs it with
the runner's python3, before anything is installed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

_VERSION = re.compile(r"^v?(?P<version>\d+\.\d+\.\d+)$")
_HEADING = re.compile(r"^## (?P<title>.*?)\s*$", re.M)
_LINK_REFERENCE = re.compile(r"^\[[^\]]+\]:\s+\S+\s*$")


class ChangelogError(ValueError):
    """The version or the changelog is not what a release needs (one sentence, naming the fix)."""


def version(text: str) -> str:
    """``X.Y.Z`` from ``X.Y.Z`` or a tag ``vX.Y.Z``."""
    match = _VERSION.match(text.strip())
    if not match:
        raise ChangelogError(f"version {text!r} is not X.Y.Z (or a tag vX.Y.Z)")
    return match["version"]


def _names(title: str, wanted: str) -> bool:
    """A heading such as ``[1.2.0] - 2026-12-01``, ``1.2.0`` or ``[v1.2.0]`` names ``wanted``."""
    name = re.split(r"\s+-\s+|\s+", title.strip(), maxsplit=1)[0].strip("[]")
    return name.removeprefix("v") == wanted


def section(text: str, wanted: str, name: str = "CHANGELOG.md") -> str:
    """The body under ``## [wanted]``, up to the next ``## `` heading, without link reference definitions."""
    wanted = version(wanted)
    headings = list(_HEADING.finditer(text))
    for index, heading in enumerate(headings):
        if not _names(heading["title"], wanted):
            continue
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        lines = [line for line in text[heading.end() : end].splitlines() if not _LINK_REFERENCE.match(line)]
        body = "\n".join(lines).strip()
        if not body:
            raise ChangelogError(f"{name}: the section of {wanted} is empty; list its changes")
        return body + "\n"
    raise ChangelogError(
        f"{name} has no section for {wanted}: rename '## [Unreleased]' to '## [{wanted}] - YYYY-MM-DD' first"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print one version's section of CHANGELOG.md.")
    parser.add_argument("version", help="X.Y.Z, or the tag vX.Y.Z")
    parser.add_argument("--file", type=Path, default=Path("CHANGELOG.md"), help="Default: CHANGELOG.md.")
    args = parser.parse_args(argv)
    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"changelog: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(section(text, args.version, str(args.file)))
    except ChangelogError as exc:
        print(f"changelog: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
