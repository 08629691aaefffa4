"""One SageMaker training run: create (or attach), follow it to the end if asked, fetch the model if asked."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlci.training import aws
from mlci.training.cloudwatch_logs import LogFollower
from mlci.training.durations import format_duration
from mlci.training.follow_sagemaker import describe, follow
from mlci.training.job_metrics import DEFAULT_METRICS_FILE, final_metrics, read_output_archive
from mlci.training.launch_sagemaker import SageMakerJob, build_request, create_or_attach, validate
from mlci.training.prices import estimate
from mlci.training.train_result import LOG_TAIL_LINES, SUCCESS, TrainResult


@dataclass
class WaitOptions:
    """How to follow the job: ``wait=False`` returns once it is created."""

    wait: bool = True
    poll_interval: float = 30.0
    wait_timeout: float | None = None
    download_model: str | None = None
    #: The metrics file in output.tar.gz (None: metrics.json when there is one).
    metrics_file: str | None = None


def console_url(region: str, name: str) -> str:
    """The job's page in the AWS console."""
    return f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/jobs/{name}"


def _result_from(description: dict[str, Any], job: SageMakerJob, seconds: float) -> TrainResult:
    result = TrainResult(
        launcher="sagemaker",
        job_name=job.job_name,
        status=description.get("TrainingJobStatus", "Unknown"),
        job_arn=description.get("TrainingJobArn", ""),
        failure_reason=description.get("FailureReason", ""),
        model_artifacts=(description.get("ModelArtifacts") or {}).get("S3ModelArtifacts", ""),
        seconds=seconds,
    )
    resources = description.get("ResourceConfig") or {}
    count = resources.get("InstanceCount", job.instance_count)
    instance = resources.get("InstanceType", job.instance_type)
    billable = description.get("BillableTimeInSeconds")
    result.details = [
        ("secondary status", description.get("SecondaryStatus", "")),
        ("instance", f"{count} x {instance}"),
        ("spot", "yes" if description.get("EnableManagedSpotTraining", job.spot) else "no"),
    ]
    if billable is not None:
        result.details.append(("billable seconds", str(billable)))
    if job.region:
        result.details.append(("console", console_url(job.region, job.job_name)))
    result.metrics = final_metrics(description)
    result.cost = estimate(instance, count, billable)
    return result


def run_on_sagemaker(
    job: SageMakerJob,
    options: WaitOptions,
    *,
    cancel: threading.Event,
    on_status: Callable[[str], None],
    on_log: Callable[[str], None],
) -> TrainResult:
    """Create the job (or attach to the one of the same name) and follow it as ``options`` say."""
    started = time.monotonic()
    validate(job)  # before any client: bad flags fail fast, without credentials
    client = aws.client("sagemaker")
    job.region = job.region or client.meta.region_name or ""
    request = build_request(job)
    arn, attached = create_or_attach(client, request)
    tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)

    def keep(line: str) -> None:
        tail.append(line)
        on_log(line)

    if not options.wait:
        description = describe(client, job.job_name)
        result = _result_from(description, job, time.monotonic() - started)
        result.detached = True
    else:
        logs = LogFollower(aws.client("logs"), job.job_name)
        deadline = started + options.wait_timeout if options.wait_timeout else None
        outcome = follow(
            client,
            job.job_name,
            poll_interval=options.poll_interval,
            cancel=cancel,
            on_status=on_status,
            logs=logs,
            on_log=keep,
            deadline=deadline,
        )
        result = _result_from(outcome.description, job, time.monotonic() - started)
        if outcome.ended_by == "cancelled":
            result.failure_reason = (
                result.failure_reason or "the workflow was cancelled; mlci asked SageMaker to stop the job"
            )
        elif outcome.ended_by == "timeout":
            waited = format_duration(options.wait_timeout or 0)
            result.failure_reason = (
                f"not finished within --wait-timeout ({waited}); mlci asked SageMaker to stop the job"
            )
        if outcome.ended_by != "finished" and result.status == SUCCESS:
            result.failure_reason = ""  # it completed while being stopped: a success after all
    result.job_arn = result.job_arn or arn
    result.log_tail = list(tail)
    if attached:
        result.notes.append(
            f"a job named {job.job_name} already existed (a re-run): followed it instead of starting another"
        )
    if result.model_artifacts and not result.detached and result.status in (SUCCESS, "Failed"):
        name = options.metrics_file or DEFAULT_METRICS_FILE
        metrics, notes = read_output_archive(
            aws.client("s3"), result.model_artifacts, name, options.metrics_file is not None
        )
        result.metrics.update(metrics)
        result.notes += notes
    if result.ok and options.download_model and result.model_artifacts and not result.detached:
        from mlci.training.model_download import download_model

        result.model_dir = download_model(aws.client("s3"), result.model_artifacts, options.download_model)
    return result
