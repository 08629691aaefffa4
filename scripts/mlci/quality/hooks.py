"""The ``args:`` of the project's pre-commit hooks (``.pre-commit-config.yaml`` where pre-commit reads it: at
the top of the project's git work tree, also for a subproject of a monorepo; in the project root outside git).

Many teams keep their settings there (``black --line-length=79``), so the gate reuses the hook's arguments
that change a verdict the way a configuration file does; each tool module names those it honours
(``Linter.hook_options``). Anything else (``--fix``, ``--quiet``, file selection such as ``--exclude``, a
``--config`` file that would move the tool's configuration away from what the selection read) is ignored,
and the run says so in a notice. Hooks are found by id (black, isort, flake8, bandit, ruff or ruff-check,
ruff-format) whatever repository they come from; a ``repo: local`` hook's settings in its ``entry:`` (the
words after the tool) count as its args, as pre-commit runs entry + args.

The hook's file filters are honoured as pre-commit applies them: the top-level ``files:``/``exclude:`` and the
hook's own (Python regexes searched in the path relative to the directory of ``.pre-commit-config.yaml``),
and the ``types``/``types_or``/``exclude_types`` the configuration sets (identify's tags, pre-commit's own
library). A file pre-commit would never give the hook is not checked by that tool; the tool's own selection
(what it checks by hand) still applies on top. Types a hook's repository sets in its manifest are not known
here (no clone): only those written in the configuration filter.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import Any

from mlci.errors import UserError

CONFIG = ".pre-commit-config.yaml"
#: hook id -> check name
HOOK_IDS = {
    "black": "black",
    "isort": "isort",
    "flake8": "flake8",
    "bandit": "bandit",
    "ruff": "ruff",
    "ruff-check": "ruff",
    "ruff-format": "ruff-format",
}


@dataclass(frozen=True)
class HookArgs:
    """A hook's arguments, split into those the gate passes on and those it ignores."""

    honoured: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    notices: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class HookFiles:
    """Which files pre-commit gives a hook: regexes (top-level and the hook's) and identify's type tags."""

    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    types: frozenset[str] = frozenset()
    types_or: frozenset[str] = frozenset()
    exclude_types: frozenset[str] = frozenset()
    #: the filters as written, for the notice
    written: tuple[str, ...] = ()

    def admits(self, root: Path, rel: str) -> bool:
        """Whether pre-commit would give the hook ``rel`` (a path relative to ``root``, with ``/``)."""
        if not all(pattern.search(rel) for pattern in self.include):
            return False
        if any(pattern.search(rel) for pattern in self.exclude):
            return False
        if not (self.types or self.types_or or self.exclude_types):
            return True
        tags = _tags(str(root / rel))
        return (
            tags >= self.types
            and (not self.types_or or bool(tags & self.types_or))
            and not tags & self.exclude_types
        )


@dataclass(frozen=True)
class Hook:
    """What the gate takes from a project's hooks with one tool's id: the first one's ``args:``, and the file
    filters of each (pre-commit gives the tool the files any of them admits)."""

    args: tuple[str, ...] = ()
    #: one per hook with the id (none: no hook, every file)
    files: tuple[HookFiles, ...] = ()
    #: ``additional_dependencies:``, what pre-commit installs beside the tool (flake8's plugins)
    dependencies: tuple[str, ...] = ()
    #: how many hooks with the id have other ``args:`` than the first (not passed on)
    other_args: int = 0
    #: the directory of the configuration file, to which pre-commit's paths (and so the filters) are relative
    where: Path | None = None

    def admits(self, root: Path, rel: str) -> bool:
        """Whether pre-commit would give one of the hooks ``rel`` (relative to ``root``, with ``/``)."""
        if not self.files:
            return True
        where = self.where or root
        name = rel if where == root else PurePath(os.path.relpath(root / rel, where)).as_posix()
        return any(files.admits(where, name) for files in self.files)

    def missing_dependencies(self, check: str) -> list[str]:
        """A warning for each of the hook's additional dependencies this Python lacks (or holds at another
        version than the hook pins): pre-commit's run would have it, so its findings would differ."""
        if not self.dependencies:
            return []  # the usual case: packaging's import (a tenth of a second) is not needed
        from importlib import metadata

        from packaging.requirements import InvalidRequirement, Requirement

        found = []
        where = f"from the additional_dependencies of its hook in {CONFIG}"
        for dependency in self.dependencies:
            try:
                requirement = Requirement(dependency)
            except InvalidRequirement:
                found.append(f"{check}: {dependency!r} {where} is not a requirement pip can install; fix it.")
                continue
            try:
                version = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                state = "is not installed"
            else:
                if requirement.specifier.contains(version, prereleases=True):
                    continue
                state = f"is installed at {version}"
            found.append(
                f"{check}: {dependency} {where} {state} beside {check} in {sys.executable}, so what it "
                f"adds (a plugin's findings) differs from pre-commit's run; install it there (pip install "
                f"'{dependency}')."
            )
        return found


