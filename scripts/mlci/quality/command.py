"""``mlci quality [PATH ...]``: flake8, black, isort, bandit (and pytest when asked) with the project's own
configuration; annotations, a step summary, outputs ``passed`` and ``findings``, and a JSON report."""

from __future__ import annotations

import argparse
import os
import shlex
from dataclasses import asdict
from typing import Any

from mlci import gha
from mlci.errors import UserError
from mlci.options import add_report_option, csv_list, non_negative_float, positive_int
from mlci.quality.model import Finding, QualityResult, ToolResult
from mlci.quality.tools import ALL_CHECKS, DEFAULT_CHECKS

HELP = (
    "Run flake8, black, isort, bandit, ruff and pytest on a Python project, with annotations and a summary."
)
LEVELS = ("low", "medium", "high")
MAX_SUMMARY_FINDINGS = 50


def checks_list(text: str) -> list[str]:
    """``--checks``: a comma-separated subset of ALL_CHECKS."""
    checks = csv_list(text)
    unknown = [check for check in checks if check not in ALL_CHECKS]
    if unknown or not checks:
        raise argparse.ArgumentTypeError(
            f"unknown check {', '.join(map(repr, unknown)) or repr(text)}; choose from {','.join(ALL_CHECKS)}"
        )
    return list(dict.fromkeys(checks))


def percentage(text: str) -> float:
    value = non_negative_float(text)
    if value > 100:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        default=["."],
        help="Files or directories to check, in the project of the current directory (a directory with its "
        "own pyproject.toml, setup.cfg, tox.ini, .flake8, .isort.cfg or .bandit is a project of its own). "
        "Default: '.'.",
    )
    parser.add_argument(
        "--checks",
        type=checks_list,
        default=list(DEFAULT_CHECKS),
        metavar="LIST",
        help=f"Comma-separated checks among {','.join(ALL_CHECKS)}. Default: {','.join(DEFAULT_CHECKS)} "
        "(the others only when named).",
    )
    parser.add_argument(
        "--bandit-severity",
        choices=LEVELS,
        default="low",
        help="Lowest bandit severity that fails the gate. Default: low.",
    )
    parser.add_argument(
        "--bandit-confidence",
        choices=LEVELS,
        default="low",
        help="Lowest bandit confidence that fails the gate. Default: low.",
    )
    parser.add_argument(
        "--changed-since",
        metavar="REF",
        help="Lint only files changed since the merge base of REF and HEAD (plus untracked files), e.g. "
        "origin/main for a pull request; pytest still runs every test. Default: every file.",
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="Apply the fixers among the checks (isort and ruff's safe fixes, then black and ruff format) to "
        "the files in place first, then check. Default: off.",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="Check every file and store nothing (the cache lives in $XDG_CACHE_HOME/mlci, default "
        "~/.cache/mlci). Default: use the cache.",
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=max(1, os.cpu_count() or 1),
        metavar="N",
        help="Tool processes to run at once. Default: the number of CPUs.",
    )
    parser.add_argument(
        "--pytest-args",
        default="",
        metavar="ARGS",
        help="Extra arguments for pytest, as one shell-quoted string (write --pytest-args='-x -k fast'). "
        "Default: none.",
    )
    parser.add_argument(
        "--cov",
        type=csv_list,
        action="extend",
        default=[],
        metavar="SOURCE",
        help="Measure pytest coverage of these packages or paths (comma-separated, repeatable). Default: no "
        "coverage, or the project's own coverage settings when only --cov-fail-under is given.",
    )
    parser.add_argument(
        "--cov-fail-under",
        type=percentage,
        metavar="PCT",
        help="Fail when total pytest coverage is below PCT percent (turns coverage on). "
        "Default: no threshold.",
    )
    add_report_option(parser, "every tool's status, timing and findings")


# --------------------------------------------------------------------------------------------- rendering


