"""The SageMaker launcher: create (or attach to) a training job, follow it if asked, fetch the model if asked.

The request itself is built and checked in :mod:`~mlci.training.launchers.sagemaker_request`; following it
(status, CloudWatch logs, cancellation, deadline) in :mod:`~mlci.training.launchers.sagemaker_follow`.

Before following, the wait is checked against the lifetime of the AWS credentials where botocore knows it
(temporary credentials with an expiry, e.g. ``AWS_CREDENTIAL_EXPIRATION``): a wait that cannot fit is exit 2
with the fix. Credentials that run out while following anyway end the follow with the job's last known
status, its console link and the command that stops it (exit 1: the job is not known to have succeeded).
"""

from __future__ import annotations

import argparse
import os
import tarfile
import tempfile
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any

from mlci.errors import UserError
from mlci.options import csv_list, non_negative_float, positive_int
from mlci.training.job_metrics import DEFAULT_METRICS_FILE, final_metrics, read_output_archive
from mlci.training.launchers import Hooks, TrainSpec
from mlci.training.launchers.result import (
    LOG_TAIL_LINES,
    SUCCESS,
    TrainResult,
    format_duration,
    parse_duration,
    tail_line,
)
from mlci.training.prices import estimate

#: Kept free between the end of the wait and the end of the credentials (the summary still has to be written).
CREDENTIAL_MARGIN_SECONDS = 300


def console_url(region: str, name: str) -> str:
    """The job's page in the AWS console."""
    return f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}#/jobs/{name}"


def stop_command(name: str) -> str:
    """The AWS CLI command that stops the job."""
    return f"aws sagemaker stop-training-job --training-job-name {name}"


def credential_expiry() -> datetime | None:
    """When the AWS credentials botocore would use expire, where that is known (temporary credentials)."""
    import boto3

    try:
        credentials = boto3.session.Session().get_credentials()
    except Exception:  # a broken set-up is reported by the first call, with its own message
        return None
    expiry = getattr(credentials, "_expiry_time", None)
    if isinstance(expiry, datetime):
        return expiry if expiry.tzinfo else expiry.replace(tzinfo=timezone.utc)
    return None


def check_wait_fits_credentials(wait_seconds: float, now: datetime | None = None) -> None:
    """UserError when the credentials run out before ``wait_seconds`` (plus a margin) have passed."""
    expiry = credential_expiry()
    if expiry is None:
        return
    left = (expiry - (now or datetime.now(timezone.utc))).total_seconds()
    needed = wait_seconds + CREDENTIAL_MARGIN_SECONDS
    if left < needed:
        raise UserError(
            f"--wait-timeout {format_duration(wait_seconds)}: the AWS credentials expire in "
            f"{format_duration(max(left, 0))}, before the wait ends; get credentials that last at least "
            f"{int(needed)} s (configure-aws-credentials' role-duration-seconds, within the role's "
            "MaxSessionDuration) or shorten --wait-timeout."
        )


