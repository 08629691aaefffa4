"""Training metrics: the job's metrics file (local output data, SageMaker's output.tar.gz) and log metrics.

Local: a real script under the local launcher. SageMaker: moto's server for the job and S3, with the archive
laid out as SageMaker writes it (``<S3OutputPath>/<job>/output/output.tar.gz`` beside ``model.tar.gz``);
the SageMaker stand-in (tests/training/sagemaker_standin.py) for what moto does not answer
(BillableTimeInSeconds, a job's own FinalMetricDataList).
"""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from mlci import cli
from mlci.training.launchers.sagemaker_request import SageMakerJob, build_request
from mlci_testing import ActionsStep
from training.sagemaker_standin import SageMakerStandIn
from training.tree_helpers import write_tree

ROLE = "arn:aws:iam::123456789012:role/mlci-training"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"

SCRIPT = b"""
import json, os
for epoch, loss in enumerate([0.9, 0.5, 0.25]):
    print(f"epoch={epoch} loss={loss};", flush=True)
open(os.path.join(os.environ["SM_MODEL_DIR"], "model.txt"), "w").write("m")
metrics = {"accuracy": 0.97, "val": {"f1": 0.91}, "note": "fine"}
open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "metrics.json"), "w").write(json.dumps(metrics))
open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "scores.json"), "w").write('{"auc": 0.99}')
"""


def _train_local(tmp_path: Path, *extra: str) -> int:
    write_tree(tmp_path / "code", {"train.py": SCRIPT})
    report = tmp_path / "report.json"
    return cli.main(
        ["train", "--source", str(tmp_path / "code"), "--output", str(tmp_path / "model"),
         "--report", str(report), *extra]
    )  # fmt: skip


def test_local_metrics_file_and_log_metrics_reach_outputs_summary_and_report(
    tmp_path: Path, actions: ActionsStep
) -> None:
    definitions = "[{Name: 'train:loss', Regex: 'loss=([0-9.]+);'}]"
    assert _train_local(tmp_path, "--metric-definitions", definitions) == 0
    expected = {"accuracy": 0.97, "val.f1": 0.91, "train:loss": 0.25}  # the last loss wins, as on SageMaker
    assert json.loads(actions.outputs["metrics"]) == expected
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["metrics"] == expected
    assert "| metric train:loss | 0.25 |" in actions.summary and "| metric val.f1 | 0.91 |" in actions.summary
    assert any("note" in note for note in report["notes"])  # a non-number is named, not silently dropped


def test_local_named_metrics_file(tmp_path: Path, actions: ActionsStep) -> None:
    assert _train_local(tmp_path, "--metrics-file", "scores.json") == 0
    assert json.loads(actions.outputs["metrics"]) == {"auc": 0.99}


def test_a_named_metrics_file_the_job_did_not_write_is_a_warning(
    tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _train_local(tmp_path, "--metrics-file", "missing.json") == 0
    out = capsys.readouterr().out
    assert "::warning title=mlci train::--metrics-file missing.json: the job wrote no such file" in out


@pytest.mark.parametrize(
    ("definitions", "message"),
    [
        ("[{Name: loss, Regex: 'loss=[0-9.]+'}]", "has no group"),
        ("[{Name: loss, Regex: 'loss=([0-9.]+'}]", "does not compile"),
        ("[{Name: loss}]", "expected a list of {Name: ..., Regex: ...}"),
        ("{a: 'a=(\\d)', b: 'b=(\\d)'}\n", None),
    ],
)
def test_bad_metric_definitions_are_exit_2_before_training(
    tmp_path: Path,
    definitions: str,
    message: str | None,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = _train_local(tmp_path, "--metric-definitions", definitions)
    out = capsys.readouterr().out
    if message is None:  # the mapping form is fine
        assert code == 0
        return
    assert code == 2 and message in out and out.count("::error") == 1
    assert "epoch=" not in out  # refused before the script ran
    assert "Traceback" not in out


def test_metric_definitions_reach_the_create_training_job_request() -> None:
    from mlci.training.job_metrics import parse_definitions

    job = SageMakerJob(
        job_name="m", image_uri=IMAGE, role_arn=ROLE, output="s3://mlci-models/out",
        metric_definitions=parse_definitions("[{Name: 'validation:auc', Regex: 'auc=(\\S+)'}]"),
    )  # fmt: skip
    spec = build_request(job)["AlgorithmSpecification"]
    assert spec["MetricDefinitions"] == [{"Name": "validation:auc", "Regex": "auc=(\\S+)"}]


def _archive(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_sagemaker_metrics_come_from_output_tar_gz_and_final_metric_data(
    bucket: str, s3: Any, tmp_path: Path, actions: ActionsStep
) -> None:
    name = f"metrics-{uuid.uuid4().hex[:8]}"
    # as SageMaker uploads SM_OUTPUT_DATA_DIR: the archive's members are relative to that directory
    data = _archive({"./metrics.json": b'{"accuracy": 0.96}', "./predictions.csv": b"a\n" * 1000})
    s3.put_object(Bucket=bucket, Key=f"models/{name}/output/output.tar.gz", Body=data)
    report = tmp_path / "report.json"
    args = [
        "train", "--launcher", "sagemaker", "--job-name", name, "--image-uri", IMAGE, "--role-arn", ROLE,
        "--output", f"s3://{bucket}/models", "--poll-interval", "0", "--report", str(report),
    ]  # fmt: skip
    assert cli.main(args) == 0
    metrics = json.loads(report.read_text())["metrics"]
    assert metrics["accuracy"] == 0.96
    assert metrics["train:progress"] == 100.0  # moto's FinalMetricDataList for its job


def test_sagemaker_job_without_output_data_has_no_metrics_and_no_warning(
    bucket: str, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"nodata-{uuid.uuid4().hex[:8]}"
    args = [
        "train", "--launcher", "sagemaker", "--job-name", name, "--image-uri", IMAGE, "--role-arn", ROLE,
        "--output", f"s3://{bucket}/models", "--poll-interval", "0",
    ]  # fmt: skip
    assert cli.main(args) == 0
    assert "::warning" not in capsys.readouterr().out


def test_billable_seconds_give_an_estimated_cost_from_the_price_table(
    standin: SageMakerStandIn, tmp_path: Path, actions: ActionsStep
) -> None:
    from mlci.training.prices import table

    standin.billable_seconds = 1800
    standin.final_metrics = [{"MetricName": "validation:auc", "Value": 0.93}]
    report = tmp_path / "report.json"
    args = [
        "train", "--launcher", "sagemaker", "--job-name", "priced-job", "--image-uri", IMAGE,
        "--role-arn", ROLE,
        "--output", "s3://mlci-models/out", "--instance-count", "2", "--distribution", "torch_distributed",
        "--code", "s3://mlci-models/code/pr-1", "--entry-point", "train.py", "--poll-interval", "0",
        "--report", str(report),
    ]  # fmt: skip
    assert cli.main(args) == 0
    result = json.loads(report.read_text())
    hourly = table()["per_hour"]["ml.m5.large"]
    assert result["cost"]["usd"] == pytest.approx(0.5 * 2 * hourly)
    assert result["cost"]["as_of"] == table()["as_of"]
    assert result["metrics"] == {"validation:auc": 0.93}
    assert "estimated cost" in actions.summary
