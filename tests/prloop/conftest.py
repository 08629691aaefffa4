"""The PR loop's tests reuse the validation fixtures: the seed models and a real `mlflow server` (sqlite).

The server gets a longer start-up budget than validation's own: these tests start theirs while the rest of
the suite loads the machine, and an `mlflow server` import alone takes minutes on two busy cores.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.seed_case import Mlflow, SeedModels
from validation.conftest import _log_models, mlflow_auth_server, seed_files, seed_models  # noqa: F401
from validation.mlflow_server import MlflowServer


@pytest.fixture(scope="session")
def mlflow_server(
    tmp_path_factory: pytest.TempPathFactory, seed_models: SeedModels  # noqa: F811
) -> Iterator[Mlflow]:
    """A real `mlflow server` (sqlite backend, proxied artifacts) with the wine models logged."""
    with MlflowServer(tmp_path_factory.mktemp("mlflow"), timeout=600) as server:
        yield _log_models(server.uri, seed_models)
