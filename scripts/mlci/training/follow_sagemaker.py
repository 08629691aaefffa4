"""Follow a SageMaker training job to its end: status transitions, logs, cancellation, a deadline.

The loop polls DescribeTrainingJob every ``poll_interval`` seconds and reports each change of
(TrainingJobStatus, SecondaryStatus) with the elapsed time. It ends when the job does (Completed, Failed,
Stopped), when ``cancel`` is set (the workflow was cancelled: SIGTERM/SIGINT) or when the deadline passes
(``--wait-timeout``, set below the GitHub job's own timeout). In the last two cases it asks SageMaker to
stop the job, so nothing keeps running (and billing) unattended.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlci.training import aws
from mlci.training.cloudwatch_logs import LogFollower
from mlci.training.durations import format_duration

log = logging.getLogger(__name__)

TERMINAL = ("Completed", "Failed", "Stopped")


@dataclass
class FollowOutcome:
    """The job's last description and why following ended: ``finished``, ``cancelled`` or ``timeout``."""

    description: dict[str, Any]
    ended_by: str


def describe(client: Any, name: str) -> dict[str, Any]:
    """DescribeTrainingJob, its errors translated."""
    try:
        return client.describe_training_job(TrainingJobName=name)
    except Exception as exc:
        aws.raise_translated(exc, f"training job {name}: DescribeTrainingJob")


def stop(client: Any, name: str) -> None:
    """Ask SageMaker to stop the job (a job that already ended is left as it is)."""
    try:
        client.stop_training_job(TrainingJobName=name)
        log.info("asked SageMaker to stop %s", name)
    except Exception as exc:  # it may have ended meanwhile, or the role may not allow stopping
        log.warning("could not stop %s: %s", name, exc)


def follow(
    client: Any,
    name: str,
    *,
    poll_interval: float,
    cancel: threading.Event,
    on_status: Callable[[str], None],
    logs: LogFollower | None = None,
    on_log: Callable[[str], None] = lambda line: None,
    deadline: float | None = None,
) -> FollowOutcome:
    """Poll until the job ends, ``cancel`` is set, or ``time.monotonic()`` passes ``deadline``."""
    started = time.monotonic()
    last: tuple[str, str] | None = None
    while True:
        description = describe(client, name)
        state = (description["TrainingJobStatus"], description.get("SecondaryStatus", ""))
        if state != last:
            transitions = description.get("SecondaryStatusTransitions") or [{}]
            message = transitions[-1].get("StatusMessage", "")
            on_status(
                f"[{format_duration(time.monotonic() - started)}] {state[0]} / {state[1]}"
                + (f": {message}" if message else "")
            )
            last = state
        for line in logs.poll() if logs else []:
            on_log(line)
        if state[0] in TERMINAL:
            return FollowOutcome(description, "finished")
        ended_by = (
            "cancelled" if cancel.is_set() else "timeout" if deadline and time.monotonic() >= deadline else ""
        )
        if ended_by:
            stop(client, name)
            return FollowOutcome(describe(client, name), ended_by)
        wait = (
            poll_interval if deadline is None else max(0.0, min(poll_interval, deadline - time.monotonic()))
        )
        cancel.wait(wait)
