"""ruff: ``ruff check`` (lint findings with ruff's own codes, from its JSON output) and ``ruff format`` (as
black is: a finding per file that would change, its diff in the log, ``--fix`` applies it).

ruff reads its configuration itself, hierarchically: for each file, the closest ``pyproject.toml`` with a
``[tool.ruff]`` table, ``ruff.toml`` or ``.ruff.toml``. Runs happen in the project root with explicit file
names, so every file meets the configuration it meets by hand; the cache key covers every such file in the
project and above it, every file an ``extend = "..."`` chain reaches (also outside the project), and
ruff's user-level configuration. The selection is ruff's own: ``ruff check --show-files`` on the PATHs (its
``include``, ``exclude``, ``extend-exclude`` and ``.gitignore`` rules); the files found by walking a
directory run with ``--force-exclude``, so ruff itself also applies ``[tool.ruff.lint] exclude`` and
``[tool.ruff.format] exclude`` to them, as it does when it walks the directory by hand (a file so excluded
counts as checked, with no findings). A file named explicitly as a PATH is checked as ruff checks a file
named on its command line (excluded only where the configuration sets ``force-exclude``).

Jupyter notebooks (``.ipynb``) are checked as ruff checks them; a finding in a notebook names the cell and
the line in it that ruff reports. ``--no-cache`` keeps ruff's own ``.ruff_cache`` out of the project (mlci
caches the results per file). The version is the ruff installed beside mlci (``ruff --version``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlci.errors import UserError
from mlci.quality.configfiles import ignore_digest, load_toml, toml_table
from mlci.quality.diffs import first_changed_line, split_file_diffs
from mlci.quality.model import Finding
from mlci.quality.project import Source
from mlci.quality.tools.base import Linter, ToolRun

CONFIG_FILES = ("ruff.toml", ".ruff.toml")
_PARSE_ERROR = re.compile(
    r"^error: Failed to parse (?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$"
)
_FIRST_CELL = re.compile(r"^--- a/.+:cell (?P<cell>\d+)$", re.MULTILINE)
#: a file ruff cannot read (not UTF-8, say): by hand an error of ``ruff format --check`` too (exit 2)
_READ_ERROR = re.compile(r"^error: Failed to read (?P<path>.+?): (?P<message>.+)$")
FORMAT_MESSAGE = (
    "ruff format would reformat this file (the diff is in the log); run ruff format, or mlci quality --fix"
)


class _RuffBase(Linter):
    module = "ruff"
    distribution = "ruff"
    homepage = "https://docs.astral.sh/ruff/"
    default = False
    config_files = CONFIG_FILES
    pyproject_tables = ("tool.ruff", "project.requires-python")
    cost_per_kib = 0.0005
    startup = 0.05
    select_runs_tool = True
    parallel = True
    #: ruff's --config takes a file or a KEY=VALUE override; ruff itself then selects the files with it too
    hook_options = {"--line-length": True, "--config": True, "--target-version": True, "--preview": False}

    @classmethod
    def program(cls) -> list[str]:
        """ruff's binary itself: ``python -m ruff`` only finds it and starts it with the same arguments (on
        Windows as a child process), so this saves an interpreter's start per run and changes nothing else."""
        from ruff import find_ruff_bin  # ruff's own public lookup, the one its __main__ uses

        try:
            return [os.fsdecode(find_ruff_bin())]
        except FileNotFoundError:  # a broken install: let `python -m ruff` say so, as by hand
            return super().program()

    def __init__(self, project: Any) -> None:
        super().__init__(project)
        self._extends: list[Path] | None = None

    def _nested_configs(self) -> list[str]:
        """ruff configuration files below the root (ruff applies the closest one to each file)."""
        return [rel for rel in self.project.config_files if "/" in rel and self._is_config(Path(rel))]

    @staticmethod
    def _is_config(path: Path) -> bool:
        return path.name in CONFIG_FILES or path.name == "pyproject.toml"

    def _settings(self, path: Path) -> dict[str, Any] | None:
        """The ruff settings a configuration file holds (None: a pyproject.toml without [tool.ruff])."""
        data = load_toml(path)
        return toml_table(data, "tool.ruff") if path.name == "pyproject.toml" else data

    def _extended(self) -> list[Path]:
        """The configuration files the hook's ``--config`` names, and every file the ``extend`` chains of the
        project's ruff configurations reach (a path relative to the file that names it; ``~`` and environment
        variables expanded, as ruff expands them)."""
        if self._extends is None:
            starts = [
                d / name
                for d in (self.root, *self.root.parents)
                for name in (*CONFIG_FILES, "pyproject.toml")
            ]
            starts += [self.root / rel for rel in self._nested_configs()]
            named = [
                Path(os.path.normpath(self.root / v)) for v in self._config_args() if v.endswith(".toml")
            ]
            starts += named
            seen: list[Path] = list(named)  # a --config file of the hook's args: read, whatever its name
            for current in starts:
                while current.is_file():
                    settings = self._settings(current)
                    target = settings.get("extend") if isinstance(settings, dict) else None
                    if not isinstance(target, str):
                        break
                    expanded = os.path.expandvars(os.path.expanduser(target))
                    current = Path(os.path.normpath(current.parent / expanded))
                    if current in seen:
                        break  # a cycle, or a chain already followed
                    seen.append(current)
            self._extends = seen
        return self._extends

    def config_extra(self) -> list[str]:
        extra = []
        for rel in self._nested_configs():
            path = self.root / rel
            if path.name == "pyproject.toml":
                table = toml_table(load_toml(path), "tool.ruff")
                extra.append(f"{rel}:{json.dumps(table, sort_keys=True)}")
            else:
                extra.append(f"{rel}:{path.read_text(encoding='utf-8', errors='replace')}")
        for path in [*self._extended(), *_user_configs()]:
            try:
                extra.append(f"{path}:{path.read_text(encoding='utf-8', errors='replace')}")
            except OSError:
                extra.append(f"{path}: missing")
        return extra

    def reads(self, path: Path) -> bool:
        inside = path == self.root or self.root in path.parents
        return super().reads(path) or (inside and self._is_config(path)) or path in self._extended()

    def select(self, sources: Sequence[Source]) -> list[Source]:
        if not sources:
            return []
        from mlci.quality.runner import execute  # the one place that starts tool processes

        self._extended()  # reads every ruff configuration: one that is not TOML is exit 2, naming it
        walked = sorted({source.walk_from for source in sources})
        argv = ["check", "--show-files", "--no-cache", *self._selection_argv(), "--", *walked]
        run = execute(self.program(), argv, self.root)
        if run.returncode not in (0, 1):
            raise UserError(f"{run.failure(self.name).args[0]}; check ruff's configuration in {self.root}.")
        shown = {os.path.normpath(line.strip()) for line in run.stdout.splitlines() if line.strip()}
        real_root = os.path.realpath(self.root)
        return [
            source
            for source in sources
            if os.path.normpath(os.path.join(real_root, source.rel)) in shown
            or os.path.normpath(self.root / source.rel) in shown
        ]

    def selects(self, source: Source) -> bool:
        return bool(self.select([source]))

    def layout(self) -> list[str]:
        """ruff places an import as first party by what lies in its ``src`` directories (the root and
        ``src/`` by default) and finds each file's package by its ``__init__.py`` files (I001, INP001): the
        names of the project's source files and of what the root and ``src/`` hold."""
        names = [source.rel for source in self.project.sources]
        for directory in (self.root, self.root / "src"):
            with contextlib.suppress(OSError):
                names += sorted(f"{directory.name}/{entry.name}" for entry in os.scandir(directory))
        return ["layout:" + "\0".join(names)]

    def selection_inputs(self) -> list[str]:
        """Its configuration, and the ignore files its walk honours (``respect-gitignore``)."""
        return [*super().selection_inputs(), ignore_digest(self.root, self.project.config_files)]

    def _selection_argv(self) -> list[str]:
        """The hook's --config overrides, which may move ruff's include and exclude too."""
        return [f"--config={value}" for value in self._config_args()]

    def _config_args(self) -> list[str]:
        """The values of the hook's --config options (a configuration file or a KEY=VALUE override)."""
        values: list[str] = []
        for i, arg in enumerate(self.hook_argv):
            if arg.startswith("--config="):
                values.append(arg.removeprefix("--config="))
            elif arg == "--config" and i + 1 < len(self.hook_argv):
                values.append(self.hook_argv[i + 1])
        return values

    def batches(self, files: Sequence[Source]) -> list[list[Source]]:
        """Files found by walking a directory apart from files named as a PATH: each meets ruff's
        exclusions as by hand (see ``_exclusion_argv``)."""
        walked = [source for source in files if source.walk_from != source.rel]
        named = [source for source in files if source.walk_from == source.rel]
        return [batch for batch in (walked, named) if batch]

    def _exclusion_argv(self, files: Sequence[Source]) -> list[str]:
        """``--force-exclude`` for files found by walking a directory (a batch holds only such files or
        only named ones): ruff then applies every exclusion (also ``lint.exclude``, ``format.exclude``) as
        when it walks the directory itself; a file named as a PATH is checked as ruff checks a file named on
        its command line."""
        return ["--force-exclude"] if any(source.walk_from != source.rel for source in files) else []


