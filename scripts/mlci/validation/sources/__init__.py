"""Where a model comes from: each source fetches a model to a local path and says what it resolved to."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlci.errors import UserError
from mlci.validation.data import DataSpec
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
    if isinstance(uri, LocalUri):  # a local model needs no download: it must exist
        path = Path(uri.path).expanduser()
        if not path.exists():
            raise UserError(
                f"{flag} {uri.text}: no such file or directory; check the path (relative to {Path.cwd()})."
            )
        return FetchedModel(
            path=path, identity={"source": "local", "uri": uri.text, "path": str(path.resolve())}
        )
    from mlci.validation.sources import mlflow as mlflow_source

    return mlflow_source.fetch(uri, flag=flag, workdir=workdir, tracking_uri=mlflow_tracking_uri)


def fetch_data(spec: DataSpec, *, workdir: Path, mlflow_tracking_uri: str | None) -> DataSpec:
    """Remote evaluation data, fetched to ``workdir``; local data as it is."""
    if not spec.remote:
        return spec
    from mlci.validation.sources import data

    local, resolved = data.fetch(spec.text, workdir, mlflow_tracking_uri)
    return replace(spec, location=str(local), remote=False, resolved=resolved)
