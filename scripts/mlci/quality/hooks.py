"""The ``args:`` of the project's pre-commit hooks (``.pre-commit-config.yaml`` in the project root).

Many teams keep their settings there (``black --line-length=79``), so the gate reuses the hook's arguments
that change a verdict the way a configuration file does; each tool module names those it honours
(``Linter.hook_options``). Anything else (``--fix``, ``--quiet``, file selection such as ``--exclude``, a
``--config`` file that would move the tool's configuration away from what the selection read) is ignored,
and the run says so in a notice. Hooks are found by id (black, isort, flake8, bandit, ruff or ruff-check,
ruff-format) whatever repository they come from.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

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


@functools.lru_cache(maxsize=32)
def _parse(path: str, content: bytes) -> dict[str, list[str]]:
    """check name -> the hook's ``args:`` (the first hook with that id)."""
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
    found: dict[str, list[str]] = {}
    repos = data.get("repos") if isinstance(data, dict) else None
    for repo in repos if isinstance(repos, list) else []:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        for hook in hooks if isinstance(hooks, list) else []:
            if not isinstance(hook, dict):
                continue
            check = HOOK_IDS.get(str(hook.get("id")))
            args = hook.get("args") or []
            if check is not None and check not in found and isinstance(args, list):
                found[check] = [str(arg) for arg in args]
    return found


def hook_args(root: Path, check: str, options: Mapping[str, bool]) -> HookArgs:
    """The ``args:`` of the project's ``check`` hook; ``options`` maps each honoured option (long and short
    forms) to whether it takes a value."""
    path = root / CONFIG
    try:
        content = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return HookArgs()
    args = _parse(str(path), content).get(check, [])
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
    return HookArgs(tuple(honoured), tuple(ignored), tuple(notices))
