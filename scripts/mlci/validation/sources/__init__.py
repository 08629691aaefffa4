"""Where a model comes from: each source fetches a model to a local path and says what it resolved to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlci.validation.uri import HfUri, LocalUri, ModelUri


@dataclass
class FetchedModel:
    """A model on the local disk: a file, or an MLflow model directory (one holding an ``MLmodel`` file)."""

    path: Path
    #: what the URI resolved to (commit, version, run...): goes into the report as the model's identity
    identity: dict[str, Any]
    #: things the user should know (an unpinned revision...), one sentence each
    warnings: list[str] = field(default_factory=list)


def fetch(uri: ModelUri, *, flag: str, workdir: Path, mlflow_tracking_uri: str | None) -> FetchedModel:
    """Fetch the model ``uri`` names (``workdir`` holds downloads that need a home, e.g. MLflow artifacts)."""
    if isinstance(uri, HfUri):
        from mlci.validation.sources import hf

        return hf.fetch(uri, flag=flag)
    if isinstance(uri, LocalUri):
        from mlci.validation.sources import local

        return local.fetch(uri, flag=flag)
    from mlci.validation.sources import mlflow as mlflow_source

    return mlflow_source.fetch(uri, flag=flag, workdir=workdir, tracking_uri=mlflow_tracking_uri)
