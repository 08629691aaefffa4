"""What moto cannot do, against a stand-in that answers as SageMaker does: failed, stopped and existing jobs,
a wait that runs out, a cancel, credentials that expire, access denied. The CLI, follower, renderer and boto3
are real; CloudWatch Logs and S3 are moto's.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlci import cli
from mlci.training.launchers.sagemaker_request import FINGERPRINT_TAG
from mlci_testing import ActionsStep
from training.sagemaker_standin import RUNS_UNTIL_STOPPED, SageMakerStandIn

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
NAME = "standin-job"
ARGS = [
    "train", "--launcher", "sagemaker", "--job-name", NAME, "--image-uri", IMAGE,
    "--role-arn", "arn:aws:iam::123456789012:role/mlci", "--output", "s3://mlci-models/out",
    "--poll-interval", "0",
]  # fmt: skip


def statuses(out: str) -> list[str]:
    return [line.split("] ")[1].split(":")[0] for line in out.splitlines() if line.startswith("[")]


def test_failed_job_exits_1_with_its_failure_reason(
    standin: SageMakerStandIn, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    standin.plan = [("InProgress", "Starting"), ("InProgress", "Training"), ("Failed", "Failed")]
    assert cli.main(ARGS) == 1
    out = capsys.readouterr().out
    reason = standin.failure_reason
    assert f"::error title=mlci train%3A job failed::training job {NAME} ended Failed: {reason}" in out
    assert statuses(out) == ["InProgress / Starting", "InProgress / Training", "Failed / Failed"]
    assert actions.outputs["status"] == "Failed"
    assert f"| failure reason | {reason} |" in actions.summary
    assert "| billable seconds | 60 |" in actions.summary


def test_every_job_is_tagged_with_its_request_fingerprint(
    standin: SageMakerStandIn, actions: ActionsStep
) -> None:
    assert cli.main(ARGS) == 0
    tags = {tag["Key"]: tag["Value"] for tag in standin.jobs[NAME].tags}
    assert len(tags[FINGERPRINT_TAG]) == 64


def test_a_rerun_of_the_same_request_attaches_to_its_job(
    standin: SageMakerStandIn, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(ARGS) == 0
    creates = len(standin.calls_of("CreateTrainingJob"))
    assert cli.main(ARGS) == 0  # the same step again: ResourceInUse, same fingerprint, Completed
    assert len(standin.calls_of("CreateTrainingJob")) == creates + 1 and list(standin.jobs) == [NAME]
    assert (
        "with the same request already existed (Completed, a re-run): followed it" in capsys.readouterr().out
    )
    assert (actions.outputs["job-name"], actions.outputs["status"]) == (NAME, "Completed")


def test_a_stopped_job_of_the_same_request_is_not_reused(
    standin: SageMakerStandIn, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new run for the same SHA used to attach to the Stopped job and fail without training."""
    assert cli.main(ARGS) == 0
    standin.jobs[NAME].status = ("Stopped", "Stopped")
    assert cli.main(ARGS) == 0
    assert actions.outputs["job-name"] == f"{NAME}-2" and actions.outputs["status"] == "Completed"
    assert f"{NAME}-2" in standin.jobs
    assert "already exists (the same request, Stopped): started a new one" in capsys.readouterr().out


def test_another_request_of_the_same_name_gets_its_own_job(
    standin: SageMakerStandIn, actions: ActionsStep
) -> None:
    """Two trainings of one run (a matrix) that share a name never report each other's job."""
    assert cli.main([*ARGS, "--hyperparameters", "n-estimators: 10"]) == 0
    assert cli.main([*ARGS, "--hyperparameters", "n-estimators: 500"]) == 0
    assert actions.outputs["job-name"] == f"{NAME}-2"
    first, second = (standin.jobs[name].request["HyperParameters"] for name in (NAME, f"{NAME}-2"))
    assert (first["n-estimators"], second["n-estimators"]) == ("10", "500")


def test_wait_timeout_stops_the_job_and_gives_up_cleanly(
    standin: SageMakerStandIn, actions: ActionsStep
) -> None:
    standin.plan = list(RUNS_UNTIL_STOPPED)
    assert cli.main([*ARGS, "--wait-timeout", "0.001"]) == 1
    assert standin.calls_of("StopTrainingJob") == [{"TrainingJobName": NAME}]
    assert actions.outputs["status"] in ("Stopping", "Stopped")
    assert "not finished within --wait-timeout" in actions.summary


def test_sigterm_stops_the_job_and_exits_130(standin: SageMakerStandIn, actions: ActionsStep) -> None:
    """The runner cancels the workflow while the job trains: mlci stops the job, reports, exits 130."""
    standin.plan = list(RUNS_UNTIL_STOPPED)
    sent: list[bool] = []

    def cancel_once_in_progress() -> None:
        if standin.in_progress.wait(60):
            sent.append(True)
            os.kill(os.getpid(), signal.SIGTERM)

    canceller = threading.Thread(target=cancel_once_in_progress)
    canceller.start()
    assert cli.main(ARGS) == 130
    canceller.join()
    assert sent and standin.calls_of("StopTrainingJob") == [{"TrainingJobName": NAME}]
    assert actions.outputs["status"] in ("Stopping", "Stopped")
    assert "the workflow was cancelled; mlci asked SageMaker to stop the job" in actions.summary
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_credentials_that_expire_mid_wait_still_report_the_job(
    standin: SageMakerStandIn, actions: ActionsStep, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    standin.plan = list(RUNS_UNTIL_STOPPED)
    standin.expire_after = 3  # CreateTrainingJob, two DescribeTrainingJob; then ExpiredTokenException
    report = tmp_path / "report.json"
    assert cli.main([*ARGS, "--report", str(report)]) == 1  # not bad input: the job's fate is unknown
    out = capsys.readouterr().out
    stop = f"aws sagemaker stop-training-job --training-job-name {NAME}"
    assert "the AWS credentials expired while following the job (last known status InProgress)" in out
    assert (actions.outputs["job-name"], actions.outputs["status"]) == (NAME, "InProgress")
    assert stop in actions.summary and "console.aws.amazon.com/sagemaker" in actions.summary
    assert json.loads(report.read_text())["details"]["stop it"] == stop


def test_a_wait_longer_than_the_credentials_is_exit_2_before_any_job(
    standin: SageMakerStandIn,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """configure-aws-credentials' default: one hour. The workflow waits up to 115 minutes."""
    expiry = datetime.now(timezone.utc) + timedelta(hours=1)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEXAMPLE")
    monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", expiry.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert cli.main([*ARGS, "--wait-timeout", "115m"]) == 2
    out = capsys.readouterr().out
    assert "--wait-timeout 1h 55m: the AWS credentials expire in" in out and "role-duration-seconds" in out
    assert standin.calls_of("CreateTrainingJob") == []
    assert cli.main([*ARGS, "--wait-timeout", "30m"]) == 0  # fits


def test_other_create_errors_are_exit_2(
    standin: SageMakerStandIn, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    standin.denied.add("CreateTrainingJob")
    assert cli.main(ARGS) == 2
    assert f"--job-name {NAME}: CreateTrainingJob: access denied" in capsys.readouterr().out
