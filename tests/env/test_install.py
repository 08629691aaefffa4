"""Real installs by scripts/setup_env.py: uv from the lock, the pip fallback, hashes, restored venvs."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import setup_env

pytestmark = pytest.mark.slow


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


def run_setup(tmp_path: Path, *argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    output = tmp_path / "github-output"
    output.write_text("", encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(Path(setup_env.__file__)), *argv, "--venv-root", str(tmp_path / "temp")],
        capture_output=True,
        text=True,
        env={**env, "GITHUB_OUTPUT": str(output), "GITHUB_ACTIONS": "true"},
        check=False,
    )


def test_uv_installs_the_lock_with_the_projects_black_and_a_second_run_restores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if not uv:
        pytest.skip("uv is not installed (requirements-dev.txt pins it)")
    project = tmp_path / "project"
    project.mkdir()
    (project / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: https://github.com/psf/black-pre-commit-mirror\n    rev: 24.10.0\n"
        "    hooks:\n      - id: black\n",
        encoding="utf-8",
    )
    env = {**os.environ, "MLCI_UV": uv, "MLCI_PYTHON": sys.executable}
    first = run_setup(tmp_path, "install", "--env", "quality", "--project", str(project), env=env)
    assert first.returncode == 0, first.stderr + first.stdout
    result = outputs(tmp_path / "github-output")
    assert result["state"] == "installed"
    assert "black==24.10.0 (from .pre-commit-config.yaml)" in first.stdout
    python = result["python"]
    versions = subprocess.run(
        [python, "-c", "import black, flake8; print(black.__version__, flake8.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    locked = {
        e.name: e.version for e in setup_env.parse_lock((setup_env.REQUIREMENTS / "quality.lock").read_text())
    }
    assert versions == ["24.10.0", locked["flake8"]]

    again = run_setup(tmp_path, "install", "--env", "quality", "--project", str(project), env=env)
    assert again.returncode == 0, again.stderr
    assert outputs(tmp_path / "github-output") == {**result, "state": "restored"}
    assert "Installed" not in again.stderr  # uv never ran

    Path(python).unlink()  # a broken restore: built again, never trusted
    third = run_setup(tmp_path, "install", "--env", "quality", "--project", str(project), env=env)
    assert third.returncode == 0 and outputs(tmp_path / "github-output")["state"] == "installed"


def make_wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel, built with the standard library."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


@pytest.fixture
def tiny_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """requirements/quality.lock replaced by a one-package lock of a local wheel (no index: offline)."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel = make_wheel(wheels, "mlcitiny", "1.0")
    locks = tmp_path / "requirements"
    locks.mkdir()
    lock = locks / "quality.lock"
    lock.write_text(
        "#    uv pip compile --generate-hashes --universal --python-version 3.11 requirements/quality.txt\n"
        f"mlcitiny==1.0 \\\n    --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(setup_env, "REQUIREMENTS", locks)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.setenv("MLCI_UV", "false")  # uv "unavailable": the pip fallback
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path / "temp"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "github-output"))
    monkeypatch.delenv("MLCI_PYTHON", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "github-output").write_text("", encoding="utf-8")
    return lock, tmp_path / "github-output"


def test_pip_installs_the_lock_when_uv_is_unavailable(tiny_lock: tuple[Path, Path]) -> None:
    _, output = tiny_lock
    assert setup_env.main(["install", "--env", "quality"]) == 0
    result = outputs(output)
    assert result["state"] == "installed"
    shown = subprocess.run(
        [result["python"], "-c", "import mlcitiny, sys; print(mlcitiny.VERSION, sys.prefix)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == ["1.0", str(Path(result["venv"]))]
    assert json.loads((Path(result["venv"]) / setup_env.MARKER).read_text())["key"] == result["key"]


def test_a_wheel_that_does_not_match_its_hash_is_refused(
    tiny_lock: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    lock, output = tiny_lock
    text = lock.read_text(encoding="utf-8")
    real = text.split("--hash=sha256:")[1][:64]
    lock.write_text(text.replace(real, "0" * 64), encoding="utf-8")  # what a swapped file on the index gives
    assert setup_env.main(["install", "--env", "quality"]) == 2
    captured = capsys.readouterr()
    assert "installing mlci's quality lock failed" in captured.err
    assert "state=" not in output.read_text(encoding="utf-8")
    assert not any(output.parent.joinpath("temp").glob("mlci-env-*"))  # nothing half-built left to cache