def _user_configs() -> list[Path]:
    """ruff's user-level configuration files (read when no project configuration applies to a file)."""
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [
        base / "ruff" / name for name in ("pyproject.toml", *CONFIG_FILES) if (base / "ruff" / name).is_file()
    ]


class Ruff(_RuffBase):
    name = "ruff"
    fix_stage = 0
    hook_options = {
        **_RuffBase.hook_options,
        "--select": True,
        "--ignore": True,
        "--extend-select": True,
        "--extend-ignore": True,
        "--per-file-ignores": True,
        "--extend-per-file-ignores": True,
        "--fixable": True,
        "--unfixable": True,
    }

    def check_argv(self, files: Sequence[Source]) -> list[str]:
        argv = ["check", "--output-format=json", "--no-cache", "--no-fix", *self._exclusion_argv(files)]
        return [*argv, *self.hook_argv, "--", *map(self.arg, files)]

    def fix_argv(self, files: Sequence[Source]) -> list[str]:
        argv = ["check", "--fix", "--no-cache", "--quiet", "--exit-zero", *self._exclusion_argv(files)]
        return [*argv, *self.hook_argv, "--", *map(self.arg, files)]

    def parse(self, files: Sequence[Source], run: ToolRun) -> dict[str, list[Finding]]:
        if run.returncode not in (0, 1):
            raise run.failure(self.name)
        try:
            items = json.loads(run.stdout or "[]")
        except ValueError:
            raise run.failure(self.name) from None
        if not isinstance(items, list) or (run.returncode == 1 and not items):
            raise run.failure(self.name)
        names = self.index(files)
        results: dict[str, list[Finding]] = {source.rel: [] for source in files}
        for item in items:
            rel = self.lookup(names, item["filename"])
            if rel is None:
                raise run.failure(self.name)
            location = item.get("location") or {}
            cell = item.get("cell")
            message = item["message"]
            if item.get("url"):
                message += f" ({item['url']})"
            results[rel].append(
                self.finding(
                    rel,
                    line=location.get("row"),
                    col=location.get("column"),
                    code=item.get("code") or "invalid-syntax",
                    message=message,
                    cell=cell if isinstance(cell, int) else None,
                )
            )
        return results