def download_model(client: Any, uri: str, directory: str) -> str:
    """Download ``uri`` (an ``s3://.../model.tar.gz``), extract it into ``directory``; return the directory.

    Extraction uses tarfile's ``data`` filter: no absolute paths, no ``..``, no links out of the directory,
    no device files.
    """
    from mlci.training import aws
    from mlci.training.s3uri import S3Location

    location = S3Location.parse(uri, "model artifacts")
    os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mlci-model-") as tmp:
        archive = os.path.join(tmp, "model.tar.gz")
        try:
            client.download_file(location.bucket, location.prefix, archive)
        except Exception as exc:
            aws.raise_translated(exc, f"--download-model: model artifacts {uri}")
        try:
            with tarfile.open(archive, "r:*") as tar:
                tar.extractall(directory, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise UserError(f"--download-model: {uri} is not a readable model archive ({exc}).") from exc
    return os.path.abspath(directory)


def _result_from(description: dict[str, Any], name: str, region: str, seconds: float) -> TrainResult:
    resources = description.get("ResourceConfig") or {}
    result = TrainResult(
        launcher="sagemaker",
        job_name=name,
        status=description.get("TrainingJobStatus", "Unknown"),
        job_arn=description.get("TrainingJobArn", ""),
        failure_reason=description.get("FailureReason", ""),
        model_artifacts=(description.get("ModelArtifacts") or {}).get("S3ModelArtifacts", ""),
        seconds=seconds,
        billable_seconds=description.get("BillableTimeInSeconds"),
        instance_type=resources.get("InstanceType", ""),
        instance_count=int(resources.get("InstanceCount", 1)),
    )
    output = (description.get("OutputDataConfig") or {}).get("S3OutputPath", "")
    if output:  # where SageMaker puts SM_OUTPUT_DATA_DIR's contents
        result.output_data = f"{output.rstrip('/')}/{name}/output/output.tar.gz"
    result.details = [
        ("secondary status", description.get("SecondaryStatus", "")),
        ("spot", "yes" if description.get("EnableManagedSpotTraining") else "no"),
    ]
    if region:
        result.details.append(("console", console_url(region, name)))
    result.metrics = final_metrics(description)
    result.cost = estimate(result.instance_type, result.instance_count, result.billable_seconds)
    return result


def _distribution(text: str | None) -> dict[str, Any]:
    from mlci.training.launchers.mappings import load_mapping

    if text and text.strip().isidentifier():
        return {text.strip(): {"enabled": True}}
    return load_mapping("--distribution", text)


class SageMakerLauncher:
    """Train as a SageMaker training job."""

    name = "sagemaker"

    def add_arguments(self, group: argparse._ArgumentGroup) -> None:
        group.add_argument("--image-uri", metavar="URI", help="The training image (ECR URI). Required.")
        group.add_argument("--role-arn", metavar="ARN", help="The SageMaker execution role. Required.")
        group.add_argument(
            "--instance-type",
            default="ml.m5.large",
            metavar="TYPE",
            help="The training instance type. Default: ml.m5.large.",
        )
        group.add_argument(
            "--allowed-instance-types",
            type=csv_list,
            default=[],
            metavar="LIST",
            help="Refuse any --instance-type not in this comma-separated list. Default: no restriction.",
        )
        group.add_argument(
            "--volume-size",
            type=positive_int,
            default=30,
            metavar="GB",
            help="EBS volume per instance. Default: 30.",
        )
        group.add_argument(
            "--spot",
            action="store_true",
            help="Use managed spot training, with checkpoints synced to --checkpoint-s3-uri. Default: off.",
        )
        group.add_argument(
            "--max-wait",
            type=parse_duration,
            metavar="DURATION",
            help="With --spot: the longest wait for spot capacity plus training. Default: twice "
            "--max-runtime.",
        )
        group.add_argument(
            "--checkpoint-s3-uri",
            metavar="S3_URI",
            help="With --spot: where /opt/ml/checkpoints is synced. Default: "
            "<output>/<job-name>/checkpoints.",
        )
        group.add_argument(
            "--tag",
            metavar="KEY=VALUE",
            action="append",
            default=[],
            help="An extra tag on the job (repository, PR, SHA, run and fingerprint are always tagged). "
            "Repeatable.",
        )
        group.add_argument(
            "--distribution",
            metavar="NAME_OR_YAML",
            help="Distributed training as the SageMaker Python SDK's distribution=: a strategy name "
            "(torch_distributed, pytorchddp, mpi, smdistributed, parameter_server) or its mapping, e.g. "
            "'mpi: {enabled: true, processes_per_host: 4}'. Default: none (each instance runs the whole "
            "script).",
        )
        group.add_argument(
            "--sharded-channel",
            metavar="NAME",
            action="append",
            default=[],
            help="Give each instance a shard of this --channel (S3DataDistributionType ShardedByS3Key) "
            "instead of a full copy. Repeatable. Default: none.",
        )
        group.add_argument(
            "--wait",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="Follow the job to its end (--no-wait: return once it is created). Default: wait.",
        )
        group.add_argument(
            "--poll-interval",
            type=non_negative_float,
            default=30.0,
            metavar="SECONDS",
            help="How often to poll DescribeTrainingJob. Default: 30.",
        )

    def _job(self, spec: TrainSpec, args: argparse.Namespace) -> Any:
        from mlci.training.launchers.mappings import pairs
        from mlci.training.launchers.sagemaker_request import SageMakerJob

        if not spec.output:
            raise UserError(
                "--output: required for the sagemaker launcher (the S3 path for model artifacts)."
            )
        return SageMakerJob(
            job_name=spec.job_name,
            image_uri=args.image_uri or "",
            role_arn=args.role_arn or "",
            output=spec.output,
            instance_type=args.instance_type,
            instance_count=spec.instance_count,
            volume_size=args.volume_size,
            max_runtime=int(spec.max_runtime),
            code=spec.code,
            entry_point=spec.entry_point,
            hyperparameters=spec.hyperparameters,
            environment=spec.environment,
            channels=spec.channels,
            tags=spec.context.tags() + list(pairs("--tag", args.tag).items()),
            spot=args.spot,
            max_wait=int(args.max_wait) if args.max_wait else None,
            checkpoint_s3_uri=args.checkpoint_s3_uri,
            allowed_instance_types=args.allowed_instance_types,
            metric_definitions=spec.metric_definitions,
            distribution=_distribution(args.distribution),
            sharded_channels=args.sharded_channel,
        )

    def launch(self, spec: TrainSpec, args: argparse.Namespace, hooks: Hooks) -> TrainResult:
        """Create the job (or attach to this step's own) and follow it as the flags say."""
        from mlci.training import aws
        from mlci.training.launchers.sagemaker_follow import LogFollower, describe, follow
        from mlci.training.launchers.sagemaker_request import create_or_attach, validate

        started = time.monotonic()
        job = self._job(spec, args)
        validate(job)  # before any client: bad flags fail fast, without credentials
        if args.wait:
            check_wait_fits_credentials(spec.wait_timeout or job.max_runtime + (job.max_wait or 0))
        client = aws.client("sagemaker")
        job.region = job.region or client.meta.region_name or ""
        marks: list[str] = []

        def record(name: str, mark: str) -> None:
            marks[:] = [mark]
            hooks.on_launched(
                {"launcher": self.name, "job-name": name, "region": job.region, "fingerprint": mark}
            )

        arn, attached, notes = create_or_attach(client, job, record)
        if job.instance_count > 1 and not job.distribution:
            notes.append(
                f"{job.instance_count} instances and no --distribution: each one runs the whole script on "
                "all the data (and is billed); set --distribution (e.g. torch_distributed), or one instance"
            )
        record(job.job_name, marks[0] if marks else "")  # the name finally used (an attached job's too)
        tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)

        def keep(line: str) -> None:
            tail.append(tail_line(line))
            hooks.on_log(line)

        if not args.wait:
            result = _result_from(
                describe(client, job.job_name), job.job_name, job.region, time.monotonic() - started
            )
            result.detached = True
        else:
            deadline = started + spec.wait_timeout if spec.wait_timeout else None
            outcome = follow(
                client,
                job.job_name,
                poll_interval=args.poll_interval,
                cancel=hooks.cancel,
                on_status=hooks.on_status,
                logs=LogFollower(aws.client("logs"), job.job_name),
                on_log=keep,
                deadline=deadline,
            )
            result = _result_from(outcome.description, job.job_name, job.region, time.monotonic() - started)
            self._explain(result, outcome.ended_by, spec.wait_timeout)
        result.job_arn = result.job_arn or arn
        result.log_tail = list(tail)
        result.notes += notes
        result.cancelled = hooks.cancel.is_set()
        if result.model_artifacts and not result.detached and result.status in (SUCCESS, "Failed"):
            name = spec.metrics_file or DEFAULT_METRICS_FILE
            metrics, metric_notes = read_output_archive(
                aws.client("s3"), result.model_artifacts, name, spec.metrics_file is not None
            )
            result.metrics.update(metrics)
            result.notes += metric_notes
        if result.ok and spec.download_model and result.model_artifacts and not result.detached:
            result.model_dir = download_model(aws.client("s3"), result.model_artifacts, spec.download_model)
        return result

    @staticmethod
    def _explain(result: TrainResult, ended_by: str, wait_timeout: float | None) -> None:
        if ended_by == "cancelled":
            result.failure_reason = (
                result.failure_reason or "the workflow was cancelled; mlci asked SageMaker to stop the job"
            )
        elif ended_by == "timeout":
            waited = format_duration(wait_timeout or 0)
            result.failure_reason = (
                f"not finished within --wait-timeout ({waited}); mlci asked SageMaker to stop the job"
            )
        elif ended_by == "credentials-expired":
            result.failure_reason = (
                f"the AWS credentials expired while following the job (last known status {result.status}); "
                f"it may still be running: stop it with `{stop_command(result.job_name)}`"
            )
            result.details.append(("stop it", stop_command(result.job_name)))
        if ended_by != "finished" and result.status == SUCCESS:
            result.failure_reason = ""  # it completed while being stopped: a success after all

    def stop(self, record: dict[str, str]) -> str:
        """StopTrainingJob on the recorded job (a job that already ended is left as it is)."""
        from mlci.training import aws
        from mlci.training.launchers.sagemaker_request import FINGERPRINT_TAG, fingerprint_of

        name = record.get("job-name", "")
        if not name:
            return "nothing to stop: the record names no job"
        client = aws.client("sagemaker")
        try:  # recorded before CreateTrainingJob: the job may never have been created
            description = client.describe_training_job(TrainingJobName=name)
        except Exception as exc:
            if aws.error_code(exc) == "ValidationException" and "not found" in str(exc).lower():
                return f"{name}: no such job (it was never created), nothing to stop"
            aws.raise_translated(exc, f"training job {name}: DescribeTrainingJob")
        status = description.get("TrainingJobStatus", "")
        if status != "InProgress":
            return f"{name}: {status}, nothing to stop"
        if record.get("fingerprint") and fingerprint_of(client, description) != record["fingerprint"]:
            return f"{name}: another request's job (its {FINGERPRINT_TAG} tag differs), left running"
        try:
            client.stop_training_job(TrainingJobName=name)
        except Exception as exc:
            aws.raise_translated(exc, f"training job {name}: StopTrainingJob")
        return f"{name}: asked SageMaker to stop it"


LAUNCHER = SageMakerLauncher()
