"""What every linter adapter provides, and the helpers they share.

A tool is one module in this package with one :class:`Linter` subclass, registered once in
``mlci.quality.tools.TOOLS``. Its class attributes say how it runs (``module``, ``distribution`` for its
version, ``plugin_groups`` for its plugins' versions, whether it is a default check, whether and in which
stage ``--fix`` applies it). An adapter is built per project (its constructor reads the tool's
configuration) and answers: which candidate files the tool would check when run by hand on the PATHs
(``selects``), which files it reads besides them (``config_digest``, ``reads``: cache key and
``--changed-since``), how to run it on an explicit file list (``check_argv``, ``fix_argv``), what its output
says about each file (``parse``) and which findings fail the gate (``counts``). The runner owns caching,
chunking and parallelism.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from mlci.quality.configfiles import config_digest
from mlci.quality.hooks import config_path, hook_args, project_hook
from mlci.quality.model import Finding
from mlci.quality.project import Project, Source

if TYPE_CHECKING:
    from mlci.quality.runner import Options

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: How a linter written in Python starts: as ``python -P -m MODULE ARGV...`` (the same module, arguments and
#: sys.argv), with the cyclic garbage collector run less often. A formatter's syntax trees are cyclic (parent
#: links), so at Python's default thresholds black spends about a fifth of its time collecting; the verdicts
#: cannot differ (tests/quality/test_launch.py compares the output with ``python -m``). -P: the project's own
#: top-level packages (a json/ or types/ folder) must not shadow the standard library inside a linter.
LINTER_LAUNCH = (
    "import gc, runpy, sys; gc.set_threshold(50_000, 20, 100); del sys.argv[0]; "
    "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)"
)


class ToolFailed(Exception):
    """The tool did not run properly (a bad option or configuration, a crash): nothing of it is cached."""


@dataclass(frozen=True)
class ToolRun:
    """A finished tool process."""

    returncode: int
    stdout: str
    stderr: str

    @classmethod
    def of(cls, returncode: int, stdout: str, stderr: str) -> ToolRun:
        """Colour codes stripped: a project may switch colour on in its configuration."""
        return cls(returncode, _ANSI.sub("", stdout), _ANSI.sub("", stderr))

    def failure(self, tool: str) -> ToolFailed:
        """The exception for a run whose output makes no sense, quoting the tool's last words."""
        lines = [line for line in (self.stderr or self.stdout).splitlines() if line.strip()]
        said = lines[-1].strip() if lines else "no output"
        return ToolFailed(f"{tool} exited with code {self.returncode}: {said}")


