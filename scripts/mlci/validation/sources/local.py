"""A model file or MLflow model directory on this machine."""

from __future__ import annotations

from pathlib import Path

from mlci.errors import UserError
from mlci.validation.sources import FetchedModel
from mlci.validation.uri import LocalUri


def fetch(uri: LocalUri, *, flag: str) -> FetchedModel:
    """Check that the path exists; a local model needs no download."""
    path = Path(uri.path).expanduser()
    if not path.exists():
        raise UserError(
            f"{flag} {uri.text}: no such file or directory; check the path (relative to {Path.cwd()})."
        )
    return FetchedModel(path=path, identity={"source": "local", "uri": uri.text, "path": str(path.resolve())})
