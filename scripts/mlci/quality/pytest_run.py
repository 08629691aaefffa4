"""pytest: run the project's tests (never cached) and read its JUnit XML and coverage JSON.

The JUnit XML is written in the ``xunit1`` family, which records each test's file and line, so a failure
can be annotated where the test is defined. Coverage comes from pytest-cov's JSON report; the threshold is
checked here rather than by ``--cov-fail-under``, so a coverage shortfall and a failing test stay apart.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mlci.quality.model import PYTEST_NO_TESTS, PytestSummary, TestFailure
from mlci.quality.tools.base import ToolFailed, ToolRun

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element  # nosec B405: a type, for the JUnit file of our own run

#: pytest's exit codes (pytest.ExitCode) that mean its arguments or the run itself were broken.
USAGE_ERROR, INTERNAL_ERROR = 4, 3


def pytest_argv(
    junit: Path, coverage_json: Path | None, cov: Sequence[str], extra: Sequence[str]
) -> list[str]:
    """The arguments after ``python -m pytest``."""
    argv = [f"--junitxml={junit}", "-o", "junit_family=xunit1"]
    if coverage_json is not None:
        argv += [f"--cov={source}" for source in cov] or ["--cov"]
        argv += [f"--cov-report=json:{coverage_json}", "--cov-report=term"]
    return argv + list(extra)


def _node_id(case: Element) -> str:
    name = case.get("name", "?")
    file = case.get("file")
    classname = case.get("classname", "")
    if not file:
        return f"{classname}::{name}" if classname else name
    module = file[:-3].replace("/", ".") if file.endswith(".py") else file
    klass = classname[len(module) + 1 :] if classname.startswith(module + ".") else ""
    return "::".join(part for part in (file, klass, name) if part)


def parse_junit(text: str) -> PytestSummary:
    """Counts and failures from a JUnit XML report."""
    from xml.etree import ElementTree  # nosec B405: the JUnit file our own pytest run just wrote

    summary = PytestSummary()
    root = ElementTree.fromstring(text)  # nosec B314: our own pytest run's report
    for case in root.iter("testcase"):
        failure = case.find("failure")
        error = case.find("error")
        problem = failure if failure is not None else error
        if problem is not None:
            if failure is not None:
                summary.failed += 1
            else:
                summary.errors += 1
            line = case.get("line")
            message = (problem.get("message") or problem.text or "").strip().splitlines()
            summary.failures.append(
                TestFailure(
                    name=_node_id(case),
                    message=message[0] if message else problem.tag,
                    file=case.get("file") or None,
                    line=int(line) + 1 if line and line.isdigit() else None,
                )
            )
        elif case.find("skipped") is not None:
            summary.skipped += 1
        else:
            summary.passed += 1
    return summary


def read_coverage(text: str) -> float | None:
    """The total percentage from coverage's JSON report."""
    totals = json.loads(text).get("totals", {})
    value = totals.get("percent_covered")
    return float(value) if isinstance(value, (int, float)) else None


def run_pytest(
    root: Path,
    *,
    execute: Callable[[list[str], Path, dict[str, str]], ToolRun],
    cov: Sequence[str],
    cov_fail_under: float | None,
    extra: Sequence[str],
) -> PytestSummary:
    """Run pytest in ``root`` through ``execute(argv, cwd, env)``; ToolFailed when pytest could not run."""
    with tempfile.TemporaryDirectory(prefix="mlci-pytest-") as tmp:
        junit = Path(tmp) / "junit.xml"
        wants_coverage = bool(cov) or cov_fail_under is not None
        coverage_json = Path(tmp) / "coverage.json" if wants_coverage else None
        env = {"COVERAGE_FILE": os.path.join(tmp, ".coverage")}
        run = execute(pytest_argv(junit, coverage_json, cov, extra), root, env)
        if run.returncode in (USAGE_ERROR, INTERNAL_ERROR) or (
            run.returncode != PYTEST_NO_TESTS and not junit.is_file()
        ):
            raise ToolFailed(
                run.failure("pytest").args[0] + " (check --pytest-args and the project's pytest setup)"
            )
        summary = parse_junit(junit.read_text(encoding="utf-8")) if junit.is_file() else PytestSummary()
        if coverage_json is not None and coverage_json.is_file():
            summary.coverage = read_coverage(coverage_json.read_text(encoding="utf-8"))
    summary.cov_fail_under = cov_fail_under
    summary.exit_code = run.returncode
    summary.output = run.stdout + (("\n" + run.stderr) if run.stderr.strip() else "")
    return summary
