"""actions/continuous-training/action.yml: its bash steps, run as the runner runs them, wire the CLI right."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from devtools.composite import run_cancelled, run_composite
from training.runner_cancel import like_the_runner
from training.sagemaker_standin import RUNS_UNTIL_STOPPED, SageMakerStandIn
from training.tree_helpers import EXAMPLES

ACTION = Path(__file__).resolve().parents[2] / "actions" / "continuous-training" / "action.yml"
# The steps that set up Python and its environment are not run: this interpreter (with the requirements
# installed) stands in.
GIVEN = {
    "python": {"python-path": sys.executable},
    **{step: {} for step in ("uv", "plan", "restore-env", "save-env")},
    "install": {"python": sys.executable},
}


def test_local_launcher_syncs_trains_and_validates(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(EXAMPLES, workspace / "training")
    run = run_composite(
        ACTION,
        {
            "source": "training",
            "exclude": "*.md\n__pycache__",
            "hyperparameters": "n-estimators: 30",
            "validate-thresholds": 'accuracy: ">= 0.9"',
            "validate-data": "sklearn:wine",
            "validate-positive-label": "2",
            "validate-test-size": "0.25",
            "validate-random-state": "42",
            "validate-trust-pickle": "true",
        },
        workspace,
        GIVEN,
    )
    assert not run.failed, run.log
    expected = sorted(p.name for p in EXAMPLES.iterdir() if p.is_file() and p.suffix != ".md")
    assert run.outputs["sync"]["uploaded"] == str(len(expected))  # every file but the excluded ones
    synced = Path(run.outputs["sync"]["destination"])
    assert synced.parent.name == "runner-temp" and (synced / "train.py").exists()
    train = run.outputs["train"]
    assert train["status"] == "Completed"
    assert (Path(train["model-dir"]) / "model.joblib").exists()
    assert "n-estimators 30" in run.log
    assert "model validation passed" in run.log


def test_sagemaker_launcher_against_moto(tmp_path: Path, bucket: str, s3: Any, aws_env: str) -> None:
    import boto3

    workspace = tmp_path / "workspace"
    shutil.copytree(EXAMPLES, workspace / "training")
    (workspace / "training" / "notes.md").write_text("not synced")
    prefix = f"s3://{bucket}/code/pr-7/abc1234"
    run = run_composite(
        ACTION,
        {
            "source": "training",
            "code-destination": prefix,
            "exclude": "*.md",
            "launcher": "sagemaker",
            "job-name": "action-sagemaker-job",
            "image-uri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
            "role-arn": "arn:aws:iam::123456789012:role/mlci",
            "output": f"s3://{bucket}/models",
            "tags": "team=ml\ncost-center=42",
            "spot": "true",
            "poll-interval": "0",
            "wait-timeout": "10m",
        },
        workspace,
        GIVEN,
    )
    assert not run.failed, run.log
    assert run.outputs["sync"]["destination"] == prefix
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="code/pr-7/abc1234/")["Contents"]}
    assert "code/pr-7/abc1234/train.py" in keys and "code/pr-7/abc1234/notes.md" not in keys
    assert run.outputs["train"]["status"] == "Completed"
    sagemaker = boto3.client("sagemaker", endpoint_url=aws_env)
    job = sagemaker.describe_training_job(TrainingJobName="action-sagemaker-job")
    assert job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == prefix + "/"
    assert job["EnableManagedSpotTraining"] is True
    assert job["HyperParameters"]["sagemaker_program"] == '"train.py"'
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]}
    assert (tags["team"], tags["cost-center"]) == ("ml", "42")


def test_sagemaker_needs_an_s3_code_destination(tmp_path: Path) -> None:
    run = run_composite(ACTION, {"launcher": "sagemaker"}, tmp_path, GIVEN)
    assert run.returncodes["sync"] == 2
    assert "code-destination is required with the sagemaker launcher" in run.log
    assert "train" not in run.returncodes


def _sagemaker_inputs(bucket: str) -> dict[str, str]:
    return {
        "source": "training",
        "code-destination": f"s3://{bucket}/code/pr-7/abc1234",
        "launcher": "sagemaker",
        "job-name": "cancelled-job",
        "image-uri": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        "role-arn": "arn:aws:iam::123456789012:role/mlci",
        "output": f"s3://{bucket}/models",
        "poll-interval": "0.05",
    }


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A caller's checkout with the example's training code in ``training/``."""
    shutil.copytree(EXAMPLES, tmp_path / "workspace" / "training")
    return tmp_path / "workspace"


