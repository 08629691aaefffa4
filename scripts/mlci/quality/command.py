"""``mlci quality [PATH ...]``: flake8, black, isort, bandit (and pytest when asked) with the project's own
configuration; annotations, a step summary, outputs ``passed`` and ``findings``, and a JSON report."""

from __future__ import annotations

import argparse
import functools
import os
import shlex
from dataclasses import asdict
from types import ModuleType
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
ANNOTATE_MODES = ("changed-lines", "changed-files", "all")
#: GitHub's limit per step and level: the rest are not shown (the summary and the report have them all)
ANNOTATIONS_PER_STEP = 10
#: rows of the summary's findings table (a step summary holds at most 1 MiB)
MAX_SUMMARY_FINDINGS = 1000


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
    parser.add_argument(
        "--annotate",
        choices=ANNOTATE_MODES,
        default="all",
        help="Which findings become annotations (GitHub shows 10 errors and 10 warnings per step): "
        "'changed-lines' only those on lines changed since the merge base of --changed-since (or, in a pull "
        "request, of its base branch), 'changed-files' those in changed files, 'all' every finding; changed "
        "lines always come first. The summary and the report keep every finding. Default: all.",
    )
    parser.add_argument(
        "--sarif",
        metavar="PATH",
        help="Write every finding as SARIF 2.1.0 to PATH, for github/codeql-action/upload-sarif. "
        "Default: no SARIF file.",
    )
    add_report_option(parser, "every tool's status, timing and findings")


# --------------------------------------------------------------------------------------------- rendering


def _display_base() -> str:
    """Annotation paths are relative to the workspace in Actions (GitHub places them by it), else to cwd."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    return workspace if gha.in_actions() and workspace else os.getcwd()


@functools.lru_cache(maxsize=4096)  # a file with thousands of findings is worked out once
def _display(path: str | None, base: str, paths: ModuleType = os.path) -> str | None:
    """The path relative to ``base`` with forward slashes (GitHub's form on every OS), else as it is.

    ``paths`` is the OS's path module (``ntpath`` on Windows, where a path on another drive than the
    workspace has no relative form).
    """
    if path is None:
        return None

    def forward(text: str) -> str:
        return text.replace(paths.sep, "/") if paths.sep != "/" else text

    try:
        relative = forward(paths.relpath(path, base))
    except ValueError:  # another drive
        return forward(path)
    return forward(path) if relative == ".." or relative.startswith("../") else relative


def _closeness(finding: Finding, changed: dict[str, set[int] | None] | None) -> int:
    """0: on a changed line (or no base is known), 1: in a changed file, 2: elsewhere."""
    if changed is None:
        return 0
    if finding.path not in changed:
        return 2
    lines = changed[finding.path]
    return 0 if lines is None or (finding.line is not None and finding.line in lines) else 1


def _by_closeness(quality: QualityResult) -> list[tuple[int, Finding]]:
    """Every finding with its closeness to the change, the closest first (stable: tool, file, line)."""
    found = [(_closeness(f, quality.changed_lines), f) for r in quality.tools for f in r.findings]
    return sorted(found, key=lambda pair: pair[0])


def _render_annotations(quality: QualityResult, mode: str, base: str) -> None:
    """Annotate the findings ``mode`` picks, changed lines first; say what GitHub will not show."""
    limit = {"changed-lines": 0, "changed-files": 1, "all": 2}[mode]
    shown = [finding for closeness, finding in _by_closeness(quality) if closeness <= limit]
    gha.annotate_all(_annotation(finding, base) for finding in shown)
    left_out = sum(1 for r in quality.tools for f in r.findings) - len(shown)
    if left_out:
        where = "on changed lines" if mode == "changed-lines" else "in changed files"
        gha.notice(
            f"{left_out} finding(s) not {where} are not annotated (--annotate {mode}); the summary and the "
            "report list every finding.",
            title="mlci quality",
        )
    for level in ("error", "warning"):
        count = sum(1 for finding in shown if finding.level == level)
        if gha.in_actions() and count > ANNOTATIONS_PER_STEP:
            gha.notice(
                f"{count} {level} annotations: GitHub shows the first {ANNOTATIONS_PER_STEP} of a step "
                "(changed lines first); the summary lists every finding.",
                title="mlci quality",
            )


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
        return result.pytest.counts()
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
    failures = [f for _, f in _by_closeness(quality) if f.level == "error"]
    if failures:
        rows = [
            [f"{_display(f.path, base)}:{f.where}", f.title, f.message]
            for f in failures[:MAX_SUMMARY_FINDINGS]
        ]
        more = len(failures) - MAX_SUMMARY_FINDINGS
        parts.append(
            "### Findings\n\n"
            + gha.md_table(("where", "check", "message"), rows)
            + (f"\n\n…and {more} more (see the JSON report and the log)." if more > 0 else "")
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
            "version": r.version,
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
    for message in quality.warnings:
        gha.warning(message, title="mlci quality")
    for message in quality.notices:
        gha.notice(message, title="mlci quality")
    # a tool that did not run is the one error line run() ends with (exit 2)
    _render_annotations(quality, args.annotate, base)
    gha.info(gha.text_table(HEADERS, _rows(quality)))
    gha.add_summary(_summary_markdown(quality, base))
    outputs: dict[str, object] = {
        "passed": "true" if quality.passed else "false",
        "findings": quality.finding_count,
    }
    if not quality.errors:  # exit 2 leaves no report that could pass for a verdict
        from mlci.files import write_json

        if args.report:
            outputs["report-path"] = str(write_json(args.report, report_data(quality, base)))
        if args.sarif:
            from mlci.quality.sarif import sarif_log
            from mlci.quality.tools import HOMEPAGES

            log = sarif_log(quality, lambda path: _display(path, base) or path, HOMEPAGES)
            outputs["sarif-path"] = str(write_json(args.sarif, log))
    gha.set_outputs(outputs)


def _annotate_base(args: argparse.Namespace) -> dict[str, str]:
    """Which ref tells the changed lines: --changed-since, else a pull request's base branch."""
    if args.changed_since:
        return {"annotate_base": args.changed_since, "annotate_base_source": "--changed-since"}
    base_ref = os.environ.get("GITHUB_BASE_REF", "") if gha.in_actions() else ""
    if base_ref and args.annotate != "all":
        return {"annotate_base": f"origin/{base_ref}", "annotate_base_source": "--annotate (GITHUB_BASE_REF)"}
    return {}


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
        **_annotate_base(args),
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
