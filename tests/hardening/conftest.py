"""Fixtures for the hardening tests: the local servers of tests/validation and tests/training, reused.

Importing a fixture registers it for this folder too: the same fixture code, so no server code is repeated
(a run of the whole suite starts one more instance of each server, for the tests of this folder).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hardening.battery import Battery, World
from mlci_testing import ActionsStep
from training.conftest import aws_env, bucket, moto_endpoint, s3
from validation.conftest import hf_env, hub, mlflow_env, mlflow_server, seed_files, seed_models

__all__ = [
    "aws_env",
    "bucket",
    "hf_env",
    "hub",
    "mlflow_env",
    "mlflow_server",
    "moto_endpoint",
    "s3",
    "seed_files",
    "seed_models",
]


@pytest.fixture
def battery(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> Battery:
    """Refuse one bad-input case: ``battery.refuse(case)``."""
    world = World(tmp_path / "world", request, monkeypatch)
    world.tmp.mkdir()
    return Battery(world, actions, capsys)
