"""GitHub's cancel of a running step, replayed on a real process: SIGINT; about 7.5 s later SIGTERM; about
2.5 s later the process tree is killed (for devtools.composite.run_cancelled)."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable


def like_the_runner(
    reached: threading.Event, after_sigint: Callable[[], None] = lambda: None
) -> Callable[[subprocess.Popen[str]], None]:
    """The cancel, once ``reached`` is set (a condition the test waits on, never a sleep); ``after_sigint``
    runs right after the first signal."""

    def cancel(process: subprocess.Popen[str]) -> None:
        assert reached.wait(120), "the step never got that far"
        process.send_signal(signal.SIGINT)
        after_sigint()
        for then, grace in ((signal.SIGTERM, 7.5), (signal.SIGKILL, 2.5)):
            try:
                process.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                process.send_signal(then)
        process.wait()

    return cancel
