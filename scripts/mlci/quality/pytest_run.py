"""pytest: run the project's tests (never cached) and read its JUnit XML and coverage JSON.

The JUnit XML is written in the ``xunit1`` family, which records each test's file and line, so a failure
can be annotated where the test is defined. Coverage comes from pytest-cov's JSON report; the threshold is
checked here rather than by ``--cov-fail-under``, so a coverage shortfall and a failing test stay apart.
"""

from __future__ import annotations

import json
import os
import re
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
#: pytest's last line: ``=== 1 failed, 2 passed, 1 xfailed, 1 error in 0.12s ===`` (no ``=`` with -q)
_COUNTS_LINE = re.compile(r"^=*\s*((?:\d+ [a-z]+(?:, )?)+) in [\d.]+s\b.*$")
_COUNT = re.compile(r"(\d+) ([a-z]+)")
_WORDS = {"error": "errors", "errors": "errors", "warning": None, "warnings": None, "deselected": None}


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


def read_counts(output: str, summary: PytestSummary) -> None:
    """Take the counts from pytest's own last line, when it printed one (JUnit XML has no xpassed)."""
    for line in reversed(output.splitlines()):
        match = _COUNTS_LINE.match(line.strip())
        if match:
            counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0, "xfailed": 0, "xpassed": 0}
            for number, word in _COUNT.findall(match[1]):
                key = _WORDS.get(word, word)
                if key in counts:
                    counts[key] = int(number)
            for key, value in counts.items():
                setattr(summary, key, value)
            return


def _cause(problem: Element) -> str:
    """What went wrong: the message, or for a collection error (whose message is just "collection
    failure") the exception line of its traceback (``E   ModuleNotFoundError: ...``)."""
    message = (problem.get("message") or "").strip()
    text = problem.text or ""
    causes = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    if causes and (not message or message == "collection failure"):
        return f"{message}: {causes[-1]}" if message else causes[-1]
    lines = (message or text.strip()).splitlines()
    return lines[0] if lines else problem.tag


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
            summary.failures.append(
                TestFailure(
                    name=_node_id(case),
                    message=_cause(problem),
                    file=case.get("file") or None,
                    line=int(line) + 1 if line and line.isdigit() else None,
                )
            )
        elif (skipped := case.find("skipped")) is not None:
            if skipped.get("type") == "pytest.xfail":
                summary.xfailed += 1
            else:
                summary.skipped += 1
        else:
            summary.passed += 1
    return summary


def read_coverage(text: str) -> float | None:
    """The total percentage from coverage's JSON report."""
    totals = json.loads(text).get("totals", {})
    value = totals.get("percent_covered")
    return float(value) if isinstance(value, (int, float)) else None


def _own_words(run: ToolRun) -> str:
    """pytest's own message for a run that could not start: its ``error:`` line (a usage error prints the
    inifile and rootdir after it), else its last line."""
    for line in (run.stderr + "\n" + run.stdout).splitlines():
        if " error: " in line or (line.startswith(("ERROR: ", "error: ")) and "usage:" not in line):
            return f"pytest exited with code {run.returncode}: {line.strip()}"
    return str(run.failure("pytest"))


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
            raise ToolFailed(f"{_own_words(run)} (check --pytest-args and the project's pytest setup)")
        summary = parse_junit(junit.read_text(encoding="utf-8")) if junit.is_file() else PytestSummary()
        read_counts(run.stdout, summary)
        if coverage_json is not None and coverage_json.is_file():
            summary.coverage = read_coverage(coverage_json.read_text(encoding="utf-8"))
    summary.cov_fail_under = cov_fail_under
    summary.exit_code = run.returncode
    summary.output = run.stdout + (("\n" + run.stderr) if run.stderr.strip() else "")
    return summary
