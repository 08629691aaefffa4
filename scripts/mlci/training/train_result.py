"""What a training run did: the result object ``mlci train`` renders (table, outputs, summary, report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUCCESS = "Completed"
#: Log lines kept for the summary of a failed job (both launchers).
LOG_TAIL_LINES = 40
#: Statuses that end a job without a model.
FAILURES = ("Failed", "Stopped")


@dataclass
class TrainResult:
    """One training job, local or on SageMaker."""

    launcher: str
    job_name: str
    status: str
    job_arn: str = ""
    failure_reason: str = ""
    model_artifacts: str = ""
    model_dir: str = ""
    seconds: float = 0.0
    log_tail: list[str] = field(default_factory=list)
    #: Extra rows for the summary table (instance type, secondary status, console link...).
    details: list[tuple[str, str]] = field(default_factory=list)
    #: Warnings worth a line of their own (e.g. "attached to an existing job").
    notes: list[str] = field(default_factory=list)
    #: True when mlci did not wait for the end (``--no-wait``): an InProgress job is then a success.
    detached: bool = False
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
        """The step outputs: job-name, job-arn, status, model-artifacts, model-dir, metrics (JSON)."""
        return {
            "job-name": self.job_name,
            "job-arn": self.job_arn,
            "status": self.status,
            "model-artifacts": self.model_artifacts,
            "model-dir": self.model_dir,
            "metrics": self.metrics,
        }

    def rows(self) -> list[tuple[str, str]]:
        """The summary table of the job."""
        from mlci.training.durations import format_duration

        rows = [("job", self.job_name), ("launcher", self.launcher), ("status", self.status)]
        rows += [("failure reason", self.failure_reason)] if self.failure_reason else []
        rows += [("duration", format_duration(self.seconds))]
        rows += [("model artifacts", self.model_artifacts)] if self.model_artifacts else []
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
            "cost": self.cost,
            "registered": self.registered,
            "details": dict(self.details),
            "notes": self.notes,
            "log_tail": self.log_tail,
        }
