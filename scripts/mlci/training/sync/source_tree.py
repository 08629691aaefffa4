"""Which files of a source tree a sync considers, and which destination entries it must leave alone.

Paths are relative to the tree's root and use ``/`` (they become S3 keys as they are). The rules:

* ``.git`` (a directory, or a submodule's ``.git`` file) is always excluded, at any depth.
* ``--exclude GLOB`` (repeatable) matches a path or any of its parent directories with
  :func:`fnmatch.fnmatchcase`, where ``*`` also matches ``/``: ``*.pyc`` excludes every ``.pyc`` file,
  ``data`` or ``data/`` excludes the directory ``data`` at the top, ``*/__pycache__`` every ``__pycache__``.
* ``--respect-gitignore`` keeps only what git would commit: tracked files plus untracked files that no
  ``.gitignore`` rule ignores (``git ls-files --cached --others --exclude-standard``).

The same predicate protects destination entries from ``--delete``: an excluded path is never deleted.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from mlci.errors import UserError


@dataclass(frozen=True)
class SourceFile:
    """A file to sync: its path relative to the root (with ``/``), its absolute path and its size."""

    relpath: str
    path: str
    size: int


class Excluder:
    """Decides whether a relative path is excluded (``.git`` always, plus the ``--exclude`` globs)."""

    def __init__(self, patterns: Sequence[str] = ()) -> None:
        self.patterns = [p.strip().rstrip("/") for p in patterns if p.strip().rstrip("/")]

    def __call__(self, relpath: str) -> bool:
        parts = relpath.split("/")
        if ".git" in parts:
            return True
        prefixes = ("/".join(parts[: i + 1]) for i in range(len(parts)))
        return any(fnmatchcase(prefix, pattern) for prefix in prefixes for pattern in self.patterns)


def relative_posix(path: str, root: str) -> str:
    """``path`` relative to ``root``, with ``/`` separators."""
    return Path(os.path.relpath(path, root)).as_posix()


def _check_name(relpath: str, flag: str) -> None:
    try:
        relpath.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(
            f"{flag}: the file name {relpath.encode('utf-8', 'surrogateescape')!r} is not valid UTF-8, so it "
            "cannot become an S3 key; rename it or --exclude it."
        ) from None


def walk_files(root: str, excluded: Excluder, *, skip: Iterable[str] = ()) -> list[SourceFile]:
    """Every regular file under ``root`` (following file symlinks, not directory symlinks), minus exclusions.

    ``skip`` holds absolute directories not to descend into (a destination that lies inside the source).
    """
    skipped = {os.path.abspath(path) for path in skip}
    found: list[SourceFile] = []
    for directory, subdirs, names in os.walk(root):
        kept = []
        for name in sorted(subdirs):
            full = os.path.join(directory, name)
            if os.path.abspath(full) not in skipped and not excluded(relative_posix(full, root)):
                kept.append(name)
        subdirs[:] = kept
        for name in sorted(names):
            full = os.path.join(directory, name)
            relpath = relative_posix(full, root)
            if excluded(relpath) or not os.path.isfile(full):
                continue
            found.append(SourceFile(relpath=relpath, path=full, size=os.path.getsize(full)))
    return found


def _git(root: str, args: list[str], stdin: bytes | None = None) -> bytes:
    git = shutil.which("git")
    if git is None:
        raise UserError("--respect-gitignore needs git on PATH; install git or drop the flag.")
    # git with a fixed argument list, no shell
    result = subprocess.run(  # nosec B603
        [git, "-C", root, *args], input=stdin, capture_output=True, check=False
    )
    if result.returncode not in (0, 1):  # check-ignore exits 1 when nothing is ignored
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UserError(
            f"--respect-gitignore: SRC {root} is not inside a git work tree "
            f"({message[0] if message else 'git failed'}); run from a checkout or drop the flag."
        )
    return result.stdout


def git_visible_files(root: str) -> set[str]:
    """Paths (relative to ``root``) that git tracks or would add: what ``.gitignore`` does not ignore."""
    out = _git(root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    return {os.fsdecode(item) for item in out.split(b"\0") if item}


def git_ignored(root: str, relpaths: Sequence[str]) -> set[str]:
    """Which of ``relpaths`` (files that need not exist) a ``.gitignore`` rule ignores."""
    if not relpaths:
        return set()
    stdin = b"\0".join(os.fsencode(p) for p in relpaths) + b"\0"
    out = _git(root, ["check-ignore", "-z", "--stdin", "--no-index"], stdin=stdin)
    return {os.fsdecode(item) for item in out.split(b"\0") if item}


def scan(
    root: str, excluded: Excluder, *, respect_gitignore: bool = False, skip: Iterable[str] = ()
) -> list[SourceFile]:
    """The files to sync from ``root``, sorted by path; raise UserError for a name S3 cannot take."""
    files = walk_files(root, excluded, skip=skip)
    if respect_gitignore:
        visible = git_visible_files(root)
        files = [f for f in files if f.relpath in visible]
    for item in files:
        _check_name(item.relpath, "SRC")
    return files
