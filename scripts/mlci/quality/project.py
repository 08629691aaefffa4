"""Which projects and files a run checks: PATH arguments, project roots, git or a directory walk.

A PATH belongs to the project whose root is the nearest directory, from the PATH up to the current directory,
that holds a configuration file (pyproject.toml, setup.cfg, tox.ini, .flake8, .isort.cfg, .bandit) or is the
top of a git work tree (a submodule's: git lists a submodule in the outer repository as one entry, so its
files are checked only when a PATH names it); the current directory is the default root. So
``mlci quality examples/projects/clean`` checks that project with its own configuration, as
``cd examples/projects/clean && mlci quality`` would.

Inside a git work tree the candidates are the files git tracks plus the untracked ones it does not ignore;
elsewhere a walk of the PATHs. Either way directories that never hold a project's own code (virtual
environments, build output, caches, the ``.mlci`` checkout of the reusable workflow) are skipped unless git
tracks their files. Each tool then applies its own exclusions (see ``mlci.quality.tools``).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess  # nosec B404: runs git with fixed arguments, never a shell
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mlci.errors import UserError

log = logging.getLogger(__name__)

CONFIG_MARKERS = (
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    ".flake8",
    ".isort.cfg",
    ".bandit",
    "ruff.toml",
    ".ruff.toml",
)
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "build",
        "dist",
        "__pycache__",
        ".tox",
        ".nox",
        ".eggs",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".mlci",
    }
)
#: Extensions some tool checks by default; files without an extension may be scripts with a Python shebang.
SOURCE_EXTENSIONS = frozenset({".py", ".pyi", ".pyw", ".pyx", ".pxd", ".ipynb"})


@dataclass(frozen=True)
class Source:
    """A candidate file: ``rel`` relative to the project root, found under the PATH ``walk_from``."""

    rel: str
    walk_from: str
    tracked: bool = False


@dataclass
class Project:
    """A project root and the PATH arguments (relative to it, ``.`` for the root) checked in it."""

    root: Path
    args: list[str] = field(default_factory=list)
    in_git: bool = False
    sources: list[Source] = field(default_factory=list)
    #: configuration files under the PATHs (by the names discover() was given), relative to the root
    config_files: list[str] = field(default_factory=list)
    #: with --changed-since: the changed files, relative to the root (None: check every file)
    changed: set[str] | None = None
    #: what the user should know about the files found (a name that is not UTF-8, skipped)
    warnings: list[str] = field(default_factory=list)

    def path(self, rel: str) -> Path:
        return self.root / rel


def _has_config(directory: Path) -> bool:
    return any((directory / name).is_file() for name in CONFIG_MARKERS)


def project_root(path: Path, cwd: Path) -> Path:
    """The root of the project that ``path`` (absolute) belongs to."""
    start = path if path.is_dir() else path.parent
    for directory in (start, *start.parents):
        # a git work tree's top (a submodule's too, whose files the outer repository does not list) is a root
        if directory == cwd or _has_config(directory) or (directory / ".git").exists():
            return directory
    return start  # outside the current directory, with no configuration above it


def group_paths(paths: Iterable[str], cwd: Path) -> list[Project]:
    """The projects the PATH arguments belong to, in the order first named."""
    projects: dict[Path, Project] = {}
    for text in paths:
        path = Path(os.path.abspath(cwd / text))
        if not path.exists():
            raise UserError(
                f"PATH {text}: no such file or directory; name a file or directory of the project."
            )
        root = project_root(path, cwd)
        project = projects.setdefault(root, Project(root=root))
        rel = path.relative_to(root).as_posix() if path != root else "."
        if rel not in project.args:
            project.args.append(rel)
    return list(projects.values())


# --------------------------------------------------------------------------------------------- git


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run git in ``root`` (literal pathspecs, no pager, no prompts)."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    return subprocess.run(  # nosec B603 B607: git from PATH, as a user runs it; arguments from this module
        ["git", "--literal-pathspecs", "-C", str(root), *args],
        capture_output=True,
        text=True,
        errors="surrogateescape",  # a file name that is not UTF-8 survives, to be named and skipped
        env=env,
        check=False,
    )


def in_git_work_tree(root: Path) -> bool:
    try:
        result = git(root, "rev-parse", "--is-inside-work-tree")
    except OSError:  # git is not installed
        return False
    return result.returncode == 0 and result.stdout.strip() == "true"


def _git_files(project: Project, *flags: str) -> list[str]:
    result = git(project.root, "ls-files", "-z", *flags, "--", *project.args)
    if result.returncode != 0:
        raise UserError(f"git ls-files failed in {project.root}: {result.stderr.strip()}")
    return [name for name in result.stdout.split("\0") if name]


def _skipped(rel: str) -> bool:
    return any(part in SKIP_DIRS for part in rel.split("/")[:-1])


def _is_candidate(rel: str) -> bool:
    suffix = os.path.splitext(rel)[1]
    return suffix in SOURCE_EXTENSIONS or (not suffix and not rel.rsplit("/", 1)[-1].startswith("."))


def _walk_from(rel: str, args: list[str]) -> str:
    """The PATH argument the file was found under (itself when it was named)."""
    if rel in args:
        return rel
    return next((arg for arg in args if arg == "." or rel.startswith(arg + "/")), args[0])


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept as surrogates by git() and os.walk
        return False
    return True


def _walk(project: Project) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []
    for arg in project.args:
        for dirpath, dirnames, filenames in os.walk(project.path(arg)):  # nothing for a file: see discover()
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            base = Path(dirpath).relative_to(project.root).as_posix()
            found += [(name if base == "." else f"{base}/{name}", False) for name in sorted(filenames)]
    return found


def _links_out(project: Project, rel: str, real_root: str) -> bool:
    """Whether ``rel`` is a symbolic link (or, for a PATH, passes through one) that resolves outside the
    project: such a file is never read, such a directory never walked."""
    real = os.path.realpath(project.path(rel))
    return real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep)


def _skip_links_out(project: Project, rel: str) -> None:
    project.warnings.append(
        f"{os.path.join(project.root, rel)}: skipped, a symbolic link to outside the project (the gate "
        "checks only the project's own files)."
    )


def discover(project: Project, config_names: Iterable[str] = ()) -> list[Source]:
    """Fill ``project.sources`` with the candidate files under its PATH arguments (and
    ``project.config_files`` with the files there named like one of ``config_names``). A symbolic link out
    of the project is skipped with a warning: neither git (which lists a link, never what is behind it) nor
    the walk (which follows no link to a directory) reaches a file behind one otherwise."""
    project.in_git = in_git_work_tree(project.root)
    real_root = os.path.realpath(project.root)
    for arg in [arg for arg in project.args if arg != "." and _links_out(project, arg, real_root)]:
        _skip_links_out(project, arg)
        project.args.remove(arg)
    if not project.args:  # (git ls-files with no PATH would list every file)
        project.sources = []
        return project.sources
    if project.in_git:
        tracked = [(rel, True) for rel in _git_files(project, "--cached")]
        untracked = [(rel, False) for rel in _git_files(project, "--others", "--exclude-standard")]
        found = tracked + [(rel, False) for rel, _ in untracked if not _skipped(rel)]
    else:
        found = _walk(project)
    explicit = {arg for arg in project.args if project.path(arg).is_file()}
    found += [(arg, False) for arg in sorted(explicit)]  # named on the command line: checked even if ignored
    sources: dict[str, Source] = {}
    for rel in sorted({rel for rel, _ in found if not _is_utf8(rel)}):
        project.warnings.append(
            f"{os.path.join(project.root, rel)!r}: skipped, its name is not valid UTF-8 (the tools and "
            "GitHub cannot name it); rename the file."
        )
    found = [(rel, is_tracked) for rel, is_tracked in found if _is_utf8(rel)]
    for rel, is_tracked in found:
        if rel in sources or not (rel in explicit or _is_candidate(rel)) or not project.path(rel).is_file():
            continue
        if os.path.islink(project.path(rel)) and _links_out(project, rel, real_root):
            _skip_links_out(project, rel)
            continue
        sources[rel] = Source(rel=rel, walk_from=_walk_from(rel, project.args), tracked=is_tracked)
    project.sources = sorted(sources.values(), key=lambda source: source.rel)
    names = frozenset(config_names)
    project.config_files = sorted({rel for rel, _ in found if rel.rsplit("/", 1)[-1] in names})
    log.debug(
        "%s: %d candidate files (%s)", project.root, len(project.sources), "git" if project.in_git else "walk"
    )
    return project.sources


def _merge_base(project: Project, ref: str, option: str) -> str:
    """The commit where ``ref`` and HEAD diverged; exit 2 naming ``option`` when there is none."""
    if not project.in_git:
        raise UserError(
            f"{option} {ref}: {project.root} is not in a git work tree; drop the option or run it in a clone."
        )
    if git(project.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise UserError(
            f"{option} {ref}: git does not know this ref; fetch it first (actions/checkout with "
            "fetch-depth: 0, or git fetch origin <branch>)."
        )
    base = git(project.root, "merge-base", ref, "HEAD")
    if base.returncode != 0:
        raise UserError(
            f"{option} {ref}: no common ancestor with HEAD (a shallow clone?); fetch the history with "
            "actions/checkout fetch-depth: 0."
        )
    return base.stdout.strip()


def _diff(project: Project, ref: str, option: str, *flags: str) -> tuple[Path, str]:
    """git's toplevel and ``git diff FLAGS <merge base>`` (paths relative to the toplevel)."""
    base = _merge_base(project, ref, option)
    top = git(project.root, "rev-parse", "--show-toplevel")
    diff = git(
        project.root, "-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", *flags, base, "--"
    )
    if diff.returncode != 0 or top.returncode != 0:
        raise UserError(f"{option} {ref}: git diff failed: {(diff.stderr or top.stderr).strip()}")
    return Path(top.stdout.strip()), diff.stdout