def test_a_cancelled_run_stops_its_sagemaker_job(
    workspace: Path, bucket: str, standin: SageMakerStandIn
) -> None:
    standin.plan = list(RUNS_UNTIL_STOPPED)
    run = run_cancelled(
        ACTION, _sagemaker_inputs(bucket), workspace, GIVEN, "train", like_the_runner(standin.in_progress)
    )
    assert run.returncodes["train"] == 130, run.log  # an interrupt, as the README says
    assert standin.calls_of("StopTrainingJob") == [{"TrainingJobName": "cancelled-job"}]
    assert standin.jobs["cancelled-job"].status[0] in ("Stopping", "Stopped")
    assert run.outputs["train"]["status"] in ("Stopping", "Stopped")  # the summary and outputs were written
    assert run.returncodes["stop"] == 0, run.log  # the cleanup step found nothing left to stop
    assert "nothing to stop" in run.log


def test_a_killed_run_is_stopped_by_the_cleanup_step(
    workspace: Path, bucket: str, standin: SageMakerStandIn
) -> None:
    """The runner killed mlci before it could stop the job (SIGKILL): the if: cancelled() step does it."""
    standin.plan = list(RUNS_UNTIL_STOPPED)

    def kill(process: subprocess.Popen[str]) -> None:
        assert standin.in_progress.wait(120), "the job never reached InProgress"
        process.kill()

    run = run_cancelled(ACTION, _sagemaker_inputs(bucket), workspace, GIVEN, "train", kill)
    assert run.returncodes["train"] == -signal.SIGKILL
    assert standin.calls_of("StopTrainingJob") == [{"TrainingJobName": "cancelled-job"}], run.log
    assert run.returncodes["stop"] == 0 and "cancelled-job: asked SageMaker to stop it" in run.log


def test_a_job_whose_creation_was_never_answered_is_stopped_by_the_cleanup_step(
    workspace: Path, bucket: str, standin: SageMakerStandIn
) -> None:
    """SageMaker created the job, but its answer had not arrived when the runner's cancel ended with the
    kill: mlci had not heard of the job, yet the if: cancelled() step stops it by the name it was given."""
    standin.plan = list(RUNS_UNTIL_STOPPED)
    standin.answer_create = threading.Event()
    try:
        run = run_cancelled(
            ACTION, _sagemaker_inputs(bucket), workspace, GIVEN, "train",
            like_the_runner(standin.created),
        )  # fmt: skip
    finally:
        standin.answer_create.set()
    assert run.returncodes["train"] == -signal.SIGKILL, run.log
    assert standin.calls_of("StopTrainingJob") == [{"TrainingJobName": "cancelled-job"}], run.log
    assert run.returncodes["stop"] == 0 and "cancelled-job: asked SageMaker to stop it" in run.log


def test_a_run_cancelled_before_the_environment_was_installed_has_nothing_to_stop(tmp_path: Path) -> None:
    """The cancel came while mlci's environment was being set up: the cleanup step says there is nothing to
    stop instead of failing on the interpreter that was never installed."""
    given = {"python": {"python-path": sys.executable}, **{step: {} for step in ("uv", "restore-env")}}

    def cancel(process: subprocess.Popen[str]) -> None:
        process.send_signal(signal.SIGINT)
        process.wait()

    run = run_cancelled(ACTION, {"launcher": "local"}, tmp_path, given, "plan", cancel)
    assert "install" not in run.returncodes and "train" not in run.returncodes
    assert run.returncodes["stop"] == 0, run.log
    assert "nothing to stop" in run.log


def test_a_trusted_pickle_is_refused_where_aws_credentials_are(workspace: Path, aws_env: str) -> None:
    """Unpickling PR code's model runs that code; not in a job that holds the CI role's credentials."""
    inputs = {
        "source": "training",
        "validate-thresholds": 'accuracy: ">= 0.9"',
        "validate-data": "sklearn:wine",
        "validate-positive-label": "2",
        "validate-trust-pickle": "true",
    }
    run = run_composite(ACTION, inputs, workspace, GIVEN)
    assert run.returncodes["validate"] == 2, run.log
    assert "validate-trust-pickle: this job holds AWS credentials" in run.log
    skops = run_composite(ACTION, {**inputs, "validate-model-file": "model.skops"}, workspace, GIVEN)
    assert not skops.failed, skops.log
    assert "model validation passed" in skops.log
