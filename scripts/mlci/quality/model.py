"""The quality gate's result objects: what each tool found, and how the run went.

Capability modules build these; only ``command.py`` renders them (annotations, summary, outputs, report).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

Status = Literal["passed", "failed", "error", "skipped"]
Level = Literal["error", "warning"]

#: pytest's exit code when it collected no tests (pytest.ExitCode.NO_TESTS_COLLECTED).
PYTEST_NO_TESTS = 5

#: Bandit's ranks for severity and confidence ("undefined" ranks below everything).
BANDIT_RANKS = {"undefined": 0, "low": 1, "medium": 2, "high": 3}


@dataclass(frozen=True)
class Finding:
    """One thing a tool reported about one file.

    ``path`` is relative to the project root while a tool parses its output; the runner turns it into an
    absolute path. ``level`` is "warning" for what a tool reports without failing (bandit's skipped files).
    ``detail`` holds the diff a formatter would apply. ``cell`` is the notebook cell (``line`` is then the
    line in that cell), as ruff reports it.
    """

    tool: str
    path: str
    line: int | None
    col: int | None
    code: str
    message: str
    severity: str | None = None
    confidence: str | None = None
    detail: str | None = None
    level: Level = "error"
    cell: int | None = None

    @property
    def where(self) -> str:
        """``line``, or ``cell N, line L`` in a notebook."""
        line = "" if self.line is None else str(self.line)
        return f"cell {self.cell}, line {line}" if self.cell is not None else line

    @property
    def title(self) -> str:
        """The annotation heading, e.g. ``flake8 E501`` or ``bandit B602 (HIGH)``."""
        if self.severity:
            return f"{self.tool} {self.code} ({self.severity})"
        return f"{self.tool} {self.code}"

    def cached(self) -> dict[str, Any]:
        """The parts stored in the cache (the tool and the path are the cache entry's own)."""
        return {name: getattr(self, name) for name in _CACHED_FIELDS}

    @classmethod
    def from_cache(cls, tool: str, path: str, data: dict[str, Any]) -> Finding:
        """Rebuild a finding stored by :meth:`cached`."""
        return cls(tool=tool, path=path, **data)


#: Every field of a Finding but the tool and the path (all plain values: no deep copy is needed).
_CACHED_FIELDS = tuple(f.name for f in fields(Finding) if f.name not in ("tool", "path"))


@dataclass
class TestFailure:
    """A failed or erroring test, as pytest's JUnit XML names it."""

    __test__ = False  # not a pytest test class

    name: str
    message: str
    file: str | None = None
    line: int | None = None


@dataclass
class PytestSummary:
    """pytest's counts, the failures' names and the coverage, read from its JUnit XML and coverage JSON."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0
    xfailed: int = 0
    xpassed: int = 0
    failures: list[TestFailure] = field(default_factory=list)
    coverage: float | None = None
    cov_fail_under: float | None = None
    exit_code: int = 0
    output: str = ""

    def counts(self) -> str:
        """The counts as pytest's last line prints them: ``1 failed, 2 passed, 1 xfailed, 1 error``."""
        parts = [
            (self.failed, "failed"),
            (self.passed, "passed"),
            (self.skipped, "skipped"),
            (self.xfailed, "xfailed"),
            (self.xpassed, "xpassed"),
            (self.errors, "error" if self.errors == 1 else "errors"),
        ]
        return ", ".join(f"{count} {word}" for count, word in parts if count) or "no tests ran"

    @property
    def no_tests(self) -> bool:
        """pytest collected nothing."""
        return self.exit_code == PYTEST_NO_TESTS

    @property
    def coverage_ok(self) -> bool:
        if self.cov_fail_under is None:
            return True
        return self.coverage is not None and self.coverage >= self.cov_fail_under


@dataclass
class ToolResult:
    """How one tool did across every project of the run."""

    tool: str
    status: Status = "passed"
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    files_cached: int = 0
    seconds: float = 0.0
    error: str | None = None
    below_threshold: int = 0
    pytest: PytestSummary | None = None
    version: str | None = None

    @property
    def failures(self) -> list[Finding]:
        """The findings that fail the gate."""
        return [f for f in self.findings if f.level == "error"]

    @property
    def finding_count(self) -> int:
        if self.pytest is not None:
            return self.pytest.failed + self.pytest.errors
        return len(self.failures)


@dataclass
class QualityResult:
    """The whole run: one result per tool, in the order the user named the checks."""

    tools: list[ToolResult]
    fixed: dict[str, int] = field(default_factory=dict)
    #: absolute path -> the lines changed since the base (None: the whole file); None when no base is known
    changed_lines: dict[str, set[int] | None] | None = None
    #: what the user should know about the run itself (a PATH with nothing to check, an ignored hook arg)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(result.status in ("passed", "skipped") for result in self.tools)

    @property
    def finding_count(self) -> int:
        return sum(result.finding_count for result in self.tools)

    @property
    def errors(self) -> list[ToolResult]:
        """Tools that could not run (a bad configuration or option): the run exits 2."""
        return [result for result in self.tools if result.status == "error"]
