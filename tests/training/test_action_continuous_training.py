"""actions/continuous-training/action.yml: its bash steps, run as the runner runs them, wire the CLI right."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from devtools.composite import run_composite
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
