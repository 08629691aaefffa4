"""devtools.changelog: the release notes the release workflow publishes for a tag vX.Y.Z."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devtools import changelog

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "devtools" / "changelog.py"
CHANGELOG = """\
# Changelog

All notable changes to this project are documented in this file.

## [Unreleased]

### Fixed

- Not released yet.

## [1.10.0] - 2026-12-01

### Added

- Self-checkout at the workflow's own commit.

### Fixed

- A stale `mlci-ref` no longer wins.

## [1.1.0] - 2026-11-02

- Releases.

## 1.0.0

- First release.

## [0.9.0] - 2026-01-01

[Unreleased]: https://github.com/mlci-dev/mlci/compare/v1.10.0...HEAD
[1.10.0]: https://github.com/mlci-dev/mlci/compare/v1.1.0...v1.10.0
"""


def test_a_section_runs_to_the_next_version_heading() -> None:
    assert changelog.section(CHANGELOG, "1.10.0") == (
        "### Added\n\n- Self-checkout at the workflow's own commit.\n\n"
        "### Fixed\n\n- A stale `mlci-ref` no longer wins.\n"
    )


@pytest.mark.parametrize(("wanted", "body"), [("v1.1.0", "- Releases.\n"), ("1.0.0", "- First release.\n")])
def test_tags_and_headings_without_brackets_or_dates_are_read(wanted: str, body: str) -> None:
    assert changelog.section(CHANGELOG, wanted) == body


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        ("1.1", "version '1.1' is not X.Y.Z"),
        ("v1.2.0-rc.1", "is not X.Y.Z"),
        ("1.0.1", "CHANGELOG.md has no section for 1.0.1: rename '## [Unreleased]'"),
        ("0.10.0", "has no section for 0.10.0"),  # 1.10.0 and 0.9.0 are not 0.10.0
        ("0.9.0", "the section of 0.9.0 is empty"),  # link references are not notes
    ],
)
def test_a_version_without_notes_is_refused(wanted: str, message: str) -> None:
    with pytest.raises(changelog.ChangelogError, match=message.replace("[", r"\[").replace("(", r"\(")):
        changelog.section(CHANGELOG, wanted)


def _script(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    return subprocess.run(  # the release workflow runs it so: the runner's python3, nothing installed
        [sys.executable, "-I", str(SCRIPT), *argv], cwd=tmp_path, capture_output=True, text=True, check=False
    )


def test_the_script_prints_the_notes_of_a_tag(tmp_path: Path) -> None:
    done = _script(tmp_path, "v1.1.0")
    assert (done.returncode, done.stdout, done.stderr) == (0, "- Releases.\n", "")


def test_the_script_says_in_one_line_what_is_missing(tmp_path: Path) -> None:
    done = _script(tmp_path, "v2.0.0")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "changelog: CHANGELOG.md has no section for 2.0.0: "
        "rename '## [Unreleased]' to '## [2.0.0] - YYYY-MM-DD' first"
    ]
    missing = _script(tmp_path, "1.1.0", "--file", "NOPE.md")
    assert missing.returncode == 2 and missing.stderr.startswith("changelog: cannot read NOPE.md")
