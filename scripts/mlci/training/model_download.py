"""Fetch a SageMaker job's ``model.tar.gz`` and unpack it safely (for the validation step that follows)."""

from __future__ import annotations

import os
import tarfile
import tempfile
from typing import Any

from mlci.errors import UserError
from mlci.training import aws
from mlci.training.s3uri import S3Location


def download_model(client: Any, uri: str, directory: str) -> str:
    """Download ``uri`` (an ``s3://.../model.tar.gz``), extract it into ``directory``; return the directory.

    Extraction uses tarfile's ``data`` filter: no absolute paths, no ``..``, no links out of the directory,
    no device files.
    """
    location = S3Location.parse(uri, "model artifacts")
    os.makedirs(directory, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mlci-model-") as tmp:
        archive = os.path.join(tmp, "model.tar.gz")
        try:
            client.download_file(location.bucket, location.prefix, archive)
        except Exception as exc:
            aws.raise_translated(exc, f"--download-model: model artifacts {uri}")
        try:
            with tarfile.open(archive, "r:*") as tar:
                tar.extractall(directory, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise UserError(f"--download-model: {uri} is not a readable model archive ({exc}).") from exc
    return os.path.abspath(directory)
