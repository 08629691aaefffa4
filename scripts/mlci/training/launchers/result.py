"""What a training run did: the result object ``mlci train`` renders (table, outputs, summary, report).

Also the durations both launchers read and print (``3600``, ``90s``, ``45m``, ``2h``, ``1h30m``, ``1d``).
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from typing import Any

SUCCESS = "Completed"
#: Log lines kept for the summary of a failed job (both launchers), each cut to LOG_LINE_CHARS characters:
#: GitHub refuses a job summary above 1 MiB, and one huge line (a DataFrame in a traceback) would be above.
LOG_TAIL_LINES = 40
LOG_LINE_CHARS = 4000
#: Statuses that end a job without a model.
FAILURES = ("Failed", "Stopped")

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def tail_line(line: str) -> str:
    """A log line as the tail keeps it: at most LOG_LINE_CHARS characters, saying how many were cut."""
    if len(line) <= LOG_LINE_CHARS:
        return line
    return f"{line[:LOG_LINE_CHARS]}… ({len(line) - LOG_LINE_CHARS} more characters)"


def parse_duration(text: str) -> float:
    """Seconds in ``text``; a bare number is seconds (an argparse ``type=``)."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        parts = _PART.findall(value)
        if not parts or "".join(n + u for n, u in parts) != value.replace(" ", ""):
            raise argparse.ArgumentTypeError(
                f"expected a duration such as 3600, 90s, 45m, 2h or 1h30m, got {text!r}"
            ) from None
        seconds = sum(float(number) * _UNIT[unit] for number, unit in parts)
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected a duration greater than 0, got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """``3725`` -> ``'1h 2m 5s'``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs or not seconds else "",
    ]
    return " ".join(part for part in parts if part)


@dataclass
class TrainResult:
    """One training job, whichever launcher ran it."""

    launcher: str
    job_name: str
    status: str
    job_arn: str = ""
    failure_reason: str = ""
    #: Where the model is: the S3 URI of model.tar.gz, or a directory on this machine.
    model_artifacts: str = ""
    #: The model directory on this machine (local, or a downloaded SageMaker model), else empty.
    model_dir: str = ""
    #: Where the job's output data landed (SM_OUTPUT_DATA_DIR's contents: metrics.json, ...).
    output_data: str = ""
    seconds: float = 0.0
    #: Seconds the provider bills for (SageMaker's BillableTimeInSeconds; None when unknown or not billed).
    billable_seconds: int | None = None
    instance_type: str = ""
    instance_count: int = 1
    log_tail: list[str] = field(default_factory=list)
    #: Extra rows for the summary table (secondary status, console link...).
    details: list[tuple[str, str]] = field(default_factory=list)
    #: Warnings worth a line of their own (e.g. "attached to an existing job").
    notes: list[str] = field(default_factory=list)
    #: True when mlci did not wait for the end (``--no-wait``): an InProgress job is then a success.
    detached: bool = False
    #: True when the workflow was cancelled (SIGINT/SIGTERM) while the job ran, or after it ended but before
    #: ``--register`` completed: exit 130.
    cancelled: bool = False
    #: What a cancel after the job's end left (the registration not done, or rolled back), for the summary.
    cancel_reason: str = ""
    #: What the job reported: its metrics file and its metric definitions (mlci.training.job_metrics).
    metrics: dict[str, float] = field(default_factory=dict)
    #: The estimated cost (mlci.training.prices.estimate), when the instance type's price is known.
    cost: dict[str, Any] | None = None
    #: The MLflow registration of ``--register`` (mlci.loop.register), when there was one.
    registered: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS or (self.detached and self.status not in FAILURES)

    def outputs(self) -> dict[str, Any]:
        """The step outputs: job-name, job-arn, status, model-artifacts, model-dir, output-data, metrics
        (JSON)."""
        return {
            "job-name": self.job_name,
            "job-arn": self.job_arn,
            "status": self.status,
            "model-artifacts": self.model_artifacts,
            "model-dir": self.model_dir,
            "output-data": self.output_data,
            "metrics": self.metrics,
        }

    def rows(self) -> list[tuple[str, str]]:
        """The summary table of the job."""
        rows = [("job", self.job_name), ("launcher", self.launcher), ("status", self.status)]
        rows += [("failure reason", self.failure_reason)] if self.failure_reason else []
        rows += [("cancelled", self.cancel_reason)] if self.cancel_reason else []
        rows += [("duration", format_duration(self.seconds))]
        rows += [("instance", f"{self.instance_count} x {self.instance_type}")] if self.instance_type else []
        rows += (
            [("billable seconds", str(self.billable_seconds))] if self.billable_seconds is not None else []
        )
        rows += [("model artifacts", self.model_artifacts)] if self.model_artifacts else []
        rows += [("output data", self.output_data)] if self.output_data else []
        rows += [("job ARN", self.job_arn)] if self.job_arn else []
        rows += [(f"metric {name}", f"{value:.6g}") for name, value in self.metrics.items()]
        rows += [("estimated cost", f"${self.cost['usd']:.4f} ({self.cost['basis']})")] if self.cost else []
        return rows + self.details

    def to_json(self) -> dict[str, Any]:
        """The ``--report`` document."""
        return {
            "ok": self.ok,
            **{key.replace("-", "_"): value for key, value in self.outputs().items()},
            "launcher": self.launcher,
            "failure_reason": self.failure_reason,
            "seconds": round(self.seconds, 3),
            "billable_seconds": self.billable_seconds,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "cancelled": self.cancelled,
            "cancel_reason": self.cancel_reason,
            "cost": self.cost,
            "registered": self.registered,
            "details": dict(self.details),
            "notes": self.notes,
            "log_tail": self.log_tail,
        }
