"""release.yml: a pushed tag vX.Y.Z publishes only what CHANGELOG.md says, after the self-tests pass."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from devtools.composite import Machine, run_job
from repo import hygiene as h

RELEASE = h.REPO / ".github" / "workflows" / "release.yml"
NOTES = "## [Unreleased]\n\n## [1.4.0] - 2026-12-01\n\n### Added\n\n- One-line reusable workflow calls.\n"


@pytest.fixture
def release() -> h.Document:
    return h.load(RELEASE)


def test_only_release_tags_trigger_it(release: h.Document) -> None:
    assert h.triggers(release) == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}}


def test_the_release_waits_for_the_notes_and_every_self_test(release: h.Document) -> None:
    jobs = h.jobs(release)
    assert jobs["self-tests"]["uses"] == "./.github/workflows/ci.yml"
    assert set(jobs["release"]["needs"]) == {"notes", "self-tests"}
    assert "workflow_call" in h.triggers(h.load(h.REPO / ".github" / "workflows" / "ci.yml"))


def test_contents_write_is_granted_to_the_release_job_only(release: h.Document) -> None:
    writers = [
        name
        for name, job in h.jobs(release).items()
        if (job.get("permissions") or {}).get("contents") == "write"
    ]
    assert writers == ["release"]
    assert release.data["permissions"] == {}


def _notes_job(tmp_path: Path, changelog: str, tag: str) -> tuple[bool, str, str]:
    machine = Machine(tmp_path / "machine")
    (machine.workspace / "scripts" / "devtools").mkdir(parents=True)
    shutil.copy(h.REPO / "scripts" / "devtools" / "changelog.py", machine.workspace / "scripts" / "devtools")
    (machine.workspace / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    result = run_job(
        RELEASE, "notes", machine, context={"github": {"ref_name": tag, "ref": f"refs/tags/{tag}"}}
    )
    return result.failed, result.transcript, machine.files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8")


def test_the_notes_job_puts_the_versions_section_in_the_summary(tmp_path: Path) -> None:
    failed, transcript, summary = _notes_job(tmp_path, NOTES, "v1.4.0")
    assert not failed, transcript
    assert summary == "## Release notes of v1.4.0\n\n### Added\n\n- One-line reusable workflow calls.\n"


def test_a_tag_without_a_changelog_section_stops_the_release(tmp_path: Path) -> None:
    failed, transcript, _ = _notes_job(tmp_path, NOTES, "v1.5.0")
    assert failed
    assert re.search(r"changelog: CHANGELOG.md has no section for 1\.5\.0", transcript)
