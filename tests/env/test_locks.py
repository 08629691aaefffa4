"""The hashed locks the actions install: one per environment, agreeing with its input file, complete."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import setup_env

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "requirements"
UNREACHABLE = "Failed to fetch"  # uv's words when the index cannot be reached


def makefile_value(name: str) -> str:
    match = re.search(rf"^{name} := (.+)$", (REPO / "Makefile").read_text(encoding="utf-8"), re.M)
    assert match, f"Makefile sets no {name}"
    return match.group(1).strip()


def direct_pins(path: Path) -> dict[str, str]:
    """name -> version of every ``==`` pin in a requirements file and the files it ``-r`` includes."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins.update(direct_pins(path.parent / line[3:].strip()))
        elif match := re.match(r"^([A-Za-z0-9._-]+)(?:\[[^\]]*\])?==(\S+)", line):
            pins[setup_env.canonical(match.group(1))] = match.group(2)
    return pins


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if not found:
        pytest.skip("uv is not installed (requirements-dev.txt pins it)")
    return found


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    return Path(setup_env.venv_python(venv))


def dry_run(lock: Path, python: Path) -> subprocess.CompletedProcess[str]:
    """What installing the lock with --require-hashes would do (uv's cache first, then the index)."""
    return subprocess.run(
        [uv(), "pip", "install", "--dry-run", "--require-hashes", "--python", str(python), "-r", str(lock)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_action_environment_has_one_lock_made_by_make_lock() -> None:
    envs = makefile_value("LOCK_ENVS").split()
    assert sorted(envs) == sorted(setup_env.ENVS)
    assert sorted(path.stem for path in REQUIREMENTS.glob("*.lock")) == sorted(envs)
    python = tuple(int(part) for part in makefile_value("LOCK_PYTHON").split("."))
    for env in envs:
        text = (REQUIREMENTS / f"{env}.lock").read_text(encoding="utf-8")
        assert f"--universal --python-version {makefile_value('LOCK_PYTHON')}" in text, env
        assert setup_env.minimum_python(text) == python


@pytest.mark.parametrize("env", setup_env.ENVS)
def test_lock_pins_what_its_input_file_pins_with_hashes(env: str) -> None:
    entries = setup_env.parse_lock((REQUIREMENTS / f"{env}.lock").read_text(encoding="utf-8"))
    locked = {entry.name: entry for entry in entries}
    assert len(locked) == len(entries), "a package locked twice"
    disagree = {
        name: (version, locked[name].version if name in locked else None)
        for name, version in direct_pins(REQUIREMENTS / f"{env}.txt").items()
        if name not in locked or locked[name].version != version
    }
    assert (
        not disagree
    ), f"requirements/{env}.txt and its lock disagree (input, lock): {disagree}; run make lock"
    unhashed = [entry.name for entry in entries if not entry.hashes or not entry.version]
    assert not unhashed, f"entries without an exact pin and a sha256: {unhashed}"


@pytest.mark.slow
@pytest.mark.parametrize("env", setup_env.ENVS)
def test_lock_is_complete_for_require_hashes(env: str, fresh_venv: Path) -> None:
    result = dry_run(REQUIREMENTS / f"{env}.lock", fresh_venv)
    if result.returncode and UNREACHABLE in result.stderr:
        pytest.skip(f"the package index is out of reach: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_a_lock_missing_a_dependency_is_refused(tmp_path: Path, fresh_venv: Path) -> None:
    """The completeness check can fail: the quality lock without pluggy (pytest needs it)."""
    text = (REQUIREMENTS / "quality.lock").read_text(encoding="utf-8")
    entries = setup_env.parse_lock(text)
    assert "pluggy" in {entry.name for entry in entries}
    broken = tmp_path / "broken.lock"
    broken.write_text("".join(e.text + "\n" for e in entries if e.name != "pluggy"), encoding="utf-8")
    result = dry_run(broken, fresh_venv)
    if result.returncode and UNREACHABLE in result.stderr:
        pytest.skip(f"the package index is out of reach: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode != 0
    assert "pluggy" in result.stderr