def _display_base() -> str:
    """Annotation paths are relative to the workspace in Actions (GitHub places them by it), else to cwd."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    return workspace if gha.in_actions() and workspace else os.getcwd()


def _display(path: str | None, base: str) -> str | None:
    if path is None:
        return None
    relative = os.path.relpath(path, base)
    return path if relative.startswith("..") else relative


def _annotation(finding: Finding, base: str) -> gha.Annotation:
    notebook = finding.cell is not None  # GitHub's lines are the JSON file's, ruff's are the cell's
    return gha.Annotation(
        message=f"{finding.where}: {finding.message}" if notebook else finding.message,
        level=finding.level,
        title=finding.title,
        file=_display(finding.path, base),
        line=None if notebook else finding.line,
        col=None if notebook else finding.col,
    )


def _render_diffs(result: ToolResult, base: str) -> None:
    for finding in result.findings:
        if finding.detail:
            with gha.group(f"{result.tool}: {finding.code}: {_display(finding.path, base)}"):
                with gha.untrusted_output():
                    gha.info(finding.detail.rstrip("\n"))


def _render_pytest(result: ToolResult, base: str) -> None:
    summary = result.pytest
    if summary is None:
        return
    if summary.output.strip():
        with gha.group("pytest output"):
            with gha.untrusted_output():
                gha.info(summary.output.rstrip("\n"))
    for failure in summary.failures:
        gha.annotate(
            gha.Annotation(
                message=f"{failure.name}: {failure.message}",
                title="pytest: test failed",
                file=_display(failure.file, base),
                line=failure.line,
            )
        )
    if summary.no_tests:
        gha.error(
            "pytest collected no tests; check the project's testpaths or --pytest-args.", title="pytest"
        )
    if not summary.coverage_ok:
        got = "no coverage data" if summary.coverage is None else f"{summary.coverage:.2f}%"
        gha.error(
            f"total coverage {got} is below --cov-fail-under {summary.cov_fail_under:g}%.", title="pytest"
        )


def _files_cell(result: ToolResult) -> str:
    if result.pytest is not None:
        p = result.pytest
        return f"{p.passed} passed, {p.failed} failed, {p.errors} errors, {p.skipped} skipped"
    return f"{result.files_checked} checked, {result.files_cached} cached"


def _rows(quality: QualityResult) -> list[list[object]]:
    marks = {"passed": True, "failed": False, "error": False, "skipped": None}
    return [
        [
            r.tool,
            gha.status_mark(marks[r.status]) + (" (error)" if r.status == "error" else ""),
            r.finding_count,
            _files_cell(r),
            f"{r.seconds:.1f}s",
        ]
        for r in quality.tools
    ]


HEADERS = ("tool", "status", "findings", "files / tests", "time")


def _summary_markdown(quality: QualityResult, base: str) -> str:
    verdict = "✅ passed" if quality.passed else f"❌ failed: {quality.finding_count} finding(s)"
    parts = [f"## mlci quality: {verdict}", gha.md_table(HEADERS, _rows(quality))]
    for result in quality.tools:
        if result.error:
            parts.append(f"**{result.tool} did not run:** {gha.md_escape(result.error)}")
        if result.below_threshold:
            parts.append(
                f"{result.below_threshold} {result.tool} finding(s) below the severity/confidence thresholds."
            )
        summary = result.pytest
        if summary is not None:
            if summary.coverage is not None:
                threshold = (
                    f" (threshold {summary.cov_fail_under:g}%)" if summary.cov_fail_under is not None else ""
                )
                parts.append(f"Coverage: **{summary.coverage:.2f}%**{threshold}")
            if summary.failures:
                parts.append("Failed tests:\n\n" + "\n".join(f"- `{f.name}`" for f in summary.failures))
    failures = [f for r in quality.tools for f in r.failures]
    if failures:
        rows = [
            [f"{_display(f.path, base)}:{f.where}", f.title, f.message]
            for f in failures[:MAX_SUMMARY_FINDINGS]
        ]
        more = len(failures) - MAX_SUMMARY_FINDINGS
        parts.append(
            "### Findings\n\n"
            + gha.md_table(("where", "check", "message"), rows)
            + (f"\n\n…and {more} more (see the annotations and the log)." if more > 0 else "")
        )
    return "\n\n".join(parts)


def report_data(quality: QualityResult, base: str) -> dict[str, Any]:
    """The JSON report: the verdict, each tool's counts and timing, and every finding."""
    tools = []
    for r in quality.tools:
        entry: dict[str, Any] = {
            "tool": r.tool,
            "status": r.status,
            "findings": r.finding_count,
            "files_checked": r.files_checked,
            "files_cached": r.files_cached,
            "seconds": round(r.seconds, 3),
            "error": r.error,
            "below_threshold": r.below_threshold,
        }
        if r.pytest is not None:
            entry["pytest"] = {k: v for k, v in asdict(r.pytest).items() if k != "output"}
        tools.append(entry)
    findings = [
        {**asdict(f), "path": _display(f.path, base), "title": f.title}
        for r in quality.tools
        for f in r.findings
    ]
    return {
        "passed": quality.passed,
        "findings": quality.finding_count,
        "fixed": quality.fixed,
        "tools": tools,
        "results": findings,
    }


def render(quality: QualityResult, args: argparse.Namespace) -> None:
    """Print the findings, the table, and write the summary, outputs and report."""
    base = _display_base()
    for tool, count in quality.fixed.items():
        gha.info(f"{tool} --fix: changed {count} file(s)")
    for result in quality.tools:
        _render_diffs(result, base)
        _render_pytest(result, base)
    for result in quality.tools:  # a tool that did not run is the one error line run() ends with (exit 2)
        for finding in result.findings:
            gha.annotate(_annotation(finding, base))
    gha.info(gha.text_table(HEADERS, _rows(quality)))
    gha.add_summary(_summary_markdown(quality, base))
    outputs: dict[str, object] = {
        "passed": "true" if quality.passed else "false",
        "findings": quality.finding_count,
    }
    if args.report and not quality.errors:  # exit 2 leaves no report that could pass for a verdict
        from mlci.report import write_json

        outputs["report-path"] = str(write_json(args.report, report_data(quality, base)))
    gha.set_outputs(outputs)


def run(args: argparse.Namespace) -> bool:
    """Run the gate; True when every check passed."""
    from mlci.quality.runner import Options, run_quality

    try:
        pytest_args = shlex.split(args.pytest_args)
    except ValueError as exc:
        raise UserError(f"--pytest-args {args.pytest_args!r}: {exc}; quote it as a shell would.") from exc
    options = Options(
        checks=args.checks,
        bandit_severity=args.bandit_severity,
        bandit_confidence=args.bandit_confidence,
        changed_since=args.changed_since,
        fix=args.fix,
        use_cache=not args.no_cache,
        jobs=args.jobs,
        pytest_args=pytest_args,
        cov=args.cov,
        cov_fail_under=args.cov_fail_under,
    )
    quality = run_quality(args.paths, options)
    render(quality, args)
    if quality.errors:
        raise UserError(
            "; ".join(f"{r.tool} did not run: {r.error}" for r in quality.errors)
            + ". Check the tool's configuration and the options given to mlci quality.",
            title="mlci quality: a tool could not run",
        )
    return quality.passed
