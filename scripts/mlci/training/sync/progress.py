"""Progress of a transfer: files and bytes, logged at most every few seconds, and one final line."""

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
    """Thread-safe counters for files and bytes done, logged every ``interval`` seconds.

    Worker threads count; a line is formatted and logged under the lock, so lines come out in order. The
    caller ends every transfer with :meth:`finish` once its workers are joined: one final line, from the
    caller's thread, with the final counts (whether or not a periodic line was due).
    """

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
        self._finished = False

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

    def finish(self) -> None:
        """Log the final line (call once, from the caller's thread, after every worker has stopped)."""
        with self._lock:
            self._finished = True
            self._log(time.monotonic())

    def _maybe_log(self) -> None:  # the lock is held
        now = time.monotonic()
        if self._finished or now - self._last_log < self.interval:
            return
        self._last_log = now
        self._log(now)

    def _log(self, now: float) -> None:  # the lock is held
        done = max(self.bytes, 0)
        percent = 100.0 * done / self.total_bytes if self.total_bytes else 100.0
        log.info(
            "%s %d/%d files, %s/%s (%.0f%%), %.0f s",
            self.verb,
            self.files,
            self.total_files,
            human_bytes(done),
            human_bytes(self.total_bytes),
            percent,
            now - self._started,
        )