class RuffFormat(_RuffBase):
    name = "ruff-format"
    fix_stage = 1
    cost_per_kib = 0.0003

    def check_argv(self, files: Sequence[Source]) -> list[str]:
        argv = ["format", "--check", "--diff", "--no-cache", *self._exclusion_argv(files), *self.hook_argv]
        return [*argv, "--", *map(self.arg, files)]

    def fix_argv(self, files: Sequence[Source]) -> list[str]:
        argv = ["format", "--no-cache", "--quiet", *self._exclusion_argv(files), *self.hook_argv]
        return [*argv, "--", *map(self.arg, files)]

    def parse(self, files: Sequence[Source], run: ToolRun) -> dict[str, list[Finding]]:
        if run.returncode not in (0, 1, 2):
            raise run.failure(self.name)
        names = self.index(files)
        results: dict[str, list[Finding]] = {source.rel: [] for source in files}
        diffs = split_file_diffs(run.stdout, lambda name: self.lookup(names, name))
        for rel in sorted(diffs):
            cell = _FIRST_CELL.search(diffs[rel])  # a notebook: the line is the cell's, as ruff counts it
            results[rel].append(
                self.finding(
                    rel,
                    line=first_changed_line(diffs[rel]) or 1,
                    col=None,
                    code="would reformat",
                    message=FORMAT_MESSAGE,
                    detail=diffs[rel],
                    cell=int(cell["cell"]) if cell else None,
                )
            )
        errors = 0
        for line in run.stderr.splitlines():
            match = _PARSE_ERROR.match(line.strip()) or _READ_ERROR.match(line.strip())
            if match and (where := self.lookup(names, match["path"])) is not None:
                errors += 1
                located = match.re is _PARSE_ERROR
                results[where].append(
                    self.finding(
                        where,
                        line=int(match["line"]) if located else 1,
                        col=int(match["col"]) if located else None,
                        code="cannot format",
                        message=match["message"],
                    )
                )
        if (run.returncode == 2 and not errors) or (run.returncode == 1 and not diffs):
            raise run.failure(self.name)
        return results
