"""Fixtures for model validation: the seed's models, a local Hugging Face Hub, a real MLflow server.

Servers are session-scoped and bound to 127.0.0.1 on free ports; heavy libraries are imported inside the
fixtures, so collecting other areas' tests stays fast.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.hub_server import HubServer
from devtools.seed_case import Hub, Mlflow, SeedModels, make_seed_models
from training.conftest import aws_env, bucket, moto_endpoint, s3
from validation.mlflow_server import MlflowServer

__all__ = ["aws_env", "bucket", "moto_endpoint", "s3"]  # moto for s3:// data, from tests/training


@pytest.fixture(scope="session")
def seed_models() -> SeedModels:
    return make_seed_models()


@pytest.fixture
def seed_files(seed_models: SeedModels, tmp_path: Path) -> dict[str, Path]:
    """The seed models as local files."""
    files = {
        "good.joblib": seed_models.good_joblib,
        "degraded.joblib": seed_models.degraded_joblib,
        "good.skops": seed_models.good_skops,
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return {name: tmp_path / name for name in files}


# --------------------------------------------------------------------------------------------- Hugging Face


@pytest.fixture(scope="session")
def hub(seed_models: SeedModels) -> Iterator[Hub]:
    """A local Hub: acme/wine (two commits, tag v1), a gated repo and a private one."""
    with HubServer() as server:
        wine = server.repo("acme/wine")
        first = wine.commit({"model.joblib": seed_models.good_joblib, "README.md": b"# wine\n"})
        wine.refs["v1"] = first
        wine.refs["stable"] = first
        second = wine.commit(
            {"model.joblib": seed_models.degraded_joblib, "nested/dir/model.skops": seed_models.good_skops}
        )
        server.repo("acme/gated", gated=True).commit({"model.joblib": seed_models.good_joblib})
        server.repo("acme/private", token="hf_private_token_123").commit(
            {"model.joblib": seed_models.good_joblib}
        )
        yield Hub(server, first, second)


@pytest.fixture
def hf_env(hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point huggingface_hub at the local Hub, with an empty cache per test; returns the cache folder."""
    cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_ENDPOINT", hub.server.endpoint)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    hub.server.requests.clear()
    return cache


# --------------------------------------------------------------------------------------------- MLflow


def _log_models(uri: str, seed_models: SeedModels) -> Mlflow:
    """Register the good and the degraded model as 'wine' versions 1 (alias champion) and 2 (challenger)."""
    import mlflow
    import mlflow.sklearn
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run_ids, model_ids = [], []
            for model in (seed_models.good, seed_models.degraded):  # versions 1 and 2
                with mlflow.start_run() as run:
                    info = mlflow.sklearn.log_model(
                        model,
                        name="model",
                        registered_model_name="wine",
                        serialization_format="cloudpickle",
                        pip_requirements=["scikit-learn"],
                    )
                run_ids.append(run.info.run_id)
                model_ids.append(info.model_id)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        client.set_registered_model_alias("wine", "champion", "1")
        client.set_registered_model_alias("wine", "challenger", "2")
    finally:
        mlflow.set_tracking_uri(None)  # unset again: mlci must find the server through its own settings
    return Mlflow(uri=uri, run_id=run_ids[0], model_id=model_ids[0])


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory, seed_models: SeedModels) -> Iterator[Mlflow]:
    """A real `mlflow server` (sqlite backend, proxied artifacts in a tmp dir) with the wine models logged."""
    with MlflowServer(tmp_path_factory.mktemp("mlflow")) as server:
        yield _log_models(server.uri, seed_models)


#: the authenticating server's admin, whom the tests act as (MLflow wants 12 characters or more)
MLFLOW_USER = ("mlci-ci", "correct-horse-battery-42")


@pytest.fixture(scope="session")
def mlflow_auth_server(tmp_path_factory: pytest.TempPathFactory, seed_models: SeedModels) -> Iterator[Mlflow]:
    """MLflow's authenticating server (``--app-name basic-auth``, sqlite), the wine models logged as its
    admin; every request needs MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD."""
    with MlflowServer(tmp_path_factory.mktemp("mlflow-auth"), auth=MLFLOW_USER) as server:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("MLFLOW_TRACKING_USERNAME", MLFLOW_USER[0])
            patch.setenv("MLFLOW_TRACKING_PASSWORD", MLFLOW_USER[1])
            logged = _log_models(server.uri, seed_models)
        yield logged


@pytest.fixture
def mlflow_env(mlflow_server: Mlflow, monkeypatch: pytest.MonkeyPatch) -> Mlflow:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    return mlflow_server
