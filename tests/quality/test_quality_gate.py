"""`mlci quality` end to end: real tools on a fixture project with one finding per tool, and a clean one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlci_testing import ActionsStep

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
ALL = "flake8,black,isort,bandit,pytest"
Gate = Callable[..., Any]  # the `gate` fixture: runs mlci quality, returns what a user sees


def test_one_annotation_per_tool_placed_relative_to_the_workspace(
    project: Callable[..., Path],
    gate: Gate,
    actions: ActionsStep,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    project("findings")  # cwd is tmp_path/findings: like `working-directory: findings`
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    run = gate()
    assert run.code == 1
    lines = run.out.splitlines()
    assert (
        "::error file=findings/shop/pricing.py,line=3,col=1,title=flake8 F401::'json' imported but unused"
        in lines
    )
    assert any(
        line.startswith("::error file=findings/shop/labels.py,line=5,title=black would reformat::")
        for line in lines
    )
    assert any(
        line.startswith("::error file=findings/shop/report.py,line=3,title=isort incorrectly sorted::")
        for line in lines
    )
    bandit = [line for line in lines if "title=bandit" in line]
    assert len(bandit) == 1
    assert bandit[0].startswith(
        "::error file=findings/shop/calc.py,line=6,col=18,title=bandit B307 (MEDIUM)::"
    )
    assert "ast.literal_eval" in bandit[0]
    assert sum(line.startswith("::error") for line in lines) == 4
    # black's diff is in the log, folded, with workflow commands switched off around it
    group = lines.index("::group::black: would reformat: findings/shop/labels.py")
    assert lines[group + 1].startswith("::stop-commands::")
    assert '+    return "item: " + name' in lines[group + 2 : group + 12]
    assert actions.outputs["passed"] == "false"
    assert actions.outputs["findings"] == "4"
    assert "| flake8 | ❌ fail | 1 | 6 checked, 0 cached |" in actions.summary
    assert "| findings/shop/calc.py:6 | bandit B307 (MEDIUM) |" in actions.summary
    assert [(t["tool"], t["status"], t["findings"]) for t in run.report["tools"]] == [
        ("flake8", "failed", 1),
        ("black", "failed", 1),
        ("isort", "failed", 1),
        ("bandit", "failed", 1),
    ]


def test_black_does_not_write_its_own_step_outputs(
    project: Callable[..., Path], gate: Gate, actions: ActionsStep
) -> None:
    project("findings")
    assert gate("--checks", "black").code == 1
    assert set(actions.outputs) == {"passed", "findings", "report-path"}


def test_plain_output_on_a_laptop(project: Callable[..., Path], gate: Gate) -> None:
    project("findings")
    run = gate("--checks", "flake8,bandit")
    assert run.code == 1
    lines = run.out.splitlines()
    assert "shop/pricing.py:3:1: error: [flake8 F401] 'json' imported but unused" in lines
    assert lines[-4].split() == ["tool", "status", "findings", "files", "/", "tests", "time"]
    assert lines[-2].split()[:4] == ["flake8", "❌", "fail", "1"]
    assert "::" not in run.out


def test_clean_project_passes_every_check_with_coverage(
    project: Callable[..., Path], gate: Gate, actions: ActionsStep
) -> None:
    project("clean")
    run = gate("--checks", ALL, "--cov", "inventory", "--cov-fail-under", "50")
    assert run.code == 0, run.out
    assert actions.outputs["passed"] == "true"
    assert actions.outputs["findings"] == "0"
    assert [t["status"] for t in run.report["tools"]] == ["passed"] * 5
    pytest_report = run.tool("pytest")["pytest"]
    assert (pytest_report["passed"], pytest_report["failed"], pytest_report["skipped"]) == (2, 0, 0)
    assert 50 < pytest_report["coverage"] < 100
    assert "Coverage: **" in actions.summary
    assert "(threshold 50%)" in actions.summary
    assert not (Path.cwd() / ".coverage").exists()


def test_coverage_below_threshold_fails(project: Callable[..., Path], gate: Gate) -> None:
    project("clean")
    run = gate("--checks", "pytest", "--cov-fail-under", "99.5")
    assert run.code == 1
    coverage = run.tool("pytest")["pytest"]["coverage"]
    assert f"error: [pytest] total coverage {coverage:.2f}% is below --cov-fail-under 99.5%." in run.out
    assert run.tool("pytest")["status"] == "failed"


def test_pytest_results_and_failure_names(
    project: Callable[..., Path], gate: Gate, actions: ActionsStep
) -> None:
    project("findings")
    run = gate("--checks", "pytest")
    assert run.code == 1
    summary = run.tool("pytest")["pytest"]
    assert (summary["passed"], summary["failed"], summary["skipped"], summary["errors"]) == (1, 1, 1, 0)
    assert [f["name"] for f in summary["failures"]] == ["tests/test_shop.py::test_label_is_wrong"]
    assert "::error file=tests/test_shop.py,line=11,title=pytest%3A test failed::" in run.out
    assert "- `tests/test_shop.py::test_label_is_wrong`" in actions.summary
    assert "| pytest | ❌ fail | 1 | 1 failed, 1 passed, 1 skipped |" in actions.summary  # as pytest says it


def test_no_tests_collected_fails(project: Callable[..., Path], gate: Gate) -> None:
    project("clean")
    run = gate("--checks", "pytest", "--pytest-args=-k no_such_test")
    assert run.code == 1
    assert (
        "error: [pytest] pytest collected no tests; check the project's testpaths or --pytest-args."
        in run.out
    )


def test_bandit_thresholds_gate_what_fails(project: Callable[..., Path], gate: Gate) -> None:
    project("findings")
    strict = gate("--checks", "bandit", "--bandit-severity", "medium")
    assert strict.code == 1 and len(strict.findings("bandit")) == 1
    lenient = gate("--checks", "bandit", "--bandit-severity", "high")
    assert lenient.code == 0
    assert lenient.tool("bandit")["below_threshold"] == 1
    assert lenient.tool("bandit")["files_cached"] == 5  # the threshold is applied after the cache
    assert gate("--checks", "bandit", "--bandit-confidence", "high").code == 1


def test_checks_choose_the_tools_in_the_order_given(project: Callable[..., Path], gate: Gate) -> None:
    project("findings")
    run = gate("--checks", "isort,flake8")
    assert [t["tool"] for t in run.report["tools"]] == ["isort", "flake8"]


def test_fix_applies_isort_and_black_in_place(project: Callable[..., Path], gate: Gate) -> None:
    root = project("findings")
    run = gate("--fix", "--checks", "black,isort")
    assert run.code == 0, run.out
    assert 'return "item: " + name' in (root / "shop/labels.py").read_text()
    assert "import os\nimport sys\n" in (root / "shop/report.py").read_text()
    assert run.report["fixed"] == {"isort": 1, "black": 1}
    assert "black --fix: changed 1 file(s)" in run.out


def test_changed_since_checks_only_the_changed_files(
    project: Callable[..., Path], gate: Gate, git: Callable[..., str]
) -> None:
    root = project("findings", git_repo=True)
    git(root, "checkout", "-q", "-b", "feature")
    (root / "shop/labels.py").write_text(
        '"""Labels."""\n\n\ndef label(name: str) -> str:\n    return \'x\' + name\n'
    )
    (root / "shop/new.py").write_text("import os\n")  # untracked: changed too
    run = gate("--changed-since", "main")
    assert run.code == 1
    assert run.checked() == {"flake8": 2, "black": 2, "isort": 2, "bandit": 2}
    assert [f["path"] for f in run.report["results"]] == ["shop/new.py", "shop/labels.py"]


def test_two_projects_each_with_its_own_configuration(
    project: Callable[..., Path], gate: Gate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project("findings")
    project("clean")
    monkeypatch.chdir(tmp_path)
    run = gate("--checks", "flake8,black", "findings", "clean")
    assert run.code == 1
    assert sorted(f["path"] for f in run.report["results"]) == [
        "findings/shop/labels.py",
        "findings/shop/pricing.py",
    ]
    assert run.checked() == {"flake8": 9, "black": 9}


# --------------------------------------------------------------------------------------------- exit 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--checks", "flake8,pylint"],
            "unknown check 'pylint'; choose from flake8,black,isort,bandit,ruff,ruff-format,pytest",
        ),
        (["no/such/dir"], "PATH no/such/dir: no such file or directory"),
        (["--bandit-severity", "critical"], "argument --bandit-severity: invalid choice: 'critical'"),
        (["--changed-since", "main"], "is not in a git work tree"),
        (["--cov-fail-under", "120"], "expected a percentage from 0 to 100"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    project: Callable[..., Path], gate: Gate, args: list[str], message: str
) -> None:
    project("clean")
    run = gate(*args)
    assert run.code == 2
    assert run.out.count("\n") == 1 and message in run.out
    assert "Traceback" not in run.err


def test_unknown_ref_is_exit_2(project: Callable[..., Path], gate: Gate) -> None:
    project("clean", git_repo=True)
    run = gate("--changed-since", "origin/nope")
    assert run.code == 2
    assert "--changed-since origin/nope: git does not know this ref; fetch it first" in run.out


def test_a_tool_that_cannot_run_is_exit_2_naming_it(project: Callable[..., Path], gate: Gate) -> None:
    root = project("clean")
    (root / "setup.cfg").write_text("[flake8]\nextend-ignore = E501!\n")
    run = gate()
    assert run.code == 2
    assert run.report == {}  # exit 2 leaves no report
    table = {line.split()[0]: line for line in run.out.splitlines() if line.startswith(("flake8 ", "black "))}
    assert "fail (error)" in table["flake8"] and "pass" in table["black"]  # the other tools still report
    assert run.out.count("did not run") == 1  # one error line
    assert run.out.splitlines()[-1].startswith(
        "error: [mlci quality: a tool could not run] flake8 did not run:"
    )


def test_bad_pytest_arguments_are_exit_2(project: Callable[..., Path], gate: Gate) -> None:
    project("clean")
    run = gate("--checks", "pytest", "--pytest-args=--no-such-option")
    assert run.code == 2
    assert "pytest did not run: pytest exited with code 4" in run.out


def test_a_missing_tool_names_the_requirements_file(project: Callable[..., Path]) -> None:
    project("clean")
    # -S: a Python without site-packages, so none of the tools is installed
    result = subprocess.run(
        [sys.executable, "-S", "-m", "mlci", "quality"],
        env={**os.environ, "PYTHONPATH": str(SCRIPTS)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stdout.startswith("error: [mlci quality: tool missing] flake8 is not installed in ")
    assert "requirements/quality.txt" in result.stdout
