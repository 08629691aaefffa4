"""Follow a SageMaker training job's CloudWatch log streams (``/aws/sagemaker/TrainingJobs``, ``<job>/...``).

Best effort: streams appear only once instances run, and the workflow's role may lack ``logs:`` permissions.
A missing group or stream means "nothing yet"; access denied switches the follower off with one note, and
the job is still followed through DescribeTrainingJob.
"""

from __future__ import annotations

import logging
from typing import Any

LOG_GROUP = "/aws/sagemaker/TrainingJobs"

log = logging.getLogger(__name__)


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
