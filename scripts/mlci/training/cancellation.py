"""Turn SIGTERM/SIGINT (a cancelled workflow: the runner sends SIGINT, then SIGTERM) into an Event.

While the context is active the launchers see the event, stop the job they run, and return a result, so the
summary and outputs are still written before the process ends.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

log = logging.getLogger(__name__)


@contextmanager
def cancel_on_signals() -> Iterator[threading.Event]:
    """Yield an Event set by SIGTERM or SIGINT (handlers restored on exit; a no-op off the main thread)."""
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        log.warning("received %s: stopping the training job", signal.Signals(signum).name)
        event.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield event
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
