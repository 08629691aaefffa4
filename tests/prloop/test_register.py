"""`mlci register` / `mlci train --register` against a real `mlflow server`: the challenger lands as skops,
with its provenance, under the alias pr-<number>, and `mlci validate` loads exactly that file."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, Mlflow
from mlci import cli
from mlci_testing import ActionsStep

PROVENANCE = ["--repository", "acme/wine", "--pr-number", "5", "--sha", "0123abcd" * 5]


def _client(server: Mlflow) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=server.uri, registry_uri=server.uri)


def _training_report(tmp_path: Path) -> Path:
    report = tmp_path / "training.json"
    report.write_text(json.dumps({"job_name": "wine-pr-5-abc", "metrics": {"accuracy": 0.97, "f1": 0.9}}))
    return report


@pytest.mark.slow
def test_register_then_validate_the_pinned_challenger(
    mlflow_server: Mlflow, seed_files: dict[str, Path], tmp_path: Path, actions: ActionsStep,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/wine")
    monkeypatch.setenv("GITHUB_RUN_ID", "42")
    name = f"wine-{uuid.uuid4().hex[:6]}"
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "model.joblib").write_bytes(seed_files["good.joblib"].read_bytes())
    report = tmp_path / "register.json"
    code = cli.main(
        ["register", "--model", str(model_dir), "--name", name, "--trust-pickle",
         "--mlflow-tracking-uri", mlflow_server.uri, "--training-report", str(_training_report(tmp_path)),
         "--hyperparameters", "n-estimators: 50", "--report", str(report), *PROVENANCE]
    )  # fmt: skip
    assert code == 0
    registered = json.loads(report.read_text())
    assert registered["model"] == f"models:/{name}@pr-5"
    assert actions.outputs["registered-model"] == f"models:/{name}@pr-5"
    assert registered["baseline"] == {"alias": "champion", "version": None, "sha256": None}  # none yet

    client = _client(mlflow_server)
    version = client.get_model_version_by_alias(name, "pr-5")
    assert version.tags["mlci.sha256"] == registered["sha256"]
    assert version.tags["mlci.pull_request"] == "5" and version.tags["mlci.repository"] == "acme/wine"
    run = client.get_run(version.run_id)
    assert run.data.params == {"n-estimators": "50"}
    assert run.data.metrics == {"accuracy": 0.97, "f1": 0.9}
    assert run.data.tags["mlci.job_name"] == "wine-pr-5-abc"
    assert run.data.tags["mlci.run_url"] == "https://github.com/acme/wine/actions/runs/42"
    assert registered["run_link"].startswith(f"{mlflow_server.uri}/#/experiments/")

    # Validation pulls it by alias and loads the skops file that the pin names, without --trust-pickle.
    validation = tmp_path / "validation.json"
    code = cli.main(
        ["validate", "--model", f"models:/{name}@pr-5", "--sha256", registered["sha256"],
         "--mlflow-tracking-uri", mlflow_server.uri, *SEED_DATA, "--thresholds", SEED_THRESHOLDS,
         "--report", str(validation)]
    )  # fmt: skip
    assert code == 0
    assert json.loads(validation.read_text())["model"]["format"] == "mlflow-sklearn"


@pytest.mark.slow
def test_an_unpinned_pickle_is_refused_and_nothing_is_registered(
    mlflow_server: Mlflow, seed_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"wine-{uuid.uuid4().hex[:6]}"
    code = cli.main(
        ["register", "--model", str(seed_files["good.joblib"].parent), "--name", name,
         "--mlflow-tracking-uri", mlflow_server.uri, *PROVENANCE]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 2 and "refusing to load" in out and out.count("error") == 1
    assert _client(mlflow_server).search_registered_models(f"name = '{name}'") == []


@pytest.mark.slow
def test_sagemaker_model_tar_gz_registers_too(
    mlflow_server: Mlflow, seed_files: dict[str, Path], tmp_path: Path, actions: ActionsStep
) -> None:
    archive = tmp_path / "model.tar.gz"
    data = seed_files["good.skops"].read_bytes()
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("model.skops")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    name = f"wine-{uuid.uuid4().hex[:6]}"
    from mlci.validation.loading import file_sha256

    code = cli.main(
        ["register", "--model", str(archive), "--name", name, "--alias", "challenger",
         "--sha256", file_sha256(seed_files["good.skops"]), "--mlflow-tracking-uri", mlflow_server.uri]
    )  # fmt: skip
    assert code == 0
    assert _client(mlflow_server).get_model_version_by_alias(name, "challenger").version == "1"


def test_no_pull_request_and_no_alias_is_exit_2(
    mlflow_server: Mlflow, seed_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        ["register", "--model", str(seed_files["good.joblib"].parent), "--name", "wine", "--trust-pickle",
         "--mlflow-tracking-uri", mlflow_server.uri]
    )  # fmt: skip
    assert code == 2 and "--alias: no pull request number is known" in capsys.readouterr().out


def test_register_with_the_sagemaker_launcher_is_refused_before_anything_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = cli.main(["train", "--launcher", "sagemaker", "--register", "wine", "--output", "s3://mlci-x/y"])
    assert code == 2 and "run 'mlci register' in a job without them" in capsys.readouterr().out


@pytest.mark.slow
def test_a_champion_that_cannot_be_read_is_exit_2_not_no_champion(
    mlflow_server: Mlflow, seed_files: dict[str, Path], tmp_path: Path, actions: ActionsStep,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A 503 on the read of @champion is not "no champion yet": that would register the challenger with no
    baseline and so switch the regression check against the champion off. Nothing is registered."""
    from training.fault_proxy import FaultProxy

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # the client's retries would only wait
    name = f"wine-{uuid.uuid4().hex[:6]}"
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "model.joblib").write_bytes(seed_files["good.joblib"].read_bytes())
    report = tmp_path / "register.json"

    def champion_unavailable(number: int, method: str, path: str) -> str | None:
        return "503" if "registered-models/alias" in path and "alias=champion" in path else None

    with FaultProxy(mlflow_server.uri, champion_unavailable) as proxy:
        code = cli.main(
            ["register", "--model", str(model_dir), "--name", name, "--trust-pickle",
             "--mlflow-tracking-uri", proxy.url, "--report", str(report), *PROVENANCE]
        )  # fmt: skip
    assert code == 2
    assert proxy.faults, "the champion was never read"
    out = capsys.readouterr()
    assert f"registering {name}@pr-5 on {proxy.url}" in out.out and "Traceback" not in out.out + out.err
    assert not report.exists() and "registered-model" not in actions.outputs
    assert _client(mlflow_server).search_model_versions(f"name='{name}'") == []
