"""`mlci train --launcher sagemaker` against moto: the job SageMaker records is the job the flags describe."""

from __future__ import annotations

import io
import json
import tarfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from mlci import cli
from mlci.training.launchers.sagemaker_request import FINGERPRINT_TAG, SageMakerJob, build_request
from mlci_testing import ActionsStep

ROLE = "arn:aws:iam::123456789012:role/mlci-training"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


@pytest.fixture
def sagemaker(aws_env: str) -> Any:
    import boto3

    return boto3.client("sagemaker", endpoint_url=aws_env)


def base_args(bucket: str, name: str) -> list[str]:
    return [
        "train", "--launcher", "sagemaker", "--job-name", name, "--image-uri", IMAGE, "--role-arn", ROLE,
        "--output", f"s3://{bucket}/models", "--poll-interval", "0",
    ]  # fmt: skip


def test_every_parameter_reaches_the_job(
    bucket: str, sagemaker: Any, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"full-{uuid.uuid4().hex[:8]}"
    code = cli.main(
        [
            *base_args(bucket, name),
            "--code", f"s3://{bucket}/code/pr-1/abc",
            "--entry-point", "train.py",
            "--channel", f"train=s3://{bucket}/data/train",
            "--instance-type", "ml.c5.xlarge",
            "--allowed-instance-types", "ml.m5.large,ml.c5.xlarge",
            "--instance-count", "2",
            "--volume-size", "50",
            "--max-runtime", "30m",
            "--hyperparameters", "n-estimators: 200\ncriterion: gini",
            "--environment", "MY_FLAG: 'on'",
            "--spot",
            "--max-wait", "1h",
            "--tag", "team=ml",
            "--repository", "acme/wine", "--pr-number", "1", "--sha", "abc1234def", "--run-id", "77",
            "--run-attempt", "1",
        ]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().out
    job = sagemaker.describe_training_job(TrainingJobName=name)
    assert job["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert job["AlgorithmSpecification"]["TrainingInputMode"] == "File"
    assert job["RoleArn"] == ROLE
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in job["InputDataConfig"]}
    assert channels == {"code": f"s3://{bucket}/code/pr-1/abc/", "train": f"s3://{bucket}/data/train"}
    assert job["OutputDataConfig"]["S3OutputPath"] == f"s3://{bucket}/models"
    assert job["ResourceConfig"] == {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 50}
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800, "MaxWaitTimeInSeconds": 3600}
    assert job["EnableManagedSpotTraining"] is True
    assert job["CheckpointConfig"] == {
        "S3Uri": f"s3://{bucket}/models/{name}/checkpoints",
        "LocalPath": "/opt/ml/checkpoints",
    }
    hps = job["HyperParameters"]
    assert json.loads(hps["n-estimators"]) == 200 and json.loads(hps["criterion"]) == "gini"
    assert json.loads(hps["sagemaker_program"]) == "train.py"
    assert json.loads(hps["sagemaker_submit_directory"]) == "/opt/ml/input/data/code"
    assert json.loads(hps["sagemaker_region"]) == "us-east-1"
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]}
    assert len(tags.pop(FINGERPRINT_TAG)) == 64
    assert tags == {
        "mlci:repository": "acme/wine",
        "mlci:pull-request": "1",
        "mlci:sha": "abc1234def",
        "mlci:run": "77-1",
        "team": "ml",
    }

    outputs = actions.outputs
    assert (outputs["job-name"], outputs["status"]) == (name, "Completed")
    assert outputs["job-arn"] == job["TrainingJobArn"]
    assert outputs["model-artifacts"] == job["ModelArtifacts"]["S3ModelArtifacts"]
    assert "| instance | 2 x ml.c5.xlarge |" in actions.summary
    assert "Completed / Completed" in capsys.readouterr().out  # the status transition on the log


def test_environment_is_part_of_the_request() -> None:
    """moto does not keep Environment, so this one is checked on the request mlci sends."""
    request = build_request(
        SageMakerJob(
            job_name="j", image_uri=IMAGE, role_arn=ROLE, output="s3://bkt/o", environment={"A": "1"}
        )
    )
    assert request["Environment"] == {"A": "1"}
    assert "InputDataConfig" not in request and "CheckpointConfig" not in request
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}  # always set, one hour by default
    assert request["HyperParameters"] == {}


def test_default_name_and_tags_come_from_the_pull_request(
    bucket: str, sagemaker: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, actions: ActionsStep
) -> None:
    sha = uuid.uuid4().hex + "abcdefgh"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 42, "head": {"sha": sha}}}))
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/wine")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    monkeypatch.setenv("GITHUB_SHA", "f" * 40)  # the merge commit: the PR head is what was trained
    monkeypatch.setenv("GITHUB_RUN_ID", "555")
    monkeypatch.setenv("GITHUB_RUN_ATTEMPT", "3")
    args = [a for a in base_args(bucket, "x") if a not in ("--job-name", "x")]
    assert cli.main([*args, "--job-key", "rf"]) == 0
    name = f"mlci-wine-pr42-{sha[:7]}-555-3-rf"
    assert actions.outputs["job-name"] == name
    job = sagemaker.describe_training_job(TrainingJobName=name)
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]}
    tags.pop(FINGERPRINT_TAG)
    assert tags == {
        "mlci:repository": "acme/wine",
        "mlci:pull-request": "42",
        "mlci:sha": sha,
        "mlci:run": "555-3",
    }


