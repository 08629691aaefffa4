"""Run the quality gate: pick each tool's files, serve what the cache knows, run the rest in parallel.

For every project and linter: the adapter selects the files the tool would check by hand (a selection that
runs the tool, ruff's, is cached under the candidates' names and what it reads); each file's cache key
(tool fingerprint, configuration digest, path, content hash) is looked up; the misses are split into chunks
sized by their expected work and run, together with every other tool's chunks and pytest, on a pool of
worker threads (one tool process each, so ``--jobs`` processes at most). Each run's output is parsed into
findings per file and stored. A tool that fails to run is reported as an error and nothing of it is cached.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import subprocess  # nosec B404: runs the quality tools with sys.executable, never a shell
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path

from mlci.errors import UserError
from mlci.quality.cache import ResultCache, entry_key, file_digest, prune, tool_fingerprints
from mlci.quality.configfiles import IGNORE_FILES, load_toml
from mlci.quality.model import Finding, PytestSummary, QualityResult, ToolResult
from mlci.quality.project import Project, Source, changed_lines, changed_since, discover, group_paths
from mlci.quality.pytest_run import run_pytest
from mlci.quality.tools import DEFAULT_CHECKS, TOOLS, Linter, ToolFailed, ToolRun

log = logging.getLogger(__name__)

MAX_FILES_PER_CHUNK = 400
#: Every file name a tool reads its configuration from (with --changed-since, listed with the sources).
CONFIG_NAMES = frozenset(
    {
        "pyproject.toml",
        ".pre-commit-config.yaml",
        *IGNORE_FILES,  # not configuration, but what a selection that runs the tool reads (ruff's walk)
        *(name for tool in TOOLS.values() for name in tool.config_files),
    }
)
REQUIREMENTS = Path(__file__).resolve().parents[3] / "requirements" / "quality.txt"
_SCRIPTS_DIR = str(Path(__file__).resolve().parents[2])


@dataclass
class Options:
    """What ``mlci quality`` was asked to do."""

    checks: Sequence[str] = DEFAULT_CHECKS
    bandit_severity: str = "low"
    bandit_confidence: str = "low"
    changed_since: str | None = None
    fix: bool = False
    use_cache: bool = True
    jobs: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    pytest_args: Sequence[str] = ()
    cov: Sequence[str] = ()
    cov_fail_under: float | None = None
    #: the ref whose merge base with HEAD tells which lines changed (for annotations); None: not known
    annotate_base: str | None = None
    #: how annotate_base was given (the option or variable to name in an error)
    annotate_base_source: str = "--changed-since"


@dataclass
class _Plan:
    """One linter in one project: what the cache served and what is left to run."""

    linter: Linter
    cache: ResultCache
    keys: dict[str, str]
    results: dict[str, list[Finding]]
    misses: list[Source]
    seconds: float
    error: str | None = None


@dataclass
class _Job:
    tool: str
    cost: float
    action: Callable[[], None]
    start: float = 0.0
    end: float = 0.0


# --------------------------------------------------------------------------------------------- processes


#: Files through which a step talks to the runner: the tools (black writes its own outputs when it sees
#: GITHUB_OUTPUT) and the project's tests must not write to this step's outputs, summary or environment.
_STEP_FILES = ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE")


def _environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STEP_FILES}
    env.update({"PYTHONIOENCODING": "utf-8", **(extra or {})})
    # mlci's own scripts directory stays out of the tools' (and the project's tests') import path
    parts = [
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and os.path.abspath(p) != _SCRIPTS_DIR
    ]
    if parts:
        env["PYTHONPATH"] = os.pathsep.join(parts)
    else:
        env.pop("PYTHONPATH", None)
    return env


def execute(
    program: Sequence[str], argv: Sequence[str], cwd: Path, extra_env: dict[str, str] | None = None
) -> ToolRun:
    """Run ``program argv...`` in ``cwd`` (a linter's ``Linter.program()``, or :func:`pytest_program`)."""
    log.debug("running in %s: %s %s", cwd, " ".join(program[-1:]), " ".join(argv[:12]))
    completed = subprocess.run(  # nosec B603: our interpreter or the tool's own binary, no shell
        [*program, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=_environment(extra_env),
        check=False,
    )
    return ToolRun.of(completed.returncode, completed.stdout, completed.stderr)


def pytest_program() -> list[str]:
    """``python -m pytest`` (keeping its rootdir on sys.path), in the project's own environment when the root
    action gives one (MLCI_PYTEST_PYTHON), apart from the linters'."""
    return [os.environ.get("MLCI_PYTEST_PYTHON") or sys.executable, "-m", "pytest"]


def require_tools(options: Options) -> None:
    """Fail with one line when a tool the run needs is not installed in this Python."""
    needed = [TOOLS[check].module if check in TOOLS else check for check in options.checks]
    if "pytest" in options.checks and (options.cov or options.cov_fail_under is not None):
        needed.append("pytest_cov")
    for module in dict.fromkeys(needed):
        if importlib.util.find_spec(module) is None:
            name = module.replace("_", "-")
            raise UserError(
                f"{name} is not installed in {sys.executable}; install the quality gate's tools with "
                f"'{sys.executable} -m pip install -r {REQUIREMENTS}'.",
                title="mlci quality: tool missing",
            )


# --------------------------------------------------------------------------------------------- planning


def _chunks(linter: Linter, files: list[Source], sizes: dict[str, int], workers: int) -> list[list[Source]]:
    """Split a tool's files into chunks that pay for their process start, balanced by size."""
    kib = sum(sizes[s.rel] for s in files) / 1024
    count = (
        1 if linter.parallel else max(1, min(workers, int(kib * linter.cost_per_kib / (3 * linter.startup))))
    )
    count = max(count, math.ceil(len(files) / MAX_FILES_PER_CHUNK))
    bins: list[list[Source]] = [[] for _ in range(count)]
    loads = [0] * count
    for source in sorted(files, key=lambda s: sizes[s.rel], reverse=True):
        i = loads.index(min(loads))
        bins[i].append(source)
        loads[i] += sizes[source.rel] + 1
    return [sorted(b, key=lambda s: s.rel) for b in bins if b]


class _Digests:
    """Content hashes and sizes of the project files, each read once per run."""

    def __init__(self) -> None:
        self.hashes: dict[Path, str] = {}
        self.sizes: dict[Path, int] = {}

    def of(self, path: Path) -> str:
        if path not in self.hashes:
            try:
                self.hashes[path] = file_digest(path)
                self.sizes[path] = path.stat().st_size
            except OSError as exc:
                raise UserError(f"{path}: cannot read it ({exc.strerror or exc}).") from exc
        return self.hashes[path]


def _plan(
    linter: Linter, sources: list[Source], fingerprint: str, digests: _Digests, use_cache: bool
) -> _Plan:
    started = time.perf_counter()
    cache = ResultCache(linter.name, enabled=use_cache)
    config = linter.config_digest()
    keys: dict[str, str] = {}
    results: dict[str, list[Finding]] = {}
    misses: list[Source] = []
    for source in sources:
        key = entry_key(linter.name, fingerprint, config, source.rel, digests.of(linter.root / source.rel))
        keys[source.rel] = key
        stored = cache.get(key)
        if stored is None:
            misses.append(source)
        else:
            results[source.rel] = [Finding.from_cache(linter.name, source.rel, item) for item in stored]
    return _Plan(linter, cache, keys, results, misses, time.perf_counter() - started)


def _lint_action(plan: _Plan, files: list[Source]) -> Callable[[], None]:
    def action() -> None:
        linter = plan.linter
        found: dict[str, list[Finding]] = {}
        for batch in linter.batches(files):
            run = execute(linter.program(), linter.check_argv(batch), linter.root)
            try:
                found.update(linter.parse(batch, run))
            except ToolFailed as exc:
                plan.error = str(exc)
                return
        for rel, findings in found.items():
            plan.results[rel] = findings
            plan.cache.put(plan.keys[rel], [finding.cached() for finding in findings])

    return action


# --------------------------------------------------------------------------------------------- fixing


def apply_fixes(projects: list[Project], checks: Sequence[str]) -> dict[str, int]:
    """Run the fixers among the checks in place on the files each would check, by stage (import sorters
    before formatters); how many files each changed (by content)."""
    fixers = sorted(
        (check for check in checks if check in TOOLS and TOOLS[check].fix_stage is not None),
        key=lambda check: (TOOLS[check].fix_stage, checks.index(check)),
    )
    fixed = {tool: 0 for tool in fixers}
    for project in projects:
        for tool in fixers:
            linter = TOOLS[tool](project)
            files = sources_for(linter, project)
            if not files:
                continue
            before = {source.rel: file_digest(project.root / source.rel) for source in files}
            for batch in linter.batches(files):
                run = execute(linter.program(), linter.fix_argv(batch), project.root)
                if run.returncode != 0:
                    log.warning("%s --fix: %s", tool, run.failure(tool).args[0])
            fixed[tool] += sum(file_digest(project.root / rel) != digest for rel, digest in before.items())
    return fixed


# --------------------------------------------------------------------------------------------- running


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _span(jobs: list[_Job], tool: str) -> float:
    """Wall time from the tool's first process start to its last process end."""
    spans = [(job.start, job.end) for job in jobs if job.tool == tool]
    return max(end for _, end in spans) - min(start for start, _ in spans) if spans else 0.0


def _collect(tool: str, plans: list[_Plan], seconds: float, options: Options) -> ToolResult:
    """One linter's result over every project; error findings the linter does not count (below the
    thresholds the options set) are only counted."""
    result = ToolResult(
        tool=tool,
        seconds=seconds + sum(plan.seconds for plan in plans),
        version=_version(TOOLS[tool].distribution),
    )
    for plan in plans:
        result.files_checked += len(plan.misses)
        result.files_cached += len(plan.keys) - len(plan.misses)
        if plan.error:
            result.error = f"{plan.error} (in {plan.linter.root})" if len(plans) > 1 else plan.error
        for rel in sorted(plan.results):
            path = str(plan.linter.root / rel)
            for finding in plan.results[rel]:
                if finding.level != "error" or plan.linter.counts(finding, options):
                    result.findings.append(replace(finding, path=path))
                else:
                    result.below_threshold += 1
    if result.error:
        result.status = "error"
    elif result.failures:
        result.status = "failed"
    elif result.files_checked + result.files_cached == 0:
        result.status = "skipped"
    return result


def _pytest_result(
    summaries: list[tuple[Project, PytestSummary]], errors: list[str], seconds: float
) -> ToolResult:
    total = PytestSummary()
    for project, summary in summaries:
        total.passed += summary.passed
        total.failed += summary.failed
        total.skipped += summary.skipped
        total.errors += summary.errors
        total.xfailed += summary.xfailed
        total.xpassed += summary.xpassed
        for failure in summary.failures:
            if failure.file:
                failure.file = str(project.root / failure.file)
            total.failures.append(failure)
        total.exit_code = total.exit_code or summary.exit_code
        total.output += summary.output
        total.cov_fail_under = summary.cov_fail_under
        if summary.coverage is not None:
            total.coverage = (
                summary.coverage if total.coverage is None else min(total.coverage, summary.coverage)
            )
    result = ToolResult(tool="pytest", pytest=total, seconds=seconds, version=_version("pytest"))
    if errors:
        result.status, result.error = "error", "; ".join(errors)
    elif total.exit_code != 0 or not total.coverage_ok:
        result.status = "failed"
    return result


def _pytest_action(
    project: Project, options: Options, summaries: list[tuple[Project, PytestSummary]], errors: list[str]
) -> Callable[[], None]:
    def action() -> None:
        try:
            summary = run_pytest(
                project.root,
                execute=lambda argv, cwd, env: execute(pytest_program(), argv, cwd, env),
                cov=options.cov,
                cov_fail_under=options.cov_fail_under,
                extra=options.pytest_args,
            )
        except ToolFailed as exc:
            errors.append(str(exc))
            return
        summaries.append((project, summary))

    return action


def sources_for(
    linter: Linter, project: Project, fingerprint: str | None = None, use_cache: bool = False
) -> list[Source]:
    """The files the linter checks (those its pre-commit hook's filters admit): with --changed-since only
    the changed ones, unless a file the linter reads (its configuration, its plugins) changed, which can
    change the verdict on every file. A selection
    that runs the tool is served from the cache when the candidates' names and what it reads are unchanged
    (given the tool's ``fingerprint``)."""
    candidates = [source for source in project.sources if linter.hook_admits(source)]
    changed = project.changed
    if changed is not None and not any(
        linter.reads(Path(os.path.normpath(project.root / rel))) for rel in changed
    ):
        candidates = [source for source in candidates if source.rel in changed]
    if not (linter.select_runs_tool and use_cache and fingerprint and candidates):
        return linter.select(candidates)
    cache = ResultCache(f"{linter.name}.selection")
    names = "\n".join(f"{source.walk_from}\0{source.rel}" for source in candidates)
    key = entry_key(cache.directory.name, fingerprint, "\0".join(linter.selection_inputs()), "", names)
    stored = cache.get(key)
    if stored is not None and all(isinstance(rel, str) for rel in stored):
        chosen = set(stored)
        return [source for source in candidates if source.rel in chosen]
    selected = linter.select(candidates)
    cache.put(key, [source.rel for source in selected])
    return selected


def _projects(paths: Sequence[str], options: Options, cwd: Path) -> list[Project]:
    """The projects of the PATHs, each with its candidate files (and the changed ones with changed_since)."""
    projects = group_paths(paths or ["."], cwd)
    for project in projects:
        load_toml(project.root / "pyproject.toml")  # every tool may read it: not TOML is exit 2, naming it
        discover(project, CONFIG_NAMES)
        if options.changed_since:
            project.changed = changed_since(project, options.changed_since)
    return projects


def _warnings(projects: list[Project], plans: dict[str, list[_Plan]]) -> list[str]:
    """The run's warnings, each once: skipped files, tools' configuration warnings, PATHs with nothing."""
    found = [message for project in projects for message in project.warnings]
    found += [
        message for tool_plans in plans.values() for plan in tool_plans for message in plan.linter.warnings
    ]
    for project in projects:
        if not project.sources:
            for arg in project.args:
                where = arg if project.root == Path.cwd() else os.path.join(project.root, arg)
                found.append(
                    f"PATH {where}: nothing to check there (no Python files the tools would check); name the "
                    "project's source directory."
                )
    return list(dict.fromkeys(found))


def _changed_lines(projects: list[Project], options: Options) -> dict[str, set[int] | None] | None:
    """Absolute path -> its changed lines since options.annotate_base, over every project."""
    if options.annotate_base is None:
        return None
    found: dict[str, set[int] | None] = {}
    for project in projects:
        lines = changed_lines(project, options.annotate_base, options.annotate_base_source)
        found.update({str(project.root / rel): changed for rel, changed in lines.items()})
    return found


def _lint_jobs(projects: list[Project], options: Options) -> tuple[dict[str, list[_Plan]], list[_Job]]:
    """Per linter, what the cache served in each project; and the chunks left to run."""
    linters = [tool for tool in options.checks if tool in TOOLS]
    digests = _Digests()
    plans: dict[str, list[_Plan]] = {tool: [] for tool in linters}
    jobs: list[_Job] = []
    fingerprints = tool_fingerprints(
        {tool: (TOOLS[tool].distribution, TOOLS[tool].plugin_groups) for tool in linters}
    )
    for tool in linters:
        for project in projects:
            linter = TOOLS[tool](project)
            selected = sources_for(linter, project, fingerprints[tool], options.use_cache)
            plan = _plan(linter, selected, fingerprints[tool], digests, options.use_cache)
            plans[tool].append(plan)
            sizes = {s.rel: digests.sizes[project.root / s.rel] for s in plan.misses}
            for files in _chunks(plan.linter, plan.misses, sizes, options.jobs):
                kib = sum(sizes[s.rel] for s in files) / 1024
                cost = plan.linter.startup + kib * plan.linter.cost_per_kib
                jobs.append(_Job(tool, cost, _lint_action(plan, files)))
    return plans, jobs


def _run_jobs(jobs: list[_Job], workers: int) -> None:
    """Run the jobs on ``workers`` threads, the most expensive first; each records when it ran."""

    def timed(job: _Job) -> None:
        job.start = time.perf_counter()
        try:
            job.action()
        finally:
            job.end = time.perf_counter()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(timed, job) for job in sorted(jobs, key=lambda j: j.cost, reverse=True)]
        for future in futures:
            future.result()


def run_quality(paths: Sequence[str], options: Options, cwd: Path | None = None) -> QualityResult:
    """Check the projects the PATHs belong to; the result of every requested tool."""
    require_tools(options)
    projects = _projects(paths, options, Path(os.path.abspath(cwd or Path.cwd())))
    fixed = apply_fixes(projects, options.checks) if options.fix else {}
    plans, jobs = _lint_jobs(projects, options)  # every adapter reads its configuration here, before threads
    summaries: list[tuple[Project, PytestSummary]] = []
    pytest_errors: list[str] = []
    if "pytest" in options.checks:
        for project in projects:
            jobs.append(_Job("pytest", math.inf, _pytest_action(project, options, summaries, pytest_errors)))
    _run_jobs(jobs, options.jobs)
    if options.use_cache:
        prune()

    results = [
        (
            _pytest_result(summaries, pytest_errors, _span(jobs, tool))
            if tool == "pytest"
            else _collect(tool, plans[tool], _span(jobs, tool), options)
        )
        for tool in options.checks
    ]
    return QualityResult(
        tools=results,
        fixed=fixed,
        changed_lines=_changed_lines(projects, options),
        warnings=_warnings(projects, plans),
        notices=list(
            dict.fromkeys(
                n for tool_plans in plans.values() for plan in tool_plans for n in plan.linter.notices
            )
        ),
    )
