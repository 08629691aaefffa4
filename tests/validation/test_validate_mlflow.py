"""Models from a real `mlflow server` (sqlite backend, proxied artifacts): by alias, by version, by run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, Mlflow
from mlci import cli
from mlci_testing import ActionsStep

pytestmark = pytest.mark.slow


def _validate(model: str, *extra: str) -> int:
    return cli.main(["validate", "--model", model, *SEED_DATA, "--thresholds", SEED_THRESHOLDS, *extra])


def test_alias_is_resolved_and_recorded(mlflow_env: Mlflow, tmp_path: Path, actions: ActionsStep) -> None:
    report = tmp_path / "report.json"
    assert _validate("models:/wine@champion", "--trust-pickle", "--report", str(report)) == 0
    model = json.loads(report.read_text())["model"]
    assert {
        k: model[k] for k in ("source", "name", "alias", "version", "run_id", "format", "tracking_uri")
    } == {
        "source": "mlflow",
        "name": "wine",
        "alias": "champion",
        "version": "1",
        "run_id": mlflow_env.run_id,
        "format": "mlflow-sklearn",
        "tracking_uri": mlflow_env.uri,
    }
    assert "registered model wine version 1, alias champion" in actions.summary
    # The challenger alias points at the degraded model: it fails.
    assert _validate("models:/wine@challenger", "--trust-pickle") == 1


def test_version_run_and_flag_uri(mlflow_server: Mlflow, tmp_path: Path) -> None:
    uri = ["--mlflow-tracking-uri", mlflow_server.uri]  # the flag instead of MLFLOW_TRACKING_URI
    assert _validate("models:/wine/1", "--trust-pickle", *uri) == 0
    assert _validate("models:/wine/2", "--trust-pickle", *uri) == 1
    assert _validate(f"runs:/{mlflow_server.run_id}/model", "--trust-pickle", *uri) == 0


def test_mlflow3_model_id_latest_and_stage(mlflow_env: Mlflow, tmp_path: Path) -> None:
    """Every models:/ form mlflow.artifacts.download_artifacts resolves; the report says what it became."""
    import warnings

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_env.uri)
    report = tmp_path / "report.json"

    def resolved(uri: str, expected_exit: int) -> dict[str, object]:
        assert _validate(uri, "--trust-pickle", "--report", str(report)) == expected_exit
        return dict(json.loads(report.read_text())["model"])

    # models:/m-<model_id>, what log_model returns as model_uri: the good model, logged in the first run.
    assert mlflow_env.model_id.startswith("m-")
    model = resolved(f"models:/{mlflow_env.model_id}", 0)
    assert (model["model_id"], model["run_id"], model["format"]) == (
        mlflow_env.model_id,
        mlflow_env.run_id,
        "mlflow-sklearn",
    )
    # models:/NAME/latest: the highest version, 2 (the degraded model).
    model = resolved("models:/wine/latest", 1)
    assert (model["version"], model["name"]) == ("2", "wine")
    # models:/NAME/STAGE (stages are deprecated in MLflow 3, still resolved): the stage's latest version.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's deprecation notice about stages
        client.transition_model_version_stage("wine", "1", "Staging")
    model = resolved("models:/wine/Staging", 0)
    assert (model["version"], model["stage"]) == ("1", "Staging")


def test_registry_model_needs_trust_or_the_pickle_sha256(
    mlflow_env: Mlflow, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _validate("models:/wine/1") == 2
    line = capsys.readouterr().out.strip()
    assert "refusing to load model.pkl" in line
    sha = line.split("--sha256 ")[1].split(";")[0]
    assert _validate("models:/wine/1", "--sha256", sha) == 0


def test_champion_challenger(
    mlflow_env: Mlflow, tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["validate", "--trust-pickle", *SEED_DATA, "--thresholds", "True: {recall: 0.5}"]
    baseline = ["--baseline", "models:/wine@champion", "--max-regression", "0.02"]
    report = tmp_path / "report.json"
    assert cli.main([*base, "--model", "models:/wine@challenger", *baseline, "--report", str(report)]) == 1
    out = capsys.readouterr().out
    assert (
        "::error title=mlci validate%3A accuracy vs baseline::accuracy 0.9111 is 0.0667 below the baseline's"
        in out
    )
    checks = {c["name"]: c for c in json.loads(report.read_text())["checks"]}
    assert checks["accuracy vs baseline"]["passed"] is False
    assert checks["True recall"]["passed"] is True
    # The champion against itself: no regression.
    assert cli.main([*base, "--model", "models:/wine@champion", *baseline]) == 0


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "models:/nope/1",
            "--model models:/nope/1: Model Version (name=nope, version=1) not found; check the model name "
            "and version 1 in the registry",
        ),
        ("models:/nope@champion", "--model models:/nope@champion: Registered Model with name=nope not found"),
        ("models:/wine/9", "--model models:/wine/9: Model Version (name=wine, version=9) not found"),
        (
            "models:/wine@nope",
            "--model models:/wine@nope: Registered model alias nope not found; check the model name and "
            "alias 'nope'",
        ),
        (
            "runs:/0123456789abcdef0123456789abcdef/model",
            "Run with id=0123456789abcdef0123456789abcdef not found",
        ),
        ("models:/wine/Production", "No versions of model with name 'wine' and stage 'Production' found"),
        ("models:/m-0000nope", "--model models:/m-0000nope: "),
    ],
)
def test_registry_errors_are_one_line(
    mlflow_env: Mlflow, uri: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _validate(uri, "--trust-pickle") == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and message in out, out


def test_unreachable_server_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://user:s3cret@127.0.0.1:9")
    monkeypatch.setenv(
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"
    )  # the caller's setting wins over mlci's default
    assert _validate("models:/wine@champion", "--trust-pickle") == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "cannot reach the MLflow tracking server at http://127.0.0.1:9" in out
    assert "s3cret" not in out


def test_no_tracking_server_given(capsys: pytest.CaptureFixture[str]) -> None:
    assert _validate("models:/wine/1", "--trust-pickle") == 2
    assert "set MLFLOW_TRACKING_URI or pass --mlflow-tracking-uri" in capsys.readouterr().out