def test_cloudwatch_logs_are_streamed(
    bucket: str, aws_env: str, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    import boto3

    name = f"logs-{uuid.uuid4().hex[:8]}"
    logs = boto3.client("logs", endpoint_url=aws_env)
    group = "/aws/sagemaker/TrainingJobs"
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=f"{name}/algo-1-1700000000")
    lines = ["Invoking script with the following command:", "accuracy=0.9778", "::add-mask::not-a-command"]
    logs.put_log_events(
        logGroupName=group,
        logStreamName=f"{name}/algo-1-1700000000",
        logEvents=[
            {"timestamp": int(time.time() * 1000) + i, "message": line} for i, line in enumerate(lines)
        ],
    )
    assert cli.main(base_args(bucket, name)) == 0
    out = capsys.readouterr().out
    assert "accuracy=0.9778" in out and "Invoking script" in out
    assert out.index("::stop-commands::") < out.index("::add-mask::not-a-command")


def test_download_model_unpacks_the_artifacts(
    bucket: str, s3: Any, tmp_path: Path, actions: ActionsStep
) -> None:
    name = f"dl-{uuid.uuid4().hex[:8]}"
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"model"))
    s3.put_object(Bucket=bucket, Key=f"models/{name}/output/model.tar.gz", Body=archive.getvalue())
    target = tmp_path / "model"
    assert cli.main([*base_args(bucket, name), "--download-model", str(target)]) == 0
    assert (target / "model.joblib").read_bytes() == b"model"
    assert actions.outputs["model-dir"] == str(target)


def test_no_wait_returns_after_creation(bucket: str, actions: ActionsStep) -> None:
    name = f"nowait-{uuid.uuid4().hex[:8]}"
    assert cli.main([*base_args(bucket, name), "--no-wait"]) == 0
    assert actions.outputs["job-name"] == name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--job-name", "bad_name"], "not a valid SageMaker training job name"),
        (["--role-arn", "mlci-training"], "expected the SageMaker execution role's ARN"),
        (
            ["--instance-type", "ml.p4d.24xlarge", "--allowed-instance-types", "ml.m5.large"],
            "not in --allowed-instance-types",
        ),
        (["--instance-type", "m5.large"], "expected a SageMaker instance type"),
        (["--entry-point", "train.py"], "needs --code"),
        (["--output", "bucket/models"], "expected s3://BUCKET/PREFIX"),
        (["--max-runtime", "30d"], "beyond SageMaker's limit"),
        (["--max-wait", "2h"], "only with --spot"),
        (["--tag", "aws:x=1"], "not a valid tag"),
        (["--code", "s3://bkt/code", "--channel", "code=s3://bkt/other"], "taken by --code"),
        (
            [
                "--code",
                "s3://bkt/code",
                "--entry-point",
                "train.py",
                "--hyperparameters",
                "sagemaker_program: x.py",
            ],
            "sagemaker_program is set by mlci",
        ),
        (["--command", "python train.py"], "--command: only the local launcher takes it"),
        (
            ["--code", "s3://bkt/c", "--entry-point", "t.py", "--distribution", "horovod"],
            "not a strategy mlci knows",
        ),
        (["--distribution", "mpi"], "--distribution mpi: needs --entry-point"),
        (["--sharded-channel", "train"], "--sharded-channel train: no --channel of that name"),
    ],
)
def test_bad_job_settings_are_exit_2_before_any_request(
    bucket: str, change: list[str], message: str, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    args = base_args(bucket, f"bad-{uuid.uuid4().hex[:8]}")
    for flag, value in zip(change[::2], change[1::2]):
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    assert cli.main(args) == 2
    out = capsys.readouterr().out
    assert message in out and out.count("::error") == 1


def test_missing_image_is_exit_2(
    bucket: str, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    args = base_args(bucket, "no-image")
    del args[args.index("--image-uri") : args.index("--image-uri") + 2]
    assert cli.main(args) == 2
    assert "--image-uri: required" in capsys.readouterr().out


def test_more_than_one_instance_without_a_distribution_is_a_warning(
    bucket: str, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"two-{uuid.uuid4().hex[:8]}"
    assert cli.main([*base_args(bucket, name), "--instance-count", "2"]) == 0
    out = capsys.readouterr().out
    assert (
        "::warning title=mlci train::2 instances and no --distribution: each one runs the whole script" in out
    )
