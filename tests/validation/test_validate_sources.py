"""Evaluation data where teams keep it: S3 (moto), an MLflow run, the Hub's datasets, HTTPS, gzip, folders.

Each source gives the same verdict and the same numbers as the local file, and a missing object is exit 2
naming it.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from devtools.seed_case import Hub, Mlflow
from mlci import cli
from mlci_testing import ActionsStep


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The wine data as CSV bytes, and a model fitted on its named columns, as a local joblib file."""
    import joblib
    from sklearn.datasets import load_wine
    from sklearn.metrics import accuracy_score
    from sklearn.tree import DecisionTreeClassifier

    frame = load_wine(as_frame=True).frame
    X, y = frame.drop(columns="target"), frame["target"]
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    path = tmp_path_factory.mktemp("wine") / "model.joblib"
    joblib.dump(model, path)
    return {
        "frame": frame,
        "csv": frame.to_csv(index=False).encode(),
        "model": str(path),
        "accuracy": accuracy_score(y, model.predict(X)),
    }


def _accuracy(wine: dict[str, Any], data: str, tmp_path: Path, *extra: str) -> float:
    report = tmp_path / "report.json"
    argv = ["validate", "--model", wine["model"], "--trust-pickle", "--data", data, "--target", "target"]
    assert cli.main([*argv, "--thresholds", "accuracy: 0.5", "--report", str(report), *extra]) == 0
    return float(json.loads(report.read_text())["metrics"]["accuracy"])


def _refused(wine: dict[str, Any], data: str, capsys: pytest.CaptureFixture[str]) -> str:
    argv = ["validate", "--model", wine["model"], "--trust-pickle", "--data", data, "--target", "target"]
    capsys.readouterr()
    assert cli.main([*argv, "--thresholds", "accuracy: 0.5"]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    return out


def test_gzipped_csv_and_a_parquet_folder(wine: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "wine.csv.gz").write_bytes(gzip.compress(wine["csv"]))
    assert _accuracy(wine, str(tmp_path / "wine.csv.gz"), tmp_path, "--chunk-rows", "50") == wine["accuracy"]
    folder = tmp_path / "wine-parquet"
    folder.mkdir()
    frame = wine["frame"]
    for i, start in enumerate(range(0, len(frame), 60)):  # three part files, as Spark or pyarrow write them
        frame.iloc[start : start + 60].to_parquet(folder / f"part-{i:05d}.parquet")
    assert _accuracy(wine, str(folder), tmp_path, "--chunk-rows", "50") == wine["accuracy"]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["data"]["rows"] == len(frame)


def test_s3_object_and_prefix(
    wine: dict[str, Any], s3: Any, bucket: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    s3.put_object(Bucket=bucket, Key="eval/wine.csv", Body=wine["csv"])
    assert _accuracy(wine, f"s3://{bucket}/eval/wine.csv", tmp_path) == wine["accuracy"]
    frame = wine["frame"]
    for i, start in enumerate(range(0, len(frame), 100)):
        buffer = io.BytesIO()
        frame.iloc[start : start + 100].to_parquet(buffer)
        s3.put_object(Bucket=bucket, Key=f"eval/parquet/part-{i}.parquet", Body=buffer.getvalue())
    assert _accuracy(wine, f"s3://{bucket}/eval/parquet/", tmp_path) == wine["accuracy"]
    out = _refused(wine, f"s3://{bucket}/eval/missing.csv", capsys)
    assert f"--data s3://{bucket}/eval/missing.csv: no such object" in out


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server for a folder (http.server, on a free port)."""
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def test_http_url(
    wine: dict[str, Any], web: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, root = web
    (root / "wine.csv").write_bytes(wine["csv"])
    assert _accuracy(wine, f"{url}/wine.csv", tmp_path) == wine["accuracy"]
    assert "HTTP 404" in _refused(wine, f"{url}/missing.csv", capsys)


@pytest.mark.slow
def test_mlflow_run_artifact(
    wine: dict[str, Any], mlflow_env: Mlflow, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import mlflow

    (tmp_path / "wine.csv").write_bytes(wine["csv"])
    client = mlflow.MlflowClient(tracking_uri=mlflow_env.uri)
    run = client.create_run(experiment_id="0")
    client.log_artifact(run.info.run_id, str(tmp_path / "wine.csv"), artifact_path="eval")
    client.set_terminated(run.info.run_id)
    assert _accuracy(wine, f"runs:/{run.info.run_id}/eval/wine.csv", tmp_path) == wine["accuracy"]
    assert f"runs:/{run.info.run_id}/eval/nope.csv" in _refused(
        wine, f"runs:/{run.info.run_id}/eval/nope.csv", capsys
    )


def test_hub_dataset(
    wine: dict[str, Any], hub: Hub, hf_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = hub.server.repo("acme/wine-eval", kind="dataset")
    commit = repo.commit({"data/wine.csv": wine["csv"]})
    assert (
        _accuracy(wine, f"hf://datasets/acme/wine-eval@{commit}/data/wine.csv", tmp_path) == wine["accuracy"]
    )
    assert any(r.path.startswith("/datasets/acme/wine-eval/resolve/") for r in hub.server.requests)
    out = _refused(wine, "hf://datasets/acme/wine-eval/data/missing.csv", capsys)
    assert "file 'data/missing.csv' not found in acme/wine-eval" in out


def test_a_hub_dataset_records_the_commit_it_resolved_to(
    wine: dict[str, Any], hub: Hub, hf_env: Path, tmp_path: Path, actions: ActionsStep
) -> None:
    repo = hub.server.repo("acme/wine-eval-main", kind="dataset")
    commit = repo.commit({"data/wine.csv": wine["csv"]})
    data = "hf://datasets/acme/wine-eval-main/data/wine.csv"  # no revision: main, which moves
    assert _accuracy(wine, data, tmp_path) == wine["accuracy"]
    resolved = json.loads((tmp_path / "report.json").read_text())["data"]["resolved"]
    assert resolved["commit"] == commit and resolved["repo_id"] == "acme/wine-eval-main"
    assert f"{data} at commit {commit[:12]}, target target" in actions.summary
