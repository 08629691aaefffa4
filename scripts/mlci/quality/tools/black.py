"""black: its file selection (project root, ``include``/``exclude``/``extend-exclude``/``force-exclude``,
``.gitignore``) and its ``--check --diff`` output.

black applies its exclusions while walking a directory, to paths relative to its project root (the nearest
directory holding .git, .hg, or a pyproject.toml with ``[tool.black]``); a file named explicitly only meets
``force-exclude``. The selection re-traces the walk with black's own rules, and the run gets the same
``--config`` black would find, so a chunk of files deep in the tree cannot pick another configuration.

Checks run with ``--fast``: black's safety checks (the reformatted code parses to the same AST, and a second
pass changes nothing) guard the rewriting of a file, which a check does not do; they cost as much as the
formatting itself, and a file fails the check with or without them. ``--fix`` keeps them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlci.quality.configfiles import load_toml, toml_table
from mlci.quality.diffs import first_changed_line, split_file_diffs
from mlci.quality.model import Finding
from mlci.quality.project import Project, Source
from mlci.quality.tools.base import Linter, ToolRun, walk_components

DEFAULT_EXCLUDES = (
    r"/(\.direnv|\.eggs|\.git|\.hg|\.ipynb_checkpoints|\.mypy_cache|\.nox|\.pytest_cache|\.ruff_cache|\.tox"
    r"|\.svn|\.venv|\.vscode|__pypackages__|_build|buck-out|build|dist|venv)/"
)
DEFAULT_INCLUDES = r"(\.pyi?|\.ipynb)$"
_PARSE_ERROR = re.compile(
    r"^(?:error: )?(?P<context>cannot parse[^:]*): (?P<path>.+):(?P<line>\d+):(?P<col>\d+)$"
)
_FORMAT_ERROR = re.compile(r"^error: cannot format (?P<path>.+?): (?P<message>.+)$")
_WOULD_REFORMAT = "would reformat "
MESSAGE = "would reformat this file (the diff is in the log); run black, or mlci quality --fix"


def find_black_root(start: Path) -> Path:
    """black's project root for sources under ``start``."""
    for directory in (start, *start.parents):
        if (directory / ".git").exists() or (directory / ".hg").is_dir():
            return directory
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and toml_table(load_toml(pyproject), "tool.black") is not None:
            return directory
    return Path(start.anchor)


def user_config() -> Path:
    """black's user-level configuration file."""
    return Path(os.environ.get("XDG_CONFIG_HOME", "~/.config")).expanduser() / "black"


def compile_maybe_verbose(regex: str) -> re.Pattern[str]:
    return re.compile(("(?x)" + regex) if "\n" in regex else regex)


def parse_errors(stderr: str) -> list[tuple[str, int | None, int | None, str]]:
    """(path, line, col, message) of every file black could not format."""
    errors: list[tuple[str, int | None, int | None, str]] = []
    for line in stderr.splitlines():
        if match := _PARSE_ERROR.match(line.strip()):
            errors.append((match["path"], int(match["line"]), int(match["col"]), match["context"]))
        elif match := _FORMAT_ERROR.match(line.strip()):
            errors.append((match["path"], None, None, f"cannot format: {match['message']}"))
    return errors