def _identify() -> Any:
    """identify, pre-commit's own file classifier (installed with the gate's tools)."""
    try:
        from identify import identify
    except ImportError as exc:
        raise UserError(
            f"identify is not installed in {sys.executable} (a pre-commit hook filters by types); install "
            f"the quality gate's tools with '{sys.executable} -m pip install -r requirements/quality.txt'."
        ) from exc
    return identify


def _tags(path: str) -> frozenset[str]:
    """identify's tags of a file, as pre-commit classifies it (``file``, ``python``, ``symlink``, ...): read
    afresh each time (they depend on the file's mode and first line)."""
    try:
        return frozenset(_identify().tags_from_path(path))
    except ValueError:  # gone since it was found
        return frozenset()


def _regex(path: str, where: str, value: Any) -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(str(value))
    except re.error as exc:
        raise UserError(
            f"{path}: {where} is not a valid regular expression ({exc}); pre-commit reads it as a Python "
            "regex."
        ) from exc


def _tag_list(path: str, where: str, value: Any) -> frozenset[str]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise UserError(
            f"{path}: {where} must be a list of type tags (e.g. [python]), as pre-commit requires."
        )
    tags = frozenset(str(tag) for tag in value)
    unknown = sorted(tags - _identify().ALL_TAGS)
    if unknown:
        raise UserError(
            f"{path}: {where} type tag {unknown[0]!r} is not recognized (pre-commit refuses it too); use one "
            "of identify's tags, e.g. python, pyi, jupyter."
        )
    return tags


def _hook_files(path: str, top: dict[str, Any], hook: dict[str, Any]) -> HookFiles:
    include: list[re.Pattern[str]] = []
    exclude: list[re.Pattern[str]] = []
    written: list[str] = []
    for scope, data in (("top-level", top), (f"hook {hook.get('id')}", hook)):
        for key, into in (("files", include), ("exclude", exclude)):
            pattern = _regex(path, f"{scope} {key}:", data.get(key))
            if pattern is not None and pattern.pattern not in ("", "^$"):
                into.append(pattern)
                written.append(f"{'top-level ' if data is top else ''}{key}: {pattern.pattern}")
    tags = {
        key: _tag_list(path, f"hook {hook.get('id')} {key}:", hook.get(key))
        for key in ("types", "types_or", "exclude_types")
    }
    written += [f"{key}: [{', '.join(sorted(value))}]" for key, value in tags.items() if value]
    return HookFiles(
        tuple(include), tuple(exclude), tags["types"], tags["types_or"], tags["exclude_types"], tuple(written)
    )


#: check name -> (the executable or module its entry runs, the subcommand that follows it)
_ENTRY_COMMANDS = {"ruff": ("ruff", "check"), "ruff-format": ("ruff", "format")}


def _entry_args(check: str, entry: Any) -> list[str]:
    """The arguments after the tool in a ``repo: local`` hook's ``entry:`` (``black -l 79``,
    ``python -m ruff check --select E``, ``poetry run flake8 --max-line-length 79``): pre-commit runs
    entry + args + files, so they are the hook's settings as much as its ``args:`` are. An entry that
    names no such tool (a script of the team's) gives none."""
    if not isinstance(entry, str):
        return []
    try:
        words = shlex.split(entry)
    except ValueError:
        return []
    command, subcommand = _ENTRY_COMMANDS.get(check, (check, None))
    for i, word in enumerate(words):
        name = PurePath(word).name.removesuffix(".exe") if word != "-m" else ""
        if name == command or (word == "-m" and i + 1 < len(words) and words[i + 1] == command):
            rest = words[i + 1 :] if name == command else words[i + 2 :]
            if subcommand is not None:
                if not rest or rest[0] != subcommand:
                    return []  # ruff format in a ruff hook: another tool's settings
                rest = rest[1:]
            return rest
    return []


