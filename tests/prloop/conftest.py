"""The PR loop's tests reuse the validation fixtures: the seed models and a real `mlflow server` (sqlite)."""

from __future__ import annotations

from validation.conftest import mlflow_server, seed_files, seed_models  # noqa: F401  (fixtures)