class Black(Linter):
    name = "black"
    pyproject_tables = ("tool.black", "project.requires-python")
    cost_per_kib = 0.01
    startup = 0.3

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.resolved_root = Path(os.path.realpath(self.root))
        self.black_root = find_black_root(self.resolved_root)
        candidate = self.black_root / "pyproject.toml"
        self.config_file: Path | None = candidate if candidate.is_file() else None
        if self.config_file is None and (user_file := user_config()).is_file():
            self.config_file = user_file
        options: dict[str, Any] = {}
        if self.config_file is not None:
            table = toml_table(load_toml(self.config_file), "tool.black") or {}
            options = {key.replace("--", "").replace("-", "_"): value for key, value in table.items()}
        self.use_gitignore = "exclude" not in options
        self.include = compile_maybe_verbose(options.get("include", DEFAULT_INCLUDES))
        self.excludes = [
            compile_maybe_verbose(options[key]) if key in options else None
            for key in ("exclude", "extend_exclude", "force_exclude")
        ]
        if self.excludes[0] is None:
            self.excludes[0] = re.compile(DEFAULT_EXCLUDES)
        self._ignores: dict[Path, Any] = {}
        self._dirs: dict[str, bool] = {}

    def config_extra(self) -> list[str]:
        if self.config_file is not None and self.config_file.parent != self.black_root:  # the user-level file
            return [self.config_file.read_text(encoding="utf-8", errors="replace")]
        return []

    # ---- selection
    def _excluded(self, relative: str, force_only: bool = False) -> bool:
        patterns = self.excludes[2:] if force_only else self.excludes
        return any(p is not None and bool((m := p.search(relative)) and m.group(0)) for p in patterns)

    def _gitignore(self, directory: Path) -> Any:
        if directory not in self._ignores:
            lines: list[str] = []
            gitignore = directory / ".gitignore"
            if gitignore.is_file():
                lines = gitignore.read_text(encoding="utf-8-sig").splitlines()
            if lines:
                from pathspec import GitIgnoreSpec  # black's own dependency: installed with black

                self._ignores[directory] = GitIgnoreSpec.from_lines(lines)
            else:
                self._ignores[directory] = None
        return self._ignores[directory]

    def _ignored(self, path: Path, is_dir: bool, chain: list[Path]) -> bool:
        for directory in chain:
            try:
                relative = path.relative_to(directory).as_posix() + ("/" if is_dir else "")
            except ValueError:
                break
            spec = self._gitignore(directory)
            if spec is not None and spec.match_file(relative):
                return True
        return False

    def _passes(self, name: str, is_dir: bool, chain: list[Path]) -> bool:
        path = self.resolved_root / os.path.normpath(name)
        try:
            relative = path.relative_to(self.black_root).as_posix()
        except ValueError:
            return False
        if self.use_gitignore and self._ignored(path, is_dir, chain):
            return False
        if self._excluded("/" + relative + ("/" if is_dir else "")):
            return False
        real = Path(os.path.realpath(path))
        return real == self.black_root or self.black_root in real.parents

    def selects(self, source: Source) -> bool:
        if source.walk_from == source.rel:
            relative = (self.resolved_root / source.rel).relative_to(self.black_root).as_posix()
            return not self._excluded("/" + relative, force_only=True)
        components = walk_components(source)
        chain = [self.black_root, self.resolved_root / os.path.normpath(components[0])]
        for name in components[1:-1]:
            if name not in self._dirs:
                self._dirs[name] = self._passes(name, True, chain)
            if not self._dirs[name]:
                return False
            chain.append(self.resolved_root / os.path.normpath(name))
        if not self._passes(components[-1], False, chain):
            return False
        relative = (self.resolved_root / source.rel).relative_to(self.black_root).as_posix()
        return bool(self.include.search("/" + relative))

    # ---- running
    def _config_argv(self) -> list[str]:
        return [f"--config={self.config_file}"] if self.config_file is not None else []

    def check_argv(self, files: Sequence[Source]) -> list[str]:
        return [
            "--check",
            "--diff",
            "--fast",
            "--no-color",
            "--workers=1",
            *self._config_argv(),
            "--",
            *map(self.arg, files),
        ]

    def fix_argv(self, files: Sequence[Source]) -> list[str]:
        return ["--no-color", *self._config_argv(), "--", *map(self.arg, files)]

    def parse(self, files: Sequence[Source], run: ToolRun) -> dict[str, list[Finding]]:
        if run.returncode not in (0, 1, 123):
            raise run.failure(self.name)
        names = self.index(files)
        results: dict[str, list[Finding]] = {source.rel: [] for source in files}
        diffs = split_file_diffs(run.stdout, lambda name: self.lookup(names, name))
        flagged = set(diffs)
        for line in run.stderr.splitlines():
            if line.startswith(_WOULD_REFORMAT):
                rel = self.lookup(names, line[len(_WOULD_REFORMAT) :])
                if rel is not None:
                    flagged.add(rel)
        for rel in sorted(flagged):
            diff = diffs.get(rel, "")
            first_line = first_changed_line(diff) or 1
            results[rel].append(
                self.finding(
                    rel, line=first_line, col=None, code="would reformat", message=MESSAGE, detail=diff
                )
            )
        errors = parse_errors(run.stderr)
        for path, line_no, col, message in errors:
            rel = self.lookup(names, path)
            if rel is not None:
                results[rel].append(
                    self.finding(rel, line=line_no, col=col, code="cannot format", message=message)
                )
        if (run.returncode == 123 and not errors) or (run.returncode == 1 and not flagged):
            raise run.failure(self.name)
        return results