@functools.lru_cache(maxsize=32)
def _parse(path: str, content: bytes) -> dict[str, Hook]:
    """check name -> its hook (the first hook with that id)."""
    import yaml  # bandit's and pre-commit's own dependency: installed with the gate's tools

    try:
        data = yaml.safe_load(content.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(
            f"{path}: not valid YAML ({where}{problem}); fix the file so pre-commit can read it."
        ) from exc
    found: dict[str, Hook] = {}
    top = data if isinstance(data, dict) else {}
    repos = top.get("repos")
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            if not isinstance(hook, dict):
                continue
            check = HOOK_IDS.get(str(hook.get("id")))
            args = hook.get("args") or []
            dependencies = hook.get("additional_dependencies") or []
            if check is None or not isinstance(args, list):
                continue
            local = repo.get("repo") == "local"
            this = Hook(
                tuple([*(_entry_args(check, hook.get("entry")) if local else []), *map(str, args)]),
                (_hook_files(path, top, hook),),
                tuple(str(item) for item in dependencies) if isinstance(dependencies, list) else (),
            )
            first = found.get(check)
            found[check] = (
                this
                if first is None
                else replace(
                    first,
                    files=first.files + this.files,
                    dependencies=tuple(dict.fromkeys(first.dependencies + this.dependencies)),
                    other_args=first.other_args + (this.args != first.args),
                )
            )
    return found


def config_path(root: Path) -> Path:
    """The ``.pre-commit-config.yaml`` pre-commit reads for the files under ``root``: at the top of root's git
    work tree, where pre-commit runs (a submodule's own top for a submodule), else in ``root`` itself."""
    for directory in (root, *root.parents):
        if (directory / ".git").exists():
            return directory / CONFIG
    return root / CONFIG


def project_hook(path: Path, check: str) -> Hook:
    """The hook for ``check`` in the configuration file ``path`` (:func:`config_path`; an empty hook when
    there is none)."""
    try:
        content = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return Hook()
    return replace(_parse(str(path), content).get(check, Hook()), where=path.parent)


def hook_args(hook: Hook, check: str, options: Mapping[str, bool]) -> HookArgs:
    """The ``args:`` of the project's ``check`` hook; ``options`` maps each honoured option (long and short
    forms) to whether it takes a value."""
    args = hook.args
    honoured: list[str] = []
    ignored: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name = arg.split("=", 1)[0]
        takes_value = options.get(name)
        if takes_value is None:
            ignored.append(arg)
        elif takes_value and "=" not in arg:
            if i + 1 < len(args):
                honoured += [arg, args[i + 1]]
                i += 1
            else:
                ignored.append(arg)
        else:
            honoured.append(arg)
        i += 1
    notices = []
    if honoured or ignored:
        used = f"uses {' '.join(honoured)}" if honoured else "uses none of them"
        skipped = (
            f"; ignored {' '.join(ignored)} (not a setting the gate passes on: see docs/quality.md)"
            if ignored
            else ""
        )
        notices.append(f"{check}: from the args of its hook in {CONFIG}, the gate {used}{skipped}.")
    if any(files.written for files in hook.files):
        which = "its hook" if len(hook.files) == 1 else f"its {len(hook.files)} hooks"
        filters = " | ".join("; ".join(files.written) or "every file" for files in hook.files)
        notices.append(
            f"{check}: checks only the files {which} in {CONFIG} {'is' if len(hook.files) == 1 else 'are'} "
            f"given ({filters}), as pre-commit selects them."
        )
    if hook.other_args:
        notices.append(
            f"{check}: {hook.other_args} more hook(s) with its id in {CONFIG} have other args; the gate runs "
            "every file with the first hook's."
        )
    return HookArgs(tuple(honoured), tuple(ignored), tuple(notices))
