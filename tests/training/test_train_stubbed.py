"""What moto cannot do: a job that fails, is stopped, already exists, outlives the wait, or is cancelled.

botocore's Stubber answers SageMaker's calls with the responses SageMaker gives in those cases; everything
else (the CLI, the follower, the renderer, CloudWatch Logs on moto) is real.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from botocore.stub import Stubber

from mlci import cli
from mlci.training import aws
from mlci_testing import ActionsStep

IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
NAME = "stubbed-job"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{NAME}"
ARGS = [
    "train", "--launcher", "sagemaker", "--job-name", NAME, "--image-uri", IMAGE,
    "--role-arn", "arn:aws:iam::123456789012:role/mlci", "--output", "s3://mlci-models/out",
    "--poll-interval", "0",
]  # fmt: skip


def described(status: str, secondary: str, reason: str = "") -> dict[str, Any]:
    now = datetime.now(timezone.utc)
    response: dict[str, Any] = {
        "TrainingJobName": NAME,
        "TrainingJobArn": ARN,
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://mlci-models/out/{NAME}/output/model.tar.gz"},
        "TrainingJobStatus": status,
        "SecondaryStatus": secondary,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": now,
        "SecondaryStatusTransitions": [
            {"Status": secondary, "StartTime": now, "StatusMessage": f"{secondary}..."}
        ],
    }
    if reason:
        response["FailureReason"] = reason
    return response


@pytest.fixture
def stub(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """mlci's SageMaker client answers from the stub; its other clients (CloudWatch Logs, S3) talk to moto."""
    real_client = aws.client
    sagemaker = real_client("sagemaker")
    stubber = Stubber(sagemaker)
    monkeypatch.setattr(
        aws,
        "client",
        lambda service, **kw: sagemaker if service == "sagemaker" else real_client(service, **kw),
    )
    with stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def expect_describe(stub: Stubber, *states: tuple[str, ...]) -> None:
    for state in states:
        stub.add_response("describe_training_job", described(*state), {"TrainingJobName": NAME})


def test_failed_job_exits_1_with_its_failure_reason(
    stub: Stubber, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.add_response("create_training_job", {"TrainingJobArn": ARN})
    reason = "AlgorithmError: ExecuteUserScriptError: MemoryError in epoch 3"
    expect_describe(
        stub, ("InProgress", "Starting"), ("InProgress", "Training"), ("Failed", "Failed", reason)
    )
    assert cli.main(ARGS) == 1
    out = capsys.readouterr().out
    assert f"::error title=mlci train%3A job failed::training job {NAME} ended Failed: {reason}" in out
    transitions = [line for line in out.splitlines() if line.startswith("[")]
    assert [line.split("] ")[1].split(":")[0] for line in transitions] == [
        "InProgress / Starting",
        "InProgress / Training",
        "Failed / Failed",
    ]
    assert actions.outputs["status"] == "Failed"
    assert f"| failure reason | {reason} |" in actions.summary


def test_stopped_job_is_a_failure(stub: Stubber, actions: ActionsStep) -> None:
    stub.add_response("create_training_job", {"TrainingJobArn": ARN})
    expect_describe(stub, ("Stopped", "Stopped"))
    assert cli.main(ARGS) == 1
    assert actions.outputs["status"] == "Stopped"


def test_existing_job_of_the_same_name_is_attached_not_duplicated(
    stub: Stubber, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.add_client_error(
        "create_training_job", "ResourceInUse", f"Training job names must be unique. {NAME} already exists."
    )
    expect_describe(stub, ("InProgress", "Training"), ("InProgress", "Training"), ("Completed", "Completed"))
    assert cli.main(ARGS) == 0
    out = capsys.readouterr().out
    assert "already existed (a re-run): followed it instead of starting another" in out
    assert (actions.outputs["status"], actions.outputs["job-arn"]) == ("Completed", ARN)


def test_wait_timeout_stops_the_job_and_gives_up_cleanly(stub: Stubber, actions: ActionsStep) -> None:
    stub.add_response("create_training_job", {"TrainingJobArn": ARN})
    expect_describe(stub, ("InProgress", "Training"))
    stub.add_response("stop_training_job", {}, {"TrainingJobName": NAME})
    expect_describe(stub, ("Stopping", "Stopping"))
    assert cli.main([*ARGS, "--wait-timeout", "0.001"]) == 1
    assert actions.outputs["status"] == "Stopping"
    assert "not finished within --wait-timeout" in actions.summary


def test_sigterm_stops_the_job(
    stub: Stubber, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runner cancels the workflow (SIGTERM) while the job trains: mlci stops the job, then reports."""
    client = aws.client("sagemaker")
    sent: list[bool] = []

    def cancel_once(**kwargs: Any) -> None:
        if not sent:
            sent.append(True)
            signal.raise_signal(signal.SIGTERM)

    client.meta.events.register("before-parameter-build.sagemaker.DescribeTrainingJob", cancel_once)
    stub.add_response("create_training_job", {"TrainingJobArn": ARN})
    expect_describe(stub, ("InProgress", "Training"))
    stub.add_response("stop_training_job", {}, {"TrainingJobName": NAME})
    expect_describe(stub, ("Stopping", "Stopping"))
    assert cli.main(ARGS) == 1
    assert sent and actions.outputs["status"] == "Stopping"
    assert "the workflow was cancelled; mlci asked SageMaker to stop the job" in actions.summary
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_other_create_errors_are_exit_2(
    stub: Stubber, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    stub.add_client_error(
        "create_training_job", "AccessDeniedException", "not authorized to perform CreateTrainingJob"
    )
    assert cli.main(ARGS) == 2
    assert f"--job-name {NAME}: CreateTrainingJob: access denied" in capsys.readouterr().out
