"""Validation against an MLflow server that authenticates: MLflow's own basic-auth app with a user and
password, and a bearer token (MLFLOW_TRACKING_TOKEN) checked by a stand-in in front of the plain server.

A wrong password or token is exit 2 with one line that says which variable to fix, never the secret.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, Mlflow
from mlci import cli
from validation.conftest import MLFLOW_USER
from validation.test_validate_sources import _accuracy, wine  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow

TOKEN = "mlflow-token-0f1e2d3c4b5a"  # nosec B105: a test token


def _validate(model: str, *extra: str) -> int:
    argv = ["validate", "--model", model, "--trust-pickle", *SEED_DATA, "--thresholds", SEED_THRESHOLDS]
    return cli.main([*argv, *extra])


def _one_line(capsys: pytest.CaptureFixture[str], secret: str) -> str:
    captured = capsys.readouterr()
    out = captured.out  # the error line; stderr has the log
    assert out.count("\n") == 1 and "Traceback" not in out + captured.err, out
    assert secret not in out + captured.err
    return out


@pytest.fixture
def basic_auth(mlflow_auth_server: Mlflow, monkeypatch: pytest.MonkeyPatch) -> Mlflow:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_auth_server.uri)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", MLFLOW_USER[0])
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", MLFLOW_USER[1])
    return mlflow_auth_server


def test_registry_and_run_models_with_a_user_and_password(basic_auth: Mlflow) -> None:
    assert _validate("models:/wine@champion") == 0
    assert _validate("models:/wine/2") == 1  # the degraded version: a verdict, so the server answered
    assert _validate(f"runs:/{basic_auth.run_id}/model") == 0


def test_run_artifact_data_with_a_user_and_password(
    basic_auth: Mlflow, wine: dict[str, Any], tmp_path: Path  # noqa: F811
) -> None:
    import mlflow

    (tmp_path / "wine.csv").write_bytes(wine["csv"])
    client = mlflow.MlflowClient(tracking_uri=basic_auth.uri)
    run = client.create_run(experiment_id="0")
    client.log_artifact(run.info.run_id, str(tmp_path / "wine.csv"), artifact_path="eval")
    assert _accuracy(wine, f"runs:/{run.info.run_id}/eval/wine.csv", tmp_path) == wine["accuracy"]


@pytest.mark.parametrize("model", ["models:/wine@champion", "runs:/{run_id}/model"])
def test_a_wrong_password_is_one_line_without_it(
    basic_auth: Mlflow, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], model: str
) -> None:
    wrong = "not-the-password-9876"
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", wrong)
    capsys.readouterr()
    assert _validate(model.format(run_id=basic_auth.run_id)) == 2
    out = _one_line(capsys, wrong)
    assert "MLFLOW_TRACKING_PASSWORD" in out and MLFLOW_USER[1] not in out


def test_no_credentials_at_all_is_one_line(
    basic_auth: Mlflow, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD")
    capsys.readouterr()
    assert _validate("models:/wine@champion") == 2
    assert "MLFLOW_TRACKING_USERNAME" in _one_line(capsys, MLFLOW_USER[1])


class BearerGate(ThreadingHTTPServer):
    """In front of an MLflow server: a request passes only with ``Authorization: Bearer TOKEN`` (401
    otherwise, as a token-authenticating MLflow deployment answers); what each request carried is kept."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Gate)
        self.upstream = urlsplit(upstream).netloc
        self.seen: list[str | None] = []
        self.uri = f"http://127.0.0.1:{self.server_port}"
        self._thread = threading.Thread(target=self.serve_forever, name="bearer-gate", daemon=True)

    def __enter__(self) -> BearerGate:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()


class _Gate(BaseHTTPRequestHandler):
    server: BearerGate
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass

    def _forward(self) -> None:
        authorization = self.headers.get("Authorization")
        self.server.seen.append(authorization)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if authorization != f"Bearer {TOKEN}":
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            answer = b'{"error_code": "UNAUTHENTICATED", "message": "Invalid token"}'
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        upstream = http.client.HTTPConnection(self.server.upstream, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "host")}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        upstream.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward


@pytest.fixture
def bearer_gate(mlflow_server: Mlflow, monkeypatch: pytest.MonkeyPatch) -> Iterator[BearerGate]:
    with BearerGate(mlflow_server.uri) as gate:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", gate.uri)
        yield gate


def test_the_token_is_sent_as_a_bearer_header(
    bearer_gate: BearerGate, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    assert _validate("models:/wine@champion") == 0
    assert bearer_gate.seen and set(bearer_gate.seen) == {f"Bearer {TOKEN}"}

    wrong = "expired-token-5566778899"
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", wrong)
    capsys.readouterr()
    assert _validate("models:/wine@champion") == 2
    assert "MLFLOW_TRACKING_TOKEN" in _one_line(capsys, wrong)
