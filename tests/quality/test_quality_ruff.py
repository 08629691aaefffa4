"""ruff and ruff-format as first-class checks: ruff's own codes, configuration, notebooks, diffs and --fix,
each compared with ruff run by hand on the same project."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlci_testing import ActionsStep

Gate = Callable[..., Any]

PYPROJECT = """\
[tool.ruff]
line-length = 60

[tool.ruff.lint]
select = ["E", "F", "I", "B"]
"""
MODULE = """\
import sys
import os


def f(items=[]):
    return os.path.join("a-rather-long-directory-name", "and-a-file-name.txt")
"""


def _notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "source": cell.splitlines(keepends=True),
                    "outputs": [],
                    "execution_count": None,
                }
                for cell in cells
            ],
            "metadata": {"language_info": {"name": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )


@pytest.fixture
def ruff_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(MODULE)
    (root / "pkg" / "clean.py").write_text('"""Clean."""\n\nVALUE = 1\n')
    (root / "analysis.ipynb").write_text(_notebook("import json\n", "x = 1\nprint(undefined_name)\n"))
    monkeypatch.chdir(root)
    return root


def _ruff_json(root: Path, *args: str) -> list[dict[str, Any]]:
    """What ``ruff ARGS --output-format=json --no-cache .``, run by hand in ``root``, reports."""
    argv = [sys.executable, "-m", "ruff", *args, "--output-format=json", "--no-cache", "."]
    out = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False).stdout
    return list(json.loads(out or "[]"))


def _by_hand(root: Path) -> set[tuple[str, str, int, int | None]]:
    return {
        (
            Path(item["filename"]).relative_to(root).as_posix(),
            item["code"],
            item["location"]["row"],
            item["cell"],
        )
        for item in _ruff_json(root, "check")
    }


def test_ruff_findings_equal_ruff_by_hand_with_the_projects_configuration(
    ruff_project: Path, gate: Gate
) -> None:
    run = gate("--checks", "ruff")
    assert run.code == 1
    ours = {(f["path"], f["code"], f["line"], f["cell"]) for f in run.findings("ruff")}
    expected = _by_hand(ruff_project)
    assert ours == expected
    codes = {code for _, code, _, _ in expected}
    assert {
        "F401",
        "E501",
        "B006",
        "I001",
        "F821",
    } <= codes  # select and line-length from pyproject.toml


def test_a_notebook_finding_names_the_cell_and_line(
    ruff_project: Path, gate: Gate, actions: ActionsStep
) -> None:
    run = gate("--checks", "ruff")
    assert (
        "::error file=analysis.ipynb,title=ruff F821::cell 2, line 2: Undefined name `undefined_name` "
        "(https://docs.astral.sh/ruff/rules/undefined-name)"
    ) in run.out.splitlines()
    assert "analysis.ipynb:cell 2, line 2" in actions.summary


def test_ruff_format_diff_then_fix(ruff_project: Path, gate: Gate) -> None:
    run = gate("--checks", "ruff-format")
    assert run.code == 1
    assert sorted(f["path"] for f in run.findings("ruff-format")) == [
        "analysis.ipynb",
        "pkg/mod.py",
    ]
    assert "--- a/pkg/mod.py\n+++ b/pkg/mod.py\n" in run.out
    assert "--- a/analysis.ipynb:cell 1\n" in run.out or "--- a/analysis.ipynb:cell 2\n" in run.out
    fixed = gate("--checks", "ruff-format", "--fix")
    assert fixed.code == 0
    assert "ruff-format --fix: changed 2 file(s)" in fixed.out
    by_hand = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."],
        cwd=ruff_project,
        check=False,
    )
    assert by_hand.returncode == 0


def test_a_nested_ruff_toml_applies_and_its_edit_rechecks(ruff_project: Path, gate: Gate) -> None:
    gate("--checks", "ruff")
    (ruff_project / "pkg" / "ruff.toml").write_text('line-length = 200\n[lint]\nselect = ["F"]\n')
    run = gate("--checks", "ruff")
    in_pkg = [(f["path"], f["code"]) for f in run.findings("ruff") if f["path"].startswith("pkg/")]
    assert in_pkg == [("pkg/mod.py", "F401")]  # the unused sys; no E501, B006 or I001 any more
    ours = {(f["path"], f["code"], f["line"], f["cell"]) for f in run.findings("ruff")}
    assert ours == _by_hand(ruff_project)


def test_ruff_exclude_is_honoured_as_ruff_does(ruff_project: Path, gate: Gate) -> None:
    pyproject = ruff_project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "line-length = 60\n", 'line-length = 60\nextend-exclude = ["pkg/mod.py"]\n'
        )
    )
    run = gate("--checks", "ruff")
    assert "pkg/mod.py" not in {f["path"] for f in run.findings("ruff")}
    assert {(f["path"], f["code"], f["line"], f["cell"]) for f in run.findings("ruff")} == _by_hand(
        ruff_project
    )


def test_a_broken_ruff_configuration_is_one_line_exit_2(ruff_project: Path, gate: Gate) -> None:
    (ruff_project / "ruff.toml").write_text("line-length = 'wide'\n")
    run = gate("--checks", "ruff")
    assert run.code == 2
    assert run.out.count("\n") == 1 and "ruff" in run.out


def _format_by_hand(root: Path) -> set[str]:
    """The files ``ruff format --check .`` run by hand would reformat."""
    return {
        Path(item["filename"]).relative_to(root).as_posix() for item in _ruff_json(root, "format", "--check")
    }


@pytest.mark.parametrize(
    "setting",
    [
        '[tool.ruff]\nline-length = 60\n[tool.ruff.format]\nexclude = ["pkg/mod.py"]\n',
        '[tool.ruff]\nline-length = 60\nextend-exclude = ["pkg/mod.py"]\n',
        '[tool.ruff]\nline-length = 60\nexclude = ["pkg/mod.py"]\n',
    ],
    ids=["format.exclude", "extend-exclude", "exclude"],
)
def test_ruff_format_skips_what_ruff_format_by_hand_skips(
    ruff_project: Path, gate: Gate, setting: str
) -> None:
    (ruff_project / "pyproject.toml").write_text(setting)
    assert "pkg/mod.py" not in _format_by_hand(ruff_project)
    run = gate("--checks", "ruff-format")
    assert {f["path"] for f in run.findings("ruff-format")} == _format_by_hand(ruff_project)
    assert run.code == (1 if _format_by_hand(ruff_project) else 0)


def test_ruff_lint_exclude_is_honoured_as_ruff_check_does(ruff_project: Path, gate: Gate) -> None:
    pyproject = ruff_project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'exclude = ["pkg/mod.py"]\n')  # in [tool.ruff.lint]
    expected = _by_hand(ruff_project)
    assert "pkg/mod.py" not in {path for path, _, _, _ in expected}
    run = gate("--checks", "ruff")
    assert {(f["path"], f["code"], f["line"], f["cell"]) for f in run.findings("ruff")} == expected


def test_an_extended_base_configuration_is_in_the_cache_key(tmp_path: Path, gate: Gate) -> None:
    """``extend = "../base.toml"`` outside the project: editing the base re-checks, as ruff by hand sees."""
    base = tmp_path / "shared" / "base.toml"
    base.parent.mkdir()
    base.write_text('line-length = 200\n[lint]\nselect = ["F"]\n')
    root = tmp_path / "repo" / "proj"
    root.mkdir(parents=True)
    (root / "ruff.toml").write_text('extend = "../../shared/base.toml"\n')
    (root / "mod.py").write_text("import os\n\nVALUE = '" + "x" * 100 + "'\n")
    first = gate("--checks", "ruff", str(root))
    assert [f["code"] for f in first.findings("ruff")] == ["F401"]
    base.write_text('line-length = 40\n[lint]\nselect = ["E501"]\n')
    second = gate("--checks", "ruff", str(root))
    assert [f["code"] for f in second.findings("ruff")] == ["E501"]
    assert second.cached() == {"ruff": 0}


def test_an_extend_chain_in_a_nested_config_is_in_the_cache_key(ruff_project: Path, gate: Gate) -> None:
    """pkg/ruff.toml extends configs/strict.toml, which extends configs/base.toml: the end of the chain."""
    configs = ruff_project / "configs"
    configs.mkdir()
    (configs / "base.toml").write_text('[lint]\nselect = ["F"]\n')
    (configs / "strict.toml").write_text('extend = "base.toml"\nline-length = 200\n')
    (ruff_project / "pkg" / "ruff.toml").write_text('extend = "../configs/strict.toml"\n')
    gate("--checks", "ruff")
    (configs / "base.toml").write_text('[lint]\nselect = ["B"]\n')
    run = gate("--checks", "ruff")
    in_pkg = [(f["path"], f["code"]) for f in run.findings("ruff") if f["path"].startswith("pkg/")]
    assert in_pkg == [("pkg/mod.py", "B006")]
    assert {(f["path"], f["code"], f["line"], f["cell"]) for f in run.findings("ruff")} == _by_hand(
        ruff_project
    )


def test_changed_since_an_extended_config_change_runs_every_file(
    ruff_project: Path, gate: Gate, git: Callable[..., str]
) -> None:
    configs = ruff_project / "configs"
    configs.mkdir()
    (configs / "base.toml").write_text('[lint]\nselect = ["F"]\n')
    (ruff_project / "pyproject.toml").write_text('[tool.ruff]\nextend = "configs/base.toml"\n')
    git(ruff_project, "init", "-q", "-b", "main")
    git(ruff_project, "add", "-A")
    git(ruff_project, "commit", "-q", "-m", "initial")
    git(ruff_project, "checkout", "-q", "-b", "feature")
    (configs / "base.toml").write_text('line-length = 60\n[lint]\nselect = ["E501"]\n')
    git(ruff_project, "commit", "-q", "-am", "stricter")
    run = gate("--checks", "ruff", "--changed-since", "main")
    assert run.code == 1
    assert "pkg/mod.py" in {f["path"] for f in run.findings("ruff")}


def test_a_config_file_named_by_the_hooks_args_is_in_the_cache_key(
    ruff_project: Path, gate: Gate, git: Callable[..., str]
) -> None:
    """``args: [--config, ci/lint.toml]`` in the ruff hook: editing ci/lint.toml re-checks (also with
    --changed-since), as ruff by hand with that --config sees."""
    (ruff_project / "ci").mkdir()
    (ruff_project / "ci" / "lint.toml").write_text('[lint]\nselect = ["F"]\n')
    (ruff_project / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.8.0\n    hooks:\n"
        "      - id: ruff\n        args: [--config, ci/lint.toml]\n"
    )
    git(ruff_project, "init", "-q", "-b", "main")
    git(ruff_project, "add", "-A")
    git(ruff_project, "commit", "-q", "-m", "initial")
    assert "B006" not in {f["code"] for f in gate("--checks", "ruff").findings("ruff")}
    git(ruff_project, "checkout", "-q", "-b", "feature")
    (ruff_project / "ci" / "lint.toml").write_text('[lint]\nselect = ["B"]\n')
    git(ruff_project, "commit", "-q", "-am", "bugbear")
    run = gate("--checks", "ruff", "--changed-since", "main")
    assert [(f["path"], f["code"]) for f in run.findings("ruff")] == [("pkg/mod.py", "B006")]


def test_a_file_ruff_format_cannot_read_is_a_finding_as_by_hand(ruff_project: Path, gate: Gate) -> None:
    """``error: Failed to read pkg/latin.py: stream did not contain valid UTF-8`` (exit 2 by hand)."""
    (ruff_project / "pkg" / "latin.py").write_bytes(b"NAME = '\xe9t\xe9'\n")
    assert "pkg/latin.py" in {
        Path(item["filename"]).relative_to(ruff_project).as_posix()
        for item in _ruff_json(ruff_project, "format", "--check")
        if item["code"] == "io"
    }
    run = gate("--checks", "ruff-format")
    assert run.tool("ruff-format")["status"] == "failed", run.tool("ruff-format")["error"]
    latin = [f for f in run.findings("ruff-format") if f["path"] == "pkg/latin.py"]
    assert [(f["code"], f["message"]) for f in latin] == [
        ("cannot format", "stream did not contain valid UTF-8")
    ]


def test_a_notebook_ruff_format_finding_names_the_cell_as_by_hand(
    ruff_project: Path, gate: Gate, actions: ActionsStep
) -> None:
    """ruff format names the notebook's cell and the line in it; a line of the .ipynb JSON would be wrong."""
    expected = [
        item["cell"]
        for item in _ruff_json(ruff_project, "format", "--check")
        if item["filename"].endswith("analysis.ipynb")
    ]
    run = gate("--checks", "ruff-format")
    ours = [f for f in run.findings("ruff-format") if f["path"] == "analysis.ipynb"]
    assert [f["cell"] for f in ours] == expected and expected[0] is not None
    annotation = next(line for line in run.out.splitlines() if "file=analysis.ipynb" in line)
    assert ",line=" not in annotation and f"cell {expected[0]}, line {ours[0]['line']}: " in annotation


