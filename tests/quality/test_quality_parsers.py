"""Each tool's output parser, on output captured from the real tools."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlci.quality.diffs import first_changed_line, split_file_diffs
from mlci.quality.model import Finding
from mlci.quality.project import Project, Source
from mlci.quality.pytest_run import parse_junit, pytest_argv, read_coverage
from mlci.quality.tools import ToolFailed, ToolRun
from mlci.quality.tools.bandit import Bandit, parse_report, passes_thresholds
from mlci.quality.tools.black import Black, parse_errors
from mlci.quality.tools.flake8 import FORMAT, MARK, Flake8, parse_output
from mlci.quality.tools.isort import Isort

A = Source(rel="pkg/a.py", walk_from=".")
B = Source(rel="pkg/b.py", walk_from=".")


@pytest.fixture
def root(tmp_path: Path) -> Project:
    (tmp_path / "pkg").mkdir()
    for source in (A, B):
        (tmp_path / source.rel).write_text("x = 1\n")
    return Project(root=tmp_path, args=["."], sources=[A, B])


# --------------------------------------------------------------------------------------------- flake8


def test_flake8_format_is_what_the_parser_reads() -> None:
    assert FORMAT.split("\t")[0] == MARK
    out = f"{MARK}\tpkg/a.py\t3\t1\tF401\t'json' imported but unused\n"
    out += "2     F401 'json' imported but unused\n1\n"  # --statistics and --count from a project's config
    assert parse_output(out) == [("pkg/a.py", 3, 1, "F401", "'json' imported but unused")]


def test_flake8_findings_per_file(root: Project) -> None:
    out = f"{MARK}\tpkg/a.py\t3\t1\tF401\t'json' imported but unused\n"
    out += f"{MARK}\tpkg/a.py\t9\t80\tE501\tline too long\n"
    results = Flake8(root).parse([A, B], ToolRun.of(1, out, ""))
    assert results["pkg/b.py"] == []
    assert [(f.line, f.col, f.code, f.title) for f in results["pkg/a.py"]] == [
        (3, 1, "F401", "flake8 F401"),
        (9, 80, "E501", "flake8 E501"),
    ]


@pytest.mark.parametrize(
    ("code", "out", "err"),
    [
        (1, "", "ValueError: Error code 'E501!' supplied to 'extend-ignore' option does not match"),
        (2, "", "flake8: error: unrecognized arguments"),
        (1, f"{MARK}\tother.py\t1\t1\tE1\tx\n", ""),
    ],
)
def test_flake8_failures_are_not_results(root: Project, code: int, out: str, err: str) -> None:
    with pytest.raises(ToolFailed, match=f"flake8 exited with code {code}"):
        Flake8(root).parse([A], ToolRun.of(code, out, err))


# --------------------------------------------------------------------------------------------- black

BLACK_DIFF = """\
--- pkg/a.py\t2026-01-01 10:00:00.000000+00:00
+++ pkg/a.py\t2026-01-01 10:00:01.000000+00:00
@@ -1,4 +1,4 @@
 def f():
