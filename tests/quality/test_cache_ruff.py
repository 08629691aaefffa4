"""ruff's per-file cache and its cached file selection: an unchanged run starts no ruff process, an edited
file is re-checked alone, and every verdict equals ruff run by hand (nothing served stale)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlci.quality import runner
from mlci.quality.tools import ToolRun

Gate = Callable[..., Any]
CHECKS = ("--checks", "ruff,ruff-format")


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """Every tool process the gate starts (module, argv), recorded around the real runner.execute."""
    calls: list[tuple[str, list[str]]] = []
    real = runner.execute

    def recording(program: Any, argv: Any, cwd: Path, extra_env: Any = None) -> ToolRun:
        calls.append((Path(program[-1]).stem, list(argv)))  # the module, or the binary (ruff)
        return real(program, argv, cwd, extra_env)

    monkeypatch.setattr(runner, "execute", recording)
    return calls


@pytest.fixture
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git: Callable[..., str]) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.ruff.lint]\nselect = ["E", "F"]\n')
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "a.py").write_text("import os\n")
    (root / "pkg" / "b.py").write_text("x=1\n")
    (root / "pkg" / "c.py").write_text('"""Clean."""\n\nVALUE = 1\n')
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    monkeypatch.chdir(root)
    return root


def _ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "ruff", *args, "--no-cache", "."]
    return subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)


def _by_hand(root: Path) -> set[tuple[str, str, int]]:
    """ruff check's findings and ruff format --check's verdicts, run by hand in the project."""
    found = {
        (Path(item["filename"]).relative_to(root).as_posix(), item["code"], item["location"]["row"])
        for item in json.loads(_ruff(root, "check", "--output-format=json").stdout)
    }
    return found | {
        (Path(item["filename"]).relative_to(root).as_posix(), "would reformat", 1)
        for item in json.loads(_ruff(root, "format", "--check", "--output-format=json").stdout)
    }


def _ours(run: Any) -> set[tuple[str, str, int]]:
    return {
        (f["path"], f["code"], f["line"] if f["tool"] == "ruff" else 1)
        for tool in ("ruff", "ruff-format")
        for f in run.findings(tool)
    }


def test_an_unchanged_run_starts_no_ruff_process(
    proj: Path, gate: Gate, started: list[tuple[str, list[str]]]
) -> None:
    cold = gate(*CHECKS)
    assert _ours(cold) == _by_hand(proj) != set()
    assert any(module == "ruff" for module, _ in started)
    started.clear()
    warm = gate(*CHECKS)
    assert started == []
    assert warm.checked() == {"ruff": 0, "ruff-format": 0}
    assert warm.cached() == {"ruff": 4, "ruff-format": 4}
    assert (warm.code, _ours(warm)) == (cold.code, _ours(cold))


def test_an_edited_file_is_rechecked_alone(
    proj: Path, gate: Gate, started: list[tuple[str, list[str]]]
) -> None:
    gate(*CHECKS)
    started.clear()
    (proj / "pkg" / "c.py").write_text("import sys\n")
    run = gate(*CHECKS)
    assert run.checked() == {"ruff": 1, "ruff-format": 1}
    assert [argv[argv.index("--") + 1 :] for _, argv in started] == [["pkg/c.py"], ["pkg/c.py"]]
    assert _ours(run) == _by_hand(proj)
    assert ("pkg/c.py", "F401", 1) in _ours(run)


def test_a_new_file_and_a_new_ignore_rule_reach_the_cached_selection(
    proj: Path, gate: Gate, git: Callable[..., str]
) -> None:
    gate(*CHECKS)
    (proj / "pkg" / "d.py").write_text("import json\n")
    run = gate(*CHECKS)
    assert ("pkg/d.py", "F401", 1) in _ours(run)
    assert _ours(run) == _by_hand(proj)
    # ruff's walk honours .gitignore, even for a file git tracks: the selection must follow
    (proj / ".gitignore").write_text("pkg/a.py\n")
    git(proj, "add", ".gitignore")
    run = gate(*CHECKS)
    assert "pkg/a.py" not in {path for path, _, _ in _ours(run)}
    assert _ours(run) == _by_hand(proj)
    (proj / ".gitignore").write_text("")
    run = gate(*CHECKS)
    assert ("pkg/a.py", "F401", 1) in _ours(run)
    assert _ours(run) == _by_hand(proj)


def test_a_ruff_exclude_added_after_a_cached_run_applies(proj: Path, gate: Gate) -> None:
    gate(*CHECKS)
    pyproject = proj / "pyproject.toml"
    pyproject.write_text('[tool.ruff]\nextend-exclude = ["pkg/b.py"]\n' + pyproject.read_text())
    run = gate(*CHECKS)
    assert "pkg/b.py" not in {path for path, _, _ in _ours(run)}
    assert _ours(run) == _by_hand(proj)


def test_a_new_first_party_package_flips_a_cached_import_order_verdict(proj: Path, gate: Gate) -> None:
    (proj / "pyproject.toml").write_text('[tool.ruff.lint]\nselect = ["I"]\n')
    imports = "import os\n\nimport mypkg\nimport requests\n\n"
    (proj / "pkg" / "e.py").write_text(imports + "print(os, mypkg, requests)\n")
    assert gate("--checks", "ruff").findings("ruff") == []  # mypkg is third party, sorted with requests
    (proj / "mypkg").mkdir()
    (proj / "mypkg" / "__init__.py").write_text("")
    run = gate("--checks", "ruff")
    assert [(f["path"], f["code"]) for f in run.findings("ruff")] == [("pkg/e.py", "I001")]
    assert {(path, code, line) for path, code, line in _ours(run)} <= _by_hand(proj)
