"""Reading the project's configuration files, and the digest of what each tool reads (a cache key part).

The digest covers every file a tool could read its configuration from, in the project root and (for tools
that search upwards) in every directory above it, so a cached result can only be served under the
configuration that produced it. pyproject.toml contributes only the tables the tool reads, so editing
``[tool.black]`` re-checks nothing for flake8.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from mlci.errors import UserError


def load_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML file, or {} when it does not exist."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML ({exc}); fix the file so the tools can read it.") from exc


def toml_table(data: dict[str, Any], dotted: str) -> Any:
    """``data["tool"]["black"]`` for ``tool.black``; None when any part is missing."""
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def read_ini(path: Path) -> configparser.RawConfigParser:
    """The parsed INI file (empty when missing or unreadable, as the tools themselves treat it)."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return configparser.RawConfigParser()
    return parser


def config_digest(
    root: Path,
    *,
    files: Sequence[str],
    pyproject_tables: Sequence[str],
    search_parents: bool,
    extra: Iterable[str] = (),
) -> str:
    """sha256 of the named config files' contents (and the named pyproject.toml tables) in ``root``
    (and its parents when ``search_parents``), plus ``extra`` text."""
    digest = hashlib.sha256()
    directories = [root, *root.parents] if search_parents else [root]
    for level, directory in enumerate(directories):
        for name in files:
            try:
                content = (directory / name).read_bytes()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                continue
            digest.update(f"\0{level}/{name}\0".encode() + content)
        pyproject = directory / "pyproject.toml"
        if pyproject_tables and pyproject.is_file():
            data = load_toml(pyproject)
            tables = {name: toml_table(data, name) for name in pyproject_tables}
            digest.update(
                f"\0{level}/pyproject.toml\0".encode() + json.dumps(tables, sort_keys=True).encode()
            )
    for text in extra:
        digest.update(b"\0extra\0" + text.encode())
    return digest.hexdigest()


#: The ignore files of a walker that follows git's rules (ripgrep's ``ignore`` crate, which ruff uses).
IGNORE_FILES = (".gitignore", ".ignore")
_EXCLUDES_FILE = re.compile(r"^\s*excludesfile\s*=\s*(?P<path>.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def ignore_digest(root: Path, listed: Iterable[str]) -> str:
    """sha256 of every ignore file a git-style walk of the project reads: ``.gitignore`` and ``.ignore`` in
    ``root`` and each directory above it, those ``listed`` below it (relative to ``root``), each
    ``.git/info/exclude`` on the way up, and git's global excludes file (``core.excludesFile`` in the
    user's git configuration, else ``$XDG_CONFIG_HOME/git/ignore``) with the configuration naming it."""
    digest = hashlib.sha256()

    def add(label: str, path: Path) -> None:
        try:
            digest.update(f"\0{label}\0".encode() + path.read_bytes())
        except OSError:  # missing, a directory, unreadable: git reads nothing there either
            pass

    for level, directory in enumerate([root, *root.parents]):
        for name in IGNORE_FILES:
            add(f"{level}/{name}", directory / name)
        add(f"{level}/.git/info/exclude", directory / ".git" / "info" / "exclude")
    for rel in sorted(listed):
        if rel.rsplit("/", 1)[-1] in IGNORE_FILES:
            add(rel, root / rel)
    xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    configs = [Path(os.path.expanduser("~/.gitconfig")), Path(xdg, "git", "config")]
    excludes = [Path(xdg, "git", "ignore")]
    for config in configs:
        add(str(config), config)
        try:
            text = config.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        excludes += [Path(os.path.expanduser(m["path"].strip('"'))) for m in _EXCLUDES_FILE.finditer(text)]
    for path in excludes:
        add(str(path), path)
    return digest.hexdigest()
