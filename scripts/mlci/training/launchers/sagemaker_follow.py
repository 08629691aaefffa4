"""Follow a SageMaker training job to its end: status transitions, logs, cancellation, a deadline.

The loop polls DescribeTrainingJob every ``poll_interval`` seconds and reports each change of
(TrainingJobStatus, SecondaryStatus) with the elapsed time. It ends when the job does (Completed, Failed,
Stopped), when ``cancel`` is set (the workflow was cancelled: SIGTERM/SIGINT) or when the deadline passes
(``--wait-timeout``, set below the GitHub job's own timeout). In the last two cases it asks SageMaker to
stop the job, so nothing keeps running (and billing) unattended.

The job's CloudWatch log streams (``/aws/sagemaker/TrainingJobs``, ``<job>/...``) are followed best effort:
streams appear only once instances run, and the workflow's role may lack ``logs:`` permissions. A missing
group or stream means "nothing yet"; access denied switches the follower off with one note, and the job is
still followed through DescribeTrainingJob.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlci.errors import UserError
from mlci.training import aws
from mlci.training.launchers.result import format_duration

log = logging.getLogger(__name__)

TERMINAL = ("Completed", "Failed", "Stopped")
LOG_GROUP = "/aws/sagemaker/TrainingJobs"


class LogFollower:
    """Returns the new lines of every stream of one job on each :meth:`poll`."""

    def __init__(self, client: Any, job_name: str) -> None:
        self.client = client
        self.prefix = f"{job_name}/"
        self.tokens: dict[str, str | None] = {}
        self.available = True

    def _streams(self) -> list[str]:
        names: list[str] = []
        kwargs: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamNamePrefix": self.prefix}
        while True:
            answer = self.client.describe_log_streams(**kwargs)
            names += [stream["logStreamName"] for stream in answer.get("logStreams", [])]
            if not answer.get("nextToken"):
                return sorted(names)
            kwargs["nextToken"] = answer["nextToken"]

    def _events(self, stream: str) -> list[str]:
        lines: list[str] = []
        while True:
            kwargs: dict[str, Any] = {
                "logGroupName": LOG_GROUP,
                "logStreamName": stream,
                "startFromHead": True,
            }
            if self.tokens.get(stream):
                kwargs["nextToken"] = self.tokens[stream]
            answer = self.client.get_log_events(**kwargs)
            lines += [event["message"].rstrip("\n") for event in answer.get("events", [])]
            token = answer.get("nextForwardToken")
            if not answer.get("events") or token is None or token == self.tokens.get(stream):
                self.tokens[stream] = token or self.tokens.get(stream)
                return lines
            self.tokens[stream] = token

    def poll(self) -> list[str]:
        """New log lines since the last call (prefixed with the host when the job has several streams)."""
        if not self.available:
            return []
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            streams = self._streams()
            several = len(streams) > 1
            lines: list[str] = []
            for stream in streams:
                host = stream[len(self.prefix) :]
                lines += [f"[{host}] {line}" if several else line for line in self._events(stream)]
            return lines
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "ResourceNotFoundException":
                return []
            self.available = False
            log.info("not streaming CloudWatch logs (%s); following the job's status only", code)
            return []
        except BotoCoreError as exc:
            self.available = False
            log.info("not streaming CloudWatch logs (%s); following the job's status only", exc)
            return []


@dataclass
class FollowOutcome:
    """The job's last description and why following ended: ``finished``, ``cancelled``, ``timeout`` or
    ``credentials-expired`` (the description is then the last one known)."""

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
    description: dict[str, Any] = {}
    while True:
        try:
            description = describe(client, name)
        except UserError as exc:
            if description and aws.error_code(exc.__cause__ or exc) in aws.EXPIRED_CREDENTIAL_CODES:
                return FollowOutcome(description, "credentials-expired")
            raise
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
