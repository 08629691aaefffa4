"""Which files of a source tree a sync considers, and which destination entries it must leave alone.

Paths are relative to the tree's root and use ``/`` (they become S3 keys as they are). The rules:

* ``.git`` (a directory, or a submodule's ``.git`` file) is always excluded, at any depth.
* ``--exclude GLOB`` (repeatable) matches a path or any of its parent directories with
  :func:`fnmatch.fnmatchcase`, where ``*`` also matches ``/``: ``*.pyc`` excludes every ``.pyc`` file,
  ``data`` or ``data/`` excludes the directory ``data`` at the top, ``*/__pycache__`` every ``__pycache__``.
* Symbolic links are followed as ``aws s3 sync`` does, but never out of the tree (or into ``.git``): such a
  link is refused, naming it; a broken link is skipped with a warning.
* ``--respect-gitignore`` keeps only what git would commit: tracked files plus untracked files that no
  ``.gitignore`` rule ignores (``git ls-files --cached --others --exclude-standard``).

The same predicate protects destination entries from ``--delete``: an excluded path is never deleted.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess  # nosec B404
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from mlci.errors import UserError
from mlci.training.path_safety import is_within

log = logging.getLogger(__name__)


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


def _link_target(full: str, relpath: str, real_root: str, excluded: Excluder) -> str | None:
    """Where the link ``full`` leads (resolved); None for a broken link; UserError when out of bounds."""
    if not os.path.exists(full):
        log.warning("SRC: skipping %s: broken symbolic link (to %s)", relpath, os.readlink(full))
        return None
    target = os.path.realpath(full)
    if not is_within(target, real_root):
        raise UserError(
            f"SRC: {relpath} is a symbolic link to {os.readlink(full)}, outside SRC; mlci never follows a "
            "link out of the source: remove the link or --exclude it."
        )
    if target != real_root and excluded(relative_posix(target, real_root)):
        raise UserError(
            f"SRC: {relpath} is a symbolic link into {relative_posix(target, real_root)}, which the sync "
            "excludes (.git or --exclude): remove the link or --exclude it too."
        )
    return target


def _loops_back(directory: str, root: str, target: str) -> bool:
    """True when ``target`` is ``directory`` or one of its parents up to ``root`` (walking it never ends)."""
    parts = Path(os.path.relpath(directory, root)).parts
    ancestors = {os.path.realpath(os.path.join(root, *parts[:depth])) for depth in range(len(parts) + 1)}
    return target in ancestors


def walk_files(root: str, excluded: Excluder, *, follow_links: bool = False) -> list[SourceFile]:
    """Every regular file under ``root``, minus exclusions, sorted by directory then name.

    With ``follow_links`` (a source tree), symbolic links are followed as ``aws s3 sync`` does, within
    bounds: a link out of ``root`` or into an excluded path is a UserError naming it; a broken link and a
    directory link back up its own path are skipped with a warning. Without it (a destination), links are
    left alone.
    """
    real_root = os.path.realpath(root)
    found: list[SourceFile] = []
    for directory, subdirs, names in os.walk(root, followlinks=follow_links):
        kept = []
        for name in sorted(subdirs):
            full = os.path.join(directory, name)
            relpath = relative_posix(full, root)
            if excluded(relpath) or (os.path.islink(full) and not follow_links):
                continue
            if os.path.islink(full):
                target = _link_target(full, relpath, real_root, excluded)
                if target is None:
                    continue
                if _loops_back(directory, root, target):
                    log.warning("SRC: skipping %s: a directory link back up its own path", relpath)
                    continue
            kept.append(name)
        subdirs[:] = kept
        for name in sorted(names):
            full = os.path.join(directory, name)
            relpath = relative_posix(full, root)
            if excluded(relpath) or (os.path.islink(full) and not follow_links):
                continue
            if os.path.islink(full) and _link_target(full, relpath, real_root, excluded) is None:
                continue
            if os.path.isfile(full):
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


def scan(root: str, excluded: Excluder, *, respect_gitignore: bool = False) -> list[SourceFile]:
    """The files to sync from ``root`` (links followed within it); UserError for a name S3 cannot take."""
    files = walk_files(root, excluded, follow_links=True)
    if respect_gitignore:
        visible = git_visible_files(root)
        files = [f for f in files if f.relpath in visible]
    for item in files:
        _check_name(item.relpath, "SRC")
    return files
