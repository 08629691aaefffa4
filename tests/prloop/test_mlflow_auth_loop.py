"""The PR loop's writes against MLflow's authenticating server (``--app-name basic-auth``): `mlci register`
and `mlci promote` with MLFLOW_TRACKING_USERNAME/PASSWORD; a wrong password is one line without it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, Mlflow
from mlci import cli
from prloop.test_promote import push  # noqa: F401  (a fixture: a push that merged pull request #8)
from validation.conftest import MLFLOW_USER
from validation.github_api import GitHubApi

pytestmark = pytest.mark.slow

PROVENANCE = ["--repository", "acme/wine", "--pr-number", "8", "--sha", "0123abcd" * 5]


@pytest.fixture
def credentials(mlflow_auth_server: Mlflow, monkeypatch: pytest.MonkeyPatch) -> Mlflow:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", MLFLOW_USER[0])
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", MLFLOW_USER[1])
    return mlflow_auth_server


def _register(server: Mlflow, model_dir: Path, name: str, report: Path) -> int:
    return cli.main(
        ["register", "--model", str(model_dir), "--name", name, "--trust-pickle",
         "--mlflow-tracking-uri", server.uri, "--report", str(report), *PROVENANCE]
    )  # fmt: skip


@pytest.fixture
def model_dir(seed_files: dict[str, Path], tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.joblib").write_bytes(seed_files["good.joblib"].read_bytes())
    return folder


def test_register_validate_promote_with_a_user_and_password(
    credentials: Mlflow, model_dir: Path, push: GitHubApi, tmp_path: Path  # noqa: F811
) -> None:
    from mlflow import MlflowClient

    name = f"wine-{uuid.uuid4().hex[:6]}"
    registered = tmp_path / "register.json"
    assert _register(credentials, model_dir, name, registered) == 0
    sha256 = json.loads(registered.read_text())["sha256"]
    validation = tmp_path / "validation.json"
    code = cli.main(
        ["validate", "--model", f"models:/{name}@pr-8", "--sha256", sha256, "--mlflow-tracking-uri",
         credentials.uri, *SEED_DATA, "--thresholds", SEED_THRESHOLDS, "--report", str(validation)]
    )  # fmt: skip
    assert code == 0
    promote = ["promote", "--name", name, "--validation-report", str(validation)]
    assert cli.main([*promote, "--mlflow-tracking-uri", credentials.uri]) == 0
    client: Any = MlflowClient(tracking_uri=credentials.uri, registry_uri=credentials.uri)
    assert client.get_model_version_by_alias(name, "champion").version == "1"


def test_a_wrong_password_is_one_line_and_registers_nothing(
    credentials: Mlflow, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from mlflow import MlflowClient

    wrong = "not-the-password-9876"
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", wrong)
    name = f"wine-{uuid.uuid4().hex[:6]}"
    capsys.readouterr()
    assert _register(credentials, model_dir, name, tmp_path / "register.json") == 2
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and "MLFLOW_TRACKING_PASSWORD" in captured.out, captured.out
    assert wrong not in captured.out + captured.err and "Traceback" not in captured.out + captured.err

    report = tmp_path / "validation.json"
    report.write_text(json.dumps({"passed": True, "model": {"name": name, "alias": "pr-8", "version": "1"}}))
    promote = ["promote", "--name", name, "--validation-report", str(report), "--pr-number", "8"]
    assert cli.main([*promote, "--mlflow-tracking-uri", credentials.uri]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and "MLFLOW_TRACKING_PASSWORD" in captured.out, captured.out
    assert wrong not in captured.out + captured.err

    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", MLFLOW_USER[1])
    client: Any = MlflowClient(tracking_uri=credentials.uri, registry_uri=credentials.uri)
    assert client.search_registered_models(f"name = '{name}'") == []