class Linter:
    """Base class of the tool adapters."""

    name: ClassVar[str]  #: the check's name in --checks and in reports
    module: ClassVar[str]  #: python -m <module> (default: the name)
    distribution: ClassVar[str]  #: whose version is the tool's (default: the module)
    homepage: ClassVar[str]  #: where its rules are documented (SARIF's informationUri)
    #: among the checks run when --checks is not given
    default: ClassVar[bool] = True
    #: None: --fix does not apply it; else fixers run by stage (import sorters 0 before formatters 1)
    fix_stage: ClassVar[int | None] = None
    #: options of a pre-commit hook's ``args:`` passed on (-> takes a value?), see mlci.quality.hooks
    hook_options: ClassVar[dict[str, bool]] = {}
    plugin_groups: ClassVar[tuple[str, ...]] = ()
    config_files: ClassVar[tuple[str, ...]] = ()
    pyproject_tables: ClassVar[tuple[str, ...]] = ()
    search_parents: ClassVar[bool] = True
    #: True when ``select`` starts the tool (ruff's own walk): the runner then caches the selection under
    #: the candidates' names and ``selection_inputs``, so an unchanged run starts no process for it
    select_runs_tool: ClassVar[bool] = False
    #: True when the tool spreads its files over every core itself (ruff): one process per run, no chunks
    parallel: ClassVar[bool] = False
    #: Rough seconds per KiB of source and per process start, to split large runs into parallel chunks.
    cost_per_kib: ClassVar[float] = 0.003
    startup: ClassVar[float] = 0.2

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            if not hasattr(cls, "module"):
                cls.module = cls.name
            if not hasattr(cls, "distribution"):
                cls.distribution = cls.module

    @classmethod
    def program(cls) -> list[str]:
        """The command line that starts the tool, before its arguments (this interpreter, ``module``)."""
        return [sys.executable, "-P", "-c", LINTER_LAUNCH, cls.module]

    def __init__(self, project: Project) -> None:
        self.root = project.root
        self.project = project
        #: the pre-commit configuration the hook comes from (at the top of the git work tree)
        self.hooks_file = config_path(project.root)
        hook = project_hook(self.hooks_file, self.name)
        #: what the tool warned about its configuration (a broken setup.cfg), naming the file; what of the
        #: hook's additional_dependencies this Python lacks
        self.warnings: list[str] = hook.missing_dependencies(self.name)
        args = hook_args(hook, self.name, self.hook_options)
        #: the settings from the project's pre-commit hook, passed on every run of the tool
        self.hook_argv = list(args.honoured)
        #: the project's hooks for the tool (which files pre-commit gives them: files:, exclude:, types)
        self.hook = hook
        self.notices = list(args.notices)

    # ---- what the tool reads
    def config_extra(self) -> list[str]:
        """Anything besides the config files that changes the tool's verdict (e.g. isort's source layout)."""
        return []

    def reads(self, path: Path) -> bool:
        """Whether ``path`` (absolute) is a file the tool reads besides the sources (a config file, a plugin):
        with ``--changed-since``, a change to one re-checks every file."""
        names = set(self.config_files) | ({"pyproject.toml"} if self.pyproject_tables else set())
        places = [self.root, *self.root.parents] if self.search_parents else [self.root]
        return (path.name in names and path.parent in places) or path == self.hooks_file

    def config_digest(self) -> str:
        return config_digest(
            self.root,
            files=self.config_files,
            pyproject_tables=self.pyproject_tables,
            search_parents=self.search_parents,
            extra=[*self.config_extra(), *self.layout(), "hook args: " + "\0".join(self.hook_argv)],
        )

    def layout(self) -> list[str]:
        """The project's file layout, where a verdict depends on it beyond what ``config_extra`` says."""
        return []

    # ---- which files
    def hook_admits(self, source: Source) -> bool:
        """Whether pre-commit would give the project's hook for this tool the file (True without a hook)."""
        return self.hook.admits(self.root, source.rel)

    def selects(self, source: Source) -> bool:
        """Whether the tool, run by hand on ``source.walk_from``, would check this file."""
        raise NotImplementedError

    def select(self, sources: Sequence[Source]) -> list[Source]:
        return [source for source in sources if self.selects(source)]

    def selection_inputs(self) -> list[str]:
        """Digests of everything ``select`` reads besides the candidates' names (only asked when
        ``select_runs_tool``): with the tool's version and mlci's, the key of the cached selection."""
        return [self.config_digest()]

    # ---- how to run
    def arg(self, source: Source) -> str:
        """How the file is named on the tool's command line (relative to the project root)."""
        return source.rel

    def batches(self, files: Sequence[Source]) -> list[list[Source]]:
        """The files of one run split into the tool processes they need (one, unless a file must meet
        other options than its neighbours: ruff's walked files and files named as a PATH)."""
        return [list(files)]

    def check_argv(self, files: Sequence[Source]) -> list[str]:
        raise NotImplementedError

    def fix_argv(self, files: Sequence[Source]) -> list[str]:
        raise NotImplementedError(f"{self.name} cannot fix files")

    def parse(self, files: Sequence[Source], run: ToolRun) -> dict[str, list[Finding]]:
        """Findings per file (``Source.rel``), one entry for every file of the run, empty when clean."""
        raise NotImplementedError

    def counts(self, finding: Finding, options: Options) -> bool:
        """Whether an error finding fails the gate (False: below the thresholds the options set)."""
        return True

    # ---- helpers
    def index(self, files: Iterable[Source]) -> dict[str, str]:
        """Every way the tool may print a file's name (as given, normalised, resolved) -> ``Source.rel``."""
        names: dict[str, str] = {}
        for source in files:
            for form in (self.arg(source), source.rel):
                names[os.path.normpath(form)] = source.rel
            names[os.path.realpath(self.root / source.rel)] = source.rel
        return names

    def lookup(self, names: dict[str, str], printed: str) -> str | None:
        """The ``Source.rel`` of a file name the tool printed, or None when it names no file of the run."""
        printed = printed.strip()
        found = names.get(os.path.normpath(printed))
        if found is None:
            found = names.get(os.path.realpath(self.root / printed))
        return found

    def finding(self, rel: str, **fields: object) -> Finding:
        return Finding(tool=self.name, path=rel, **fields)  # type: ignore[arg-type]


def tree_digests(directories: Iterable[Path], base: Path) -> list[tuple[str, str]]:
    """(path relative to ``base``, sha256) of each file below the directories (a missing one adds nothing)."""
    found: list[tuple[str, str]] = []
    for directory in directories:
        for dirpath, dirnames, filenames in os.walk(directory):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                with contextlib.suppress(OSError), open(path, "rb") as handle:
                    found.append((os.path.relpath(path, base), hashlib.sha256(handle.read()).hexdigest()))
    return found


def walk_components(source: Source) -> list[str]:
    """The names a tool walking ``source.walk_from`` tests on its way to the file, each joined to the PATH:
    ``[walk_from, walk_from/a, walk_from/a/b, walk_from/a/b/c.py]`` (just ``[rel]`` for an explicit file)."""
    if source.walk_from == source.rel:
        return [source.rel]
    start = source.walk_from
    below = source.rel if start == "." else source.rel[len(start) + 1 :]
    parts = below.split("/")
    components = [start]
    for i in range(1, len(parts) + 1):
        components.append(os.path.join(start, *parts[:i]))
    return components
