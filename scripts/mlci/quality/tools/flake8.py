"""flake8: its file selection (``exclude``, ``extend-exclude``, ``filename``) and its output.

flake8 applies ``exclude`` to the PATH it is given and to every directory and file it walks below it, by
base name and by absolute path. Named explicitly, a file deep inside an excluded directory would still be
checked, so the selection re-traces the walk with flake8's own rules (read from the same config file flake8
finds: the first setup.cfg, tox.ini or .flake8 with a ``[flake8]`` section, from the project root upwards,
stopping below the home directory).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence
from pathlib import Path

from mlci.quality.configfiles import read_ini
from mlci.quality.model import Finding
from mlci.quality.project import Project, Source
from mlci.quality.tools.base import Linter, ToolRun, tree_digests, walk_components

DEFAULT_EXCLUDE = (".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox", ".eggs", "*.egg")
MARK = "@mlci@"
FORMAT = "\t".join((MARK, "%(path)s", "%(row)d", "%(col)d", "%(code)s", "%(text)s"))
_LIST_SEPARATOR = re.compile(r"[,\s]")


def find_config(start: Path) -> Path | None:
    """The config file flake8 reads when run in ``start``."""
    home = Path(os.path.expanduser("~"))
    directory = start
    while True:
        for name in ("setup.cfg", "tox.ini", ".flake8"):
            parser = read_ini(directory / name)
            if "flake8" in parser or "flake8:local-plugins" in parser:
                return directory / name
        parent = directory.parent
        if parent == directory or parent == home:
            return None
        directory = parent


def _patterns(value: str, base: Path) -> list[str]:
    """flake8's comma-separated, path-normalised list (a pattern with a slash is relative to the config)."""
    items = [item.strip() for item in _LIST_SEPARATOR.split(value) if item.strip()]
    return [
        (os.path.abspath(base / item) if item == "." or "/" in item else item).rstrip("/") for item in items
    ]


def parse_output(stdout: str) -> list[tuple[str, int, int, str, str]]:
    """(path, row, col, code, text) of every finding line; other lines (statistics, counts) are ignored."""
    rows = []
    for line in stdout.splitlines():
        parts = line.split("\t", 5)
        if len(parts) == 6 and parts[0] == MARK:
            _, path, row, col, code, text = parts
            rows.append((path, int(row), int(col), code, text))
    return rows


class Flake8(Linter):
    name = "flake8"
    homepage = "https://flake8.pycqa.org/"
    plugin_groups = ("flake8.extension", "flake8.report")
    config_files = ("setup.cfg", "tox.ini", ".flake8")
    pyproject_tables = ("tool.flake8",)
    hook_options = {
        "--max-line-length": True,
        "--max-doc-length": True,
        "--max-complexity": True,
        "--select": True,
        "--ignore": True,
        "--extend-select": True,
        "--extend-ignore": True,
        "--per-file-ignores": True,
        "--indent-size": True,
        "--hang-closing": False,
        "--doctests": False,
    }
    cost_per_kib = 0.004
    startup = 0.15

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.exclude: list[str] = list(DEFAULT_EXCLUDE)
        self.filename: list[str] = ["*.py"]
        config = find_config(self.root)
        parser = read_ini(config) if config is not None else None
        #: [flake8:local-plugins] paths: the team's own plugins, whose code is part of every verdict
        self.plugin_dirs: list[Path] = []
        if config is not None and parser is not None and "flake8:local-plugins" in parser:
            paths = parser["flake8:local-plugins"].get("paths", "")
            self.plugin_dirs = [
                Path(os.path.normpath(config.parent / p)) for p in _patterns(paths, config.parent)
            ]
        if config is not None and parser is not None and "flake8" in parser:
            options = {key.replace("_", "-"): value for key, value in parser["flake8"].items()}
            if "exclude" in options:
                self.exclude = _patterns(options["exclude"], config.parent)
            if "extend-exclude" in options:
                self.exclude += _patterns(options["extend-exclude"], config.parent)
            if "filename" in options:
                self.filename = _patterns(options["filename"], config.parent)

    def config_extra(self) -> list[str]:
        return [f"plugin {path}:{digest}" for path, digest in tree_digests(self.plugin_dirs, self.root)]

    def reads(self, path: Path) -> bool:
        return super().reads(path) or any(d == path or d in path.parents for d in self.plugin_dirs)

    def _excluded(self, name: str) -> bool:
        basename = os.path.basename(name)
        if basename not in {".", ".."} and any(fnmatch.fnmatch(basename, p) for p in self.exclude):
            return True
        absolute = os.path.normpath(os.path.join(self.root, name))
        return any(fnmatch.fnmatch(absolute, p) for p in self.exclude)

    def selects(self, source: Source) -> bool:
        components = walk_components(source)
        if any(self._excluded(name) for name in components):
            return False
        explicit = source.walk_from == source.rel
        return explicit or not self.filename or any(fnmatch.fnmatch(components[-1], p) for p in self.filename)

    def check_argv(self, files: Sequence[Source]) -> list[str]:
        return [
            "--jobs=1",
            "--color=never",
            "--no-show-source",
            f"--format={FORMAT}",
            *self.hook_argv,
            "--",
            *map(self.arg, files),
        ]

    def parse(self, files: Sequence[Source], run: ToolRun) -> dict[str, list[Finding]]:
        rows = parse_output(run.stdout)
        if run.returncode not in (0, 1) or (run.returncode == 1 and not rows):
            raise run.failure(self.name)
        names = self.index(files)
        results: dict[str, list[Finding]] = {source.rel: [] for source in files}
        for path, row, col, code, text in rows:
            rel = self.lookup(names, path)
            if rel is None:
                raise run.failure(self.name)
            results[rel].append(self.finding(rel, line=row, col=col, code=code, message=text))
        return results
