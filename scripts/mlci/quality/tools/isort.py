"""isort: its file selection (``skip``, ``skip_glob``, ``extend_skip*``, ``skip_gitignore``, supported file
types) and its ``--check-only --diff`` output.

isort's own :class:`isort.settings.Config` (its public API) decides, exactly as ``isort PATH`` does while
walking: each directory below the PATH and each file is tested with ``Config.is_skipped``, each walked file
with ``Config.is_supported_filetype`` (which also takes extension-less scripts with a Python shebang).
Runs get ``--settings-path .`` so every chunk reads the configuration ``isort .`` reads from the root.

isort classifies an import as first party when a module of that name lies in one of its ``src_paths``, so
the layout of those directories is part of the cache key, besides the config files.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from mlci.errors import UserError
from mlci.quality.diffs import first_changed_line, split_file_diffs
from mlci.quality.model import Finding
from mlci.quality.project import SKIP_DIRS, Project, Source
from mlci.quality.tools.base import Linter, ToolRun, walk_components

_ERROR = re.compile(r"^ERROR: (?P<path>.+) Imports are incorrectly sorted and/or formatted\.$")
_BEFORE = ":before"
MESSAGE = "imports are incorrectly sorted (the diff is in the log); run isort, or mlci quality --fix"


#: What makes an ``__init__.py`` declare a namespace package for isort (``isort.place``).
_NAMESPACE_DECLARATIONS = (
    b"__import__('pkg_resources').declare_namespace(__name__)",
    b'__import__("pkg_resources").declare_namespace(__name__)',
    b"__path__ = __import__('pkgutil').extend_path(__path__, __name__)",
    b'__path__ = __import__("pkgutil").extend_path(__path__, __name__)',
)
#: How deep namespace packages are followed (isort follows them as deep as an import's dotted name goes).
MAX_NAMESPACE_DEPTH = 6


def is_namespace(directory: Path, extensions: frozenset[str]) -> bool:
    """isort's rule: a directory with no ``__init__.py`` and no source file, or whose ``__init__.py``
    declares a namespace with pkg_resources or pkgutil."""
    init = directory / "__init__.py"
    if not init.is_file():
        return not any(
            child.suffix.lstrip(".") in extensions or child.name.lower() in ("setup.cfg", "pyproject.toml")
            for child in directory.iterdir()
        )
    with init.open("rb") as handle:
        start = handle.read(4096)
    return any(declaration in start for declaration in _NAMESPACE_DECLARATIONS)


def layout(
    root: Path, src_paths: Sequence[Path], extensions: frozenset[str], namespaces: frozenset[str]
) -> list[str]:
    """What isort's first-party placement depends on, relative to the project root (so a checkout
    elsewhere has the same layout): the names in each source path, whether each directory there is a
    namespace package, and, inside namespace packages, the same again as deep as isort follows them."""
    entries: list[str] = []

    def visit(directory: Path, where: str, dotted: str, depth: int) -> None:
        try:
            children = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError:
            return
        for child in children:
            if child.name in SKIP_DIRS or not child.name.split(".", 1)[0].isidentifier():
                continue  # not importable: never a module isort places
            name = f"{dotted}.{child.name}" if dotted else child.name
            if not child.is_dir():
                entries.append(f"{where}:{name}")
                continue
            path = Path(child.path)
            namespace = is_namespace(path, extensions) if os.access(path, os.R_OK) else False
            entries.append(f"{where}:{name}/{'namespace' if namespace else 'package'}")
            if (namespace or name in namespaces) and depth < MAX_NAMESPACE_DEPTH:
                visit(path, where, name, depth + 1)

    for src in src_paths:
        if src.is_dir():
            visit(src, os.path.relpath(src, os.path.realpath(root)), "", 0)
    return entries


class Isort(Linter):
    name = "isort"
    homepage = "https://pycqa.github.io/isort/"
    fix_stage = 0
    hook_options = {
        "--profile": True,
        "--line-length": True,
        "-l": True,
        "--line-width": True,
        "-w": True,
        "--multi-line": True,
        "-m": True,
        "--trailing-comma": False,
        "--tc": False,
        "--force-single-line-imports": False,
        "--sl": False,
        "--combine-as": False,
        "--ca": False,
        "--float-to-top": False,
        "--known-first-party": True,
        "-p": True,
        "--known-third-party": True,
        "-o": True,
        "--force-sort-within-sections": False,
        "--fss": False,
        "--lines-after-imports": True,
        "--lai": True,
        "--use-parentheses": False,
        "--up": False,
        "--ensure-newline-before-comments": False,
        "--py": True,
        "--python-version": True,
    }
    plugin_groups = ("isort.sort_function", "isort.literal_sort_type")
    config_files = (".isort.cfg", "setup.cfg", "tox.ini", ".editorconfig")
    pyproject_tables = ("tool.isort",)
    cost_per_kib = 0.001
    startup = 0.2

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        from isort.exceptions import ISortError
        from isort.settings import Config

        # isort resolves relative names and its default directory against the working directory.
        with contextlib.chdir(self.root), warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            try:
                self.config = Config(settings_path=str(self.root))
            except (ISortError, ValueError, TypeError) as exc:
                raise UserError(f"isort cannot read its configuration for {self.root}: {exc}") from exc
        # isort names the file in its message ("Failed to pull configuration information from setup.cfg")
        self.warnings += [f"isort: {warning.message}" for warning in said]
        self._dirs: dict[str, bool] = {}

    def config_extra(self) -> list[str]:
        return layout(
            self.root,
            [Path(p) for p in self.config.src_paths],
            frozenset(self.config.supported_extensions),
            frozenset(self.config.namespace_packages),
        )

    def _dir_skipped(self, name: str) -> bool:
        if name not in self._dirs:
            self._dirs[name] = self.config.is_skipped(Path(name))
        return self._dirs[name]

    def select(self, sources: Sequence[Source]) -> list[Source]:
        # isort resolves relative names against the working directory, as when it runs in the root.
        with contextlib.chdir(self.root):
            return [source for source in sources if self.selects(source)]

    def selects(self, source: Source) -> bool:
        if source.walk_from == source.rel:
            return True  # named explicitly: isort checks it whatever its skip settings say
        components = walk_components(source)
        if any(self._dir_skipped(name) for name in components[1:-1]):
            return False
        file_name = components[-1]
        return self.config.is_supported_filetype(file_name) and not self.config.is_skipped(
            Path(os.path.abspath(file_name))
        )

    def check_argv(self, files: Sequence[Source]) -> list[str]:
        return ["--check-only", "--diff", "--settings-path=.", *self.hook_argv, "--", *map(self.arg, files)]

    def fix_argv(self, files: Sequence[Source]) -> list[str]:
        return ["--settings-path=.", *self.hook_argv, "--", *map(self.arg, files)]

    def parse(self, files: Sequence[Source], run: ToolRun) -> dict[str, list[Finding]]:
        if run.returncode not in (0, 1):
            raise run.failure(self.name)
        names = self.index(files)

        def name_of(header: str) -> str | None:
            return self.lookup(names, header[: -len(_BEFORE)] if header.endswith(_BEFORE) else header)

        diffs = split_file_diffs(run.stdout, name_of)
        flagged = set(diffs)
        for line in (run.stderr + "\n" + run.stdout).splitlines():
            match = _ERROR.match(line.strip())
            if match and (rel := self.lookup(names, match["path"])) is not None:
                flagged.add(rel)
        if run.returncode == 1 and not flagged:
            raise run.failure(self.name)
        results: dict[str, list[Finding]] = {source.rel: [] for source in files}
        for rel in sorted(flagged):
            diff = diffs.get(rel, "")
            line_no = first_changed_line(diff) or 1
            results[rel].append(
                self.finding(
                    rel, line=line_no, col=None, code="incorrectly sorted", message=MESSAGE, detail=diff
                )
            )
        return results