@pytest.mark.parametrize("check", ["ruff", "ruff-format"])
def test_a_named_file_the_config_excludes_is_checked_beside_walked_ones_as_by_hand(
    ruff_project: Path, gate: Gate, check: str
) -> None:
    """``ruff check pkg gen/b.py`` checks gen/b.py although ``extend-exclude`` names gen/ (no
    --force-exclude), while pkg/ is walked with every exclusion applied."""
    (ruff_project / "pyproject.toml").write_text(
        PYPROJECT.replace("[tool.ruff]\n", '[tool.ruff]\nextend-exclude = ["gen"]\n')
    )
    (ruff_project / "gen").mkdir()
    (ruff_project / "gen" / "b.py").write_text("import sys\nx=1\n")
    command = (
        ["check", "--output-format=json"]
        if check == "ruff"
        else ["format", "--check", "--output-format=json"]
    )

    def by_hand() -> set[str]:
        out = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--no-cache", "pkg", "gen/b.py"],
            cwd=ruff_project,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return {Path(item["filename"]).relative_to(ruff_project).as_posix() for item in json.loads(out)}

    expected = by_hand()
    assert "gen/b.py" in expected and any(path.startswith("pkg/") for path in expected)
    run = gate("--checks", check, "pkg", "gen/b.py")
    assert {f["path"] for f in run.findings(check)} == expected
    assert run.checked() == {check: 4}  # pkg/__init__.py, pkg/clean.py, pkg/mod.py, gen/b.py
    gate("--checks", check, "--fix", "pkg", "gen/b.py")
    assert "gen/b.py" not in by_hand()  # --fix fixed it, as ruff --fix / ruff format by hand do
