"""`mlci promote` (opt-in): on a push to the default branch, champion moves to the merged PR's version."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, Mlflow
from mlci import cli
from mlci_testing import ActionsStep
from validation.github_api import GitHubApi

TOKEN = "ghs_sentinel_token_0123456789"
MERGE_SHA = "cafe" * 10


@pytest.fixture
def registry(mlflow_server: Mlflow) -> Iterator[tuple[str, Any]]:
    """A fresh model: version 1 (the degraded seed model) is @champion, version 2 (the good one) is @pr-8."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=mlflow_server.uri, registry_uri=mlflow_server.uri)
    good, degraded = (client.get_model_version("wine", v) for v in ("1", "2"))
    name = f"wine-{uuid.uuid4().hex[:6]}"
    client.create_registered_model(name)
    for version in (degraded, good):
        client.create_model_version(
            name, version.source, version.run_id, model_id=version.source.removeprefix("models:/")
        )
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "pr-8", "2")
    yield name, client


@pytest.fixture
def push(monkeypatch: pytest.MonkeyPatch, actions: ActionsStep) -> Iterator[GitHubApi]:
    """A push to main: GITHUB_SHA is the merge commit of pull request #8."""
    with GitHubApi(token=TOKEN) as api:
        api.pulls_of_commit[MERGE_SHA] = [{"number": 8, "merged_at": "2026-12-01T20:00:00Z"}]
        for name, value in {"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": MERGE_SHA, "GITHUB_TOKEN": TOKEN,
                            "GITHUB_REPOSITORY": "acme/wine", "GITHUB_API_URL": api.url}.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        yield api


def _validate(mlflow: Mlflow, name: str, report: Path, max_regression: str) -> int:
    return cli.main(
        ["validate", "--model", f"models:/{name}@pr-8", "--baseline", f"models:/{name}@champion",
         "--max-regression", max_regression, "--trust-pickle", "--mlflow-tracking-uri", mlflow.uri,
         *SEED_DATA, "--thresholds", SEED_THRESHOLDS, "--report", str(report)]
    )  # fmt: skip


@pytest.mark.slow
def test_the_merged_pull_requests_validated_version_becomes_champion(
    mlflow_server: Mlflow, registry: tuple[str, Any], push: GitHubApi, tmp_path: Path
) -> None:
    name, client = registry
    report = tmp_path / "validation.json"
    assert _validate(mlflow_server, name, report, "0.02") == 0
    args = [
        "promote",
        "--name",
        name,
        "--validation-report",
        str(report),
        "--mlflow-tracking-uri",
        mlflow_server.uri,
    ]
    assert cli.main(args) == 0
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    assert ("GET", f"/repos/acme/wine/commits/{MERGE_SHA}/pulls") in push.requests


@pytest.mark.slow
@pytest.mark.parametrize(
    ("passed", "version", "code", "message"),
    [
        (False, "2", 1, "did not pass validation; champion stays where it is"),
        (True, "1", 2, "points at version 2 now, but version 1 was validated"),  # re-pointed since
    ],
)
def test_champion_stays_unless_the_current_version_passed(
    mlflow_server: Mlflow, registry: tuple[str, Any], push: GitHubApi, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], passed: bool, version: str, code: int, message: str,
) -> None:  # fmt: skip
    name, client = registry
    report = tmp_path / "validation.json"
    report.write_text(
        json.dumps({"passed": passed, "model": {"name": name, "alias": "pr-8", "version": version}})
    )
    args = ["promote", "--name", name, "--validation-report", str(report)]
    assert cli.main([*args, "--mlflow-tracking-uri", mlflow_server.uri]) == code
    assert message in capsys.readouterr().out
    assert client.get_model_version_by_alias(name, "champion").version == "1"


def test_a_push_that_merged_no_pull_request_is_exit_2(
    push: GitHubApi, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_SHA", "beef" * 10)
    report = tmp_path / "validation.json"
    report.write_text(
        json.dumps({"passed": True, "model": {"name": "wine", "alias": "pr-8", "version": "2"}})
    )
    assert cli.main(["promote", "--name", "wine", "--validation-report", str(report)]) == 2
    assert "names no merged pull request" in capsys.readouterr().out
