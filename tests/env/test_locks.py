"""The hashed locks: one per action environment, and this repository's own (the Makefile's venv, the
benchmarks); each agrees with its input file, is complete, and is all the Makefile installs from."""

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


def make_dry_run(*targets: str, venv: Path) -> list[str]:
    """The commands `make` would run for TARGETS, every prerequisite included (-n -B: print, run nothing)."""
    make = shutil.which("make")
    if not make:
        pytest.skip("make is not installed")
    result = subprocess.run(
        [make, "-n", "-B", f"VENV={venv}", *targets], cwd=REPO, capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


def house_locks() -> dict[str, Path]:
    """lock name -> input file of the locks `make lock` writes besides the action environments'."""
    locks: dict[str, Path] = {}
    for line in make_dry_run("lock", venv=REPO / ".venv"):
        if match := re.search(r" pip compile .* (\S+) -o requirements/(\S+)\.lock$", line):
            if "$" not in match.group(1):  # the loop over LOCK_ENVS
                locks[match.group(2)] = REPO / match.group(1)
    return locks


def all_locks() -> dict[str, Path]:
    return {**{env: REQUIREMENTS / f"{env}.txt" for env in setup_env.ENVS}, **house_locks()}


ALL_LOCKS = sorted(all_locks())


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
    assert set(house_locks()) == {"dev", "bench"}
    assert sorted(path.stem for path in REQUIREMENTS.glob("*.lock")) == ALL_LOCKS
    python = tuple(int(part) for part in makefile_value("LOCK_PYTHON").split("."))
    for env in ALL_LOCKS:
        text = (REQUIREMENTS / f"{env}.lock").read_text(encoding="utf-8")
        assert f"--universal --python-version {makefile_value('LOCK_PYTHON')}" in text, env
        assert setup_env.minimum_python(text) == python


@pytest.mark.parametrize("env", ALL_LOCKS)
def test_lock_pins_what_its_input_file_pins_with_hashes(env: str) -> None:
    entries = setup_env.parse_lock((REQUIREMENTS / f"{env}.lock").read_text(encoding="utf-8"))
    locked = {entry.name: entry for entry in entries}
    # twice only as uv's --universal forks write it: one entry per Python-version marker
    twice = [e.text.splitlines()[0] for e in entries if [x.name for x in entries].count(e.name) > 1]
    assert all(" ; python_full_version " in line for line in twice), f"a package locked twice: {twice}"
    disagree = {
        name: (version, locked[name].version if name in locked else None)
        for name, version in direct_pins(all_locks()[env]).items()
        if name not in locked or locked[name].version != version
    }
    assert not disagree, f"{env}.lock and its input disagree (input, lock): {disagree}; run make lock"
    unhashed = [entry.name for entry in entries if not entry.hashes or not entry.version]
    assert not unhashed, f"entries without an exact pin and a sha256: {unhashed}"


@pytest.mark.slow
@pytest.mark.parametrize("env", ALL_LOCKS)
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


def test_the_makefile_venv_installs_only_from_hashed_locks(tmp_path: Path) -> None:
    """`make test`, `make demo`, `make bench` (and .ci/run) build .venv from the locks, never the inputs."""
    commands = make_dry_run("test", "demo", "bench", "lock", venv=tmp_path / "venv")
    installs = [line for line in commands if re.search(r"\bpip install\b", line)]
    assert installs, "the Makefile installs nothing"
    for line in installs:
        files = re.findall(r" -r (\S+)", line)
        assert "--require-hashes" in line and files, line
        assert all(name.endswith(".lock") for name in files), line
    assert any(" -r requirements/dev.lock" in line for line in installs)
    assert any(" -r requirements/bench.lock" in line for line in installs)


@pytest.mark.slow
def test_a_machine_without_uv_gets_the_locked_uv_from_pip(tmp_path: Path) -> None:
    """A fresh machine has Python and pip, no uv: the Makefile pip-installs the uv that dev.lock pins, with
    its hashes, into the venv (and nothing but that venv's uv is used after)."""
    venv = tmp_path / "venv"
    base = Path(getattr(sys, "_base_executable", sys.executable))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHON": str(base), "PYTHONPATH": ""}
    result = subprocess.run(
        ["make", "--no-print-directory", f"VENV={venv}", f"{venv}/bin/uv"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode and re.search(
        r"Could not find a version|NewConnectionError|No matching", result.stderr
    ):
        pytest.skip(f"the package index is out of reach: {result.stderr.strip().splitlines()[-1]}")
    assert result.returncode == 0, result.stderr
    version = subprocess.run([str(venv / "bin" / "uv"), "--version"], capture_output=True, text=True).stdout
    assert version.split()[1] == direct_pins(REPO / "requirements-dev.txt")["uv"]