-    return 'x'
+    return "x"
"""


def test_black_would_reformat_with_its_diff(root: Project) -> None:
    err = "would reformat pkg/a.py\n\nOh no! 💥 💔 💥\n"
    err += "1 file would be reformatted, 1 file would be left unchanged.\n"
    results = Black(root).parse([A, B], ToolRun.of(1, BLACK_DIFF, err))
    assert results["pkg/b.py"] == []
    (finding,) = results["pkg/a.py"]
    assert (finding.line, finding.code, finding.title) == (2, "would reformat", "black would reformat")
    # one header style for every formatter: git's, relative to the project root, no timestamps
    assert finding.detail == "--- a/pkg/a.py\n+++ b/pkg/a.py\n" + BLACK_DIFF.split("\n", 2)[2]


def test_black_cannot_parse(root: Project) -> None:
    err = "error: cannot parse for target version Python 3.11: pkg/b.py:1:6\n"
    err += "    def f(:\n         ^\nParseError: bad input\n"
    results = Black(root).parse([A, B], ToolRun.of(123, "", err))
    (finding,) = results["pkg/b.py"]
    assert (finding.line, finding.col, finding.code) == (1, 6, "cannot format")
    assert finding.message == "cannot parse for target version Python 3.11"


def test_black_error_forms() -> None:
    assert parse_errors("error: cannot format pkg/a.py: INTERNAL ERROR: unstable formatting\n") == [
        ("pkg/a.py", None, None, "cannot format: INTERNAL ERROR: unstable formatting")
    ]
    assert parse_errors("error: cannot parse: x.py:3:1\n") == [("x.py", 3, 1, "cannot parse")]


def test_black_usage_error_is_a_failure(root: Project) -> None:
    with pytest.raises(ToolFailed, match="Invalid value for '--config'"):
        Black(root).parse(
            [A], ToolRun.of(2, "", "Error: Invalid value for '--config': File 'x' does not exist.\n")
        )


# --------------------------------------------------------------------------------------------- isort


def test_isort_incorrectly_sorted_with_its_diff(root: Project) -> None:
    where = root.root / "pkg/b.py"
    diff = (
        f"--- {where}:before\t2026-01-01 10:00:00.000000\n+++ {where}:after\t2026-01-01 10:00:01.000000\n"
        '@@ -1,3 +1,3 @@\n """Doc."""\n+import os\n import sys\n-import os\n'
    )
    err = f"ERROR: {where} Imports are incorrectly sorted and/or formatted.\n"
    results = Isort(root).parse([A, B], ToolRun.of(1, diff, err))
    assert results["pkg/a.py"] == []
    (finding,) = results["pkg/b.py"]
    assert (finding.line, finding.title) == (2, "isort incorrectly sorted")
    assert finding.detail == "--- a/pkg/b.py\n+++ b/pkg/b.py\n" + diff.split("\n", 2)[2]


def test_isort_clean_and_broken(root: Project) -> None:
    assert Isort(root).parse([A], ToolRun.of(0, "", "")) == {"pkg/a.py": []}
    with pytest.raises(ToolFailed):
        Isort(root).parse(
            [A], ToolRun.of(1, "", "Error: arguments passed in without any paths or content.\n")
        )


# --------------------------------------------------------------------------------------------- bandit

BANDIT_REPORT = {
    "errors": [{"filename": "././pkg/b.py", "reason": "syntax error while parsing AST from file"}],
    "results": [
        {
            "filename": "././pkg/a.py",
            "line_number": 4,
            "col_offset": 0,
            "test_id": "B602",
            "issue_severity": "HIGH",
            "issue_confidence": "HIGH",
            "issue_text": "subprocess call with shell=True identified, security issue.",
            "more_info": "https://bandit.readthedocs.io/en/1.9.4/plugins/b602.html",
        }
    ],
}


def test_bandit_results_and_skipped_files(root: Project) -> None:
    out = "[main]\tINFO\tprofile include tests: None\n" + json.dumps(BANDIT_REPORT)
    results = Bandit(root).parse([A, B], ToolRun.of(1, out, ""))
    (issue,) = results["pkg/a.py"]
    assert (issue.line, issue.col, issue.title, issue.level) == (4, 1, "bandit B602 (HIGH)", "error")
    assert "shell=True" in issue.message and "confidence HIGH" in issue.message
    (skipped,) = results["pkg/b.py"]
    assert (skipped.level, skipped.code) == ("warning", "skipped")


def test_bandit_names_files_as_its_walk_does(root: Project) -> None:
    assert Bandit(root).check_argv([A])[-2:] == ["--", "./pkg/a.py"]
    with pytest.raises(ValueError):
        parse_report("Run started\n")


@pytest.mark.parametrize(
    ("severity", "confidence", "passes"),
    [("medium", "low", True), ("high", "low", False), ("low", "high", False), ("low", "medium", True)],
)
def test_bandit_thresholds(severity: str, confidence: str, passes: bool) -> None:
    finding = Finding("bandit", "a.py", 1, 1, "B307", "eval", severity="MEDIUM", confidence="MEDIUM")
    assert passes_thresholds(finding, severity, confidence) is passes


# --------------------------------------------------------------------------------------------- diffs


def test_split_diffs_ignores_lines_that_look_like_headers() -> None:
    text = (
        BLACK_DIFF
        + "--- pkg/b.py\tt\n+++ pkg/b.py\tt\n@@ -3,2 +3,2 @@\n--- removed comment line\n+++ added\n"
    )
    parts = split_file_diffs(text, lambda name: name if name.startswith("pkg/") else None)
    assert list(parts) == ["pkg/a.py", "pkg/b.py"]
    assert parts["pkg/b.py"].endswith("--- removed comment line\n+++ added\n")
    assert first_changed_line(parts["pkg/b.py"]) == 3
    assert first_changed_line("no hunk") is None


# --------------------------------------------------------------------------------------------- pytest

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5">
<testcase classname="tests.test_a" name="test_ok" file="tests/test_a.py" line="3" time="0.001" />
<testcase classname="tests.test_a.TestB" name="test_bad[1]" file="tests/test_a.py" line="10" time="0.1">
<failure message="assert 1 == 2&#10;more detail">trace</failure></testcase>
<testcase classname="tests.test_a" name="test_skip" file="tests/test_a.py" line="20">
<skipped message="later" /></testcase>
<testcase classname="tests.test_a" name="test_fixture" file="tests/test_a.py" line="30">
<error message="failed on setup with &quot;RuntimeError&quot;">trace</error></testcase>
<testcase classname="" name="tests.test_broken" time="0">
<error message="collection failure">x</error></testcase>
</testsuite></testsuites>
"""


def test_junit_counts_and_failure_names() -> None:
    summary = parse_junit(JUNIT)
    assert (summary.passed, summary.failed, summary.skipped, summary.errors) == (1, 1, 1, 2)
    assert [(f.name, f.message, f.file, f.line) for f in summary.failures] == [
        ("tests/test_a.py::TestB::test_bad[1]", "assert 1 == 2", "tests/test_a.py", 11),
        ("tests/test_a.py::test_fixture", 'failed on setup with "RuntimeError"', "tests/test_a.py", 31),
        ("tests.test_broken", "collection failure", None, None),
    ]


def test_coverage_total_and_arguments(tmp_path: Path) -> None:
    assert read_coverage('{"totals": {"percent_covered": 87.5, "covered_lines": 7}}') == 87.5
    assert read_coverage('{"totals": {}}') is None
    argv = pytest_argv(tmp_path / "j.xml", tmp_path / "c.json", [], ["-x"])
    assert argv[-4:] == ["--cov", f"--cov-report=json:{tmp_path / 'c.json'}", "--cov-report=term", "-x"]
    assert pytest_argv(tmp_path / "j.xml", None, ["pkg"], []) == [
        f"--junitxml={tmp_path / 'j.xml'}",
        "-o",
        "junit_family=xunit1",
    ]