def _relative(project: Project, toplevel: Path, name: str) -> str:
    return Path(os.path.relpath(toplevel / name, os.path.realpath(project.root))).as_posix()


def changed_since(project: Project, ref: str, option: str = "--changed-since") -> set[str]:
    """Files that differ from where ``ref`` and HEAD diverged, plus untracked ones, relative to the project
    root: a changed file outside the project (a configuration file above it) starts with ``../``."""
    toplevel, out = _diff(project, ref, option, "--name-only", "-z")
    changed = {_relative(project, toplevel, name) for name in out.split("\0") if name}
    return changed | {source.rel for source in project.sources if not source.tracked}


_HUNK_NEW = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def changed_lines(project: Project, ref: str, option: str) -> dict[str, set[int] | None]:
    """Per changed file (relative to the root): the lines added or changed since the merge base of ``ref``
    and HEAD (in the file as it is now); None for a file that is new or untracked, every line of it."""
    toplevel, out = _diff(project, ref, option, "-U0", "--no-renames", "--diff-filter=AM")
    lines: dict[str, set[int] | None] = {}
    current: str | None = None
    for line in out.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = _relative(project, toplevel, name[2:]) if name.startswith("b/") else None
            if current is not None:
                lines.setdefault(current, set())
        elif current is not None and (match := _HUNK_NEW.match(line)):
            start, count = int(match[1]), int(match[2] if match[2] is not None else 1)
            changed = lines[current]
            if changed is not None:
                changed.update(range(start, start + count))
    for source in project.sources:
        if not source.tracked:
            lines[source.rel] = None
    return lines
