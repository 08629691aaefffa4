"""Progress of a long transfer, logged (files and bytes) at most every few seconds; silent on short ones."""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


def human_bytes(count: float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(count) < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"  # pragma: no cover - the loop always returns


class Progress:
    """Thread-safe counters for files and bytes done, logged every ``interval`` seconds."""

    def __init__(self, verb: str, total_files: int, total_bytes: int, *, interval: float = 5.0) -> None:
        self.verb = verb
        self.total_files = total_files
        self.total_bytes = total_bytes
        self.interval = interval
        self.files = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last_log = self._started

    def add_bytes(self, count: int) -> None:
        """Count transferred bytes (negative when a retry rewinds a part)."""
        with self._lock:
            self.bytes += count
        self._maybe_log()

    def file_done(self) -> None:
        """Count one finished file (done or failed)."""
        with self._lock:
            self.files += 1
        self._maybe_log()

    def _maybe_log(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_log < self.interval:
                return
            self._last_log = now
            files, done = self.files, max(self.bytes, 0)
        percent = 100.0 * done / self.total_bytes if self.total_bytes else 100.0
        log.info(
            "%s %d/%d files, %s/%s (%.0f%%), %.0f s",
            self.verb,
            files,
            self.total_files,
            human_bytes(done),
            human_bytes(self.total_bytes),
            percent,
            now - self._started,
        )
