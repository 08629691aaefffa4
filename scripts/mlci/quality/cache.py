"""The content-hash cache of per-file lint results.

An entry's key is the sha256 of the tool's name and fingerprint (its version, its plugins' versions, the
Python version, and a digest of mlci's own quality code, so a parser fix reaches every cached file), the
digest of the configuration it reads, the file's path in the project, and the file's content. mtime plays no
part: a fresh checkout changes every mtime and nothing else. An entry holds the file's findings (possibly
none). Entries live under ``$XDG_CACHE_HOME/mlci/quality/<tool>/`` (default ``~/.cache/mlci``), one small
JSON file each, written atomically, so parallel runs and a cache restored from another branch are safe: a
foreign entry can only ever be found under the exact inputs that produced it.

A tool whose file selection runs the tool itself (ruff's walk) has its selection cached the same way, under
``<tool>.selection/``, keyed by the candidates' names and everything the walk reads, so an unchanged run
starts no process of it.

A hit refreshes the entry's mtime; at most once a day, entries unused for 30 days are deleted, so a cache
carried from run to run (the action's ``cache`` input) does not grow without end.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from mlci.files import atomic_write

log = logging.getLogger(__name__)

SCHEMA = 1
MAX_AGE_DAYS = 30
PRUNE_EVERY_SECONDS = 24 * 3600


def cache_home() -> Path:
    """``$XDG_CACHE_HOME/mlci`` (when absolute, as the XDG spec says), else ``~/.cache/mlci``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "mlci"


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.cache
def mlci_digest() -> str:
    """sha256 of the source of ``mlci.quality`` (the parsers and selections that shape every entry)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(f"\0{path.relative_to(package).as_posix()}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def tool_fingerprints(tools: dict[str, tuple[str, Iterable[str]]]) -> dict[str, str]:
    """Per tool (name -> its distribution, its plugins' entry point groups): a digest of its version, the
    versions of the distributions that plug into it, Python's version and mlci's quality code."""
    every = metadata.entry_points()
    versions: dict[int, str] = {}  # one metadata parse per distribution, however many plugins it has

    def dist_of(ep: metadata.EntryPoint) -> str:
        dist = ep.dist
        if dist is None:
            return "?"
        if id(dist) not in versions:
            versions[id(dist)] = f"{dist.name}=={dist.version}"
        return versions[id(dist)]

    fingerprints = {}
    for tool, (distribution, groups) in tools.items():
        parts = [tool, f"{distribution}=={metadata.version(distribution)}", sys.version, mlci_digest()]
        for group in sorted(set(groups)):
            parts += sorted(f"{group}:{ep.name}={ep.value}@{dist_of(ep)}" for ep in every.select(group=group))
        fingerprints[tool] = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return fingerprints


def entry_key(tool: str, fingerprint: str, config: str, rel: str, content: str) -> str:
    return hashlib.sha256(
        "\0".join((str(SCHEMA), tool, fingerprint, config, rel, content)).encode()
    ).hexdigest()


class ResultCache:
    """Per-file results of one tool, addressed by :func:`entry_key`; ``enabled=False`` stores nothing."""

    def __init__(self, tool: str, *, enabled: bool = True, home: Path | None = None) -> None:
        self.directory = (home or cache_home()) / "quality" / tool
        self.enabled = enabled
        self._warned = False

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[Any] | None:
        """The stored findings (or a cached selection's names), or None when there is no (readable) entry."""
        if not self.enabled:
            return None
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            os.utime(path)  # in use: kept by prune()
        except (OSError, ValueError):
            return None
        findings = data.get("findings") if isinstance(data, dict) else None
        return findings if isinstance(findings, list) else None

    def put(self, key: str, findings: list[Any]) -> None:
        """Store an entry atomically; a cache that cannot be written is a warning, never a failure."""
        if not self.enabled:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(path, prefix=".entry.") as handle:
                # dumps, not dump: only the one-shot encoder is json's C encoder (thousands of findings)
                handle.write(json.dumps({"findings": findings}, separators=(",", ":")))
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write the cache in %s (%s); results are not cached", self.directory, exc)
                self._warned = True


def prune(home: Path | None = None, *, now: float | None = None) -> int:
    """Delete entries unused for MAX_AGE_DAYS, at most once per PRUNE_EVERY_SECONDS; how many went."""
    base = (home or cache_home()) / "quality"
    marker = base / ".pruned"
    now = time.time() if now is None else now
    try:
        if now - marker.stat().st_mtime < PRUNE_EVERY_SECONDS:
            return 0
    except FileNotFoundError:
        pass
    except OSError:
        return 0
    cutoff = now - MAX_AGE_DAYS * 24 * 3600
    removed = 0
    for entry in base.glob("*/*/*.json"):
        try:
            if entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed += 1
        except OSError:
            continue
    try:
        base.mkdir(parents=True, exist_ok=True)
        marker.touch()
        os.utime(marker, (now, now))
    except OSError:
        pass
    if removed:
        log.info("removed %d cache entries unused for %d days from %s", removed, MAX_AGE_DAYS, base)
    return removed
