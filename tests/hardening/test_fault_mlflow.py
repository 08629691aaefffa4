"""An MLflow server that goes away in the middle of a validation: exit 2, one clear line, no report.

The server is a dedicated `mlflow server` (the session's one in tests/validation stays up for everyone else),
reached through tests/training's FaultProxy, which is what makes "mid-run" deterministic: the proxy decides
which request is the last one the server answers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, SeedModels
from hardening.outcome import Run, assert_refused, set_sentinels
from mlci import cli
from mlci_testing import ActionsStep
from training.fault_proxy import FaultProxy
from validation.conftest import _log_models
from validation.mlflow_server import MlflowServer

MODEL = "models:/wine@champion"
ARTIFACTS = "/mlflow-artifacts/"  # every request after the registry lookup goes here


@pytest.fixture
def doomed_server(tmp_path: Path, seed_models: SeedModels) -> Iterator[MlflowServer]:
    """A server of this test's own, with 'wine' registered (alias champion): the test may kill it."""
    root = tmp_path / "mlflow"
    root.mkdir()
    with MlflowServer(root) as server:
        _log_models(server.uri, seed_models)
        yield server


@pytest.fixture
def fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow's own client setting for a fast failure: no retry.

    No short request timeout: the proxy's dropped connection fails at once, and a timeout of a few seconds
    fired under load on the registry lookup itself, before the request this test means to break.
    """
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")


def _validate(proxy: FaultProxy, report: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    capsys.readouterr()
    argv = ["validate", "--model", MODEL, "--mlflow-tracking-uri", proxy.url, "--trust-pickle", *SEED_DATA]
    code = cli.main([*argv, "--thresholds", SEED_THRESHOLDS, "--report", str(report)])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def test_server_gone_mid_run(
    doomed_server: MlflowServer,
    fail_fast: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = tmp_path / "report.json"
    set_sentinels(monkeypatch)

    # 1. The connection breaks in the middle of the artifact download (the model file's request is dropped).
    def drop_model_file(number: int, method: str, path: str) -> str | None:
        return "drop" if path.endswith("/model.pkl") else None

    with FaultProxy(doomed_server.uri, drop_model_file) as proxy:
        line = assert_refused(
            _validate(proxy, report, capsys), f"--model {MODEL}", actions=actions, report=report
        )
    assert any("/MLmodel" in path for _, path in proxy.forwarded)  # the download had begun
    assert "cannot reach the MLflow tracking server" in line, line

    # 2. The server dies right after the registry lookup: killed at the first artifact request.
    gone = threading.Event()

    def kill_after_lookup(number: int, method: str, path: str) -> str | None:
        if ARTIFACTS in path and not gone.is_set():
            doomed_server.__exit__(None, None, None)  # SIGTERM to its process group, then SIGKILL
            gone.set()
        return "drop" if gone.is_set() else None

    with FaultProxy(doomed_server.uri, kill_after_lookup) as proxy:
        line = assert_refused(
            _validate(proxy, report, capsys), f"--model {MODEL}", actions=actions, report=report
        )
    assert gone.is_set()
    assert [path.split("?")[0] for _, path in proxy.forwarded][:1] == [
        "/api/2.0/mlflow/registered-models/alias"
    ]
    assert "cannot reach the MLflow tracking server" in line, line
