"""Evaluation data kept elsewhere, fetched to a local folder by each ecosystem's own client.

One fetcher per scheme (:data:`FETCHERS`): ``s3://BUCKET/KEY`` (boto3; AWS_ENDPOINT_URL and the AWS_*
credentials as boto3 reads them; a key ending in ``/`` is a folder of Parquet files), ``https://`` (streamed
to disk), ``runs:/RUN_ID/PATH`` (``mlflow.artifacts``) and ``hf://datasets/OWNER/NAME[@REVISION]/PATH``
(``huggingface_hub``, its cache and HF_* settings). Each streams to disk; the readers of
:mod:`mlci.validation.data` then read the local copy chunk by chunk. A missing object is one line naming it.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mlci.errors import UserError

if TYPE_CHECKING:
    from mlci.validation.sources import FetchedModel

log = logging.getLogger(__name__)

_TITLE = "mlci validate: bad data"


def _s3(text: str, workdir: Path, tracking_uri: str | None) -> Path:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = text.removeprefix("s3://").partition("/")
    if not (bucket and key):
        raise UserError(f"--data {text}: expected s3://BUCKET/KEY (or s3://BUCKET/PREFIX/ for a folder).")
    client = boto3.client("s3")
    try:
        if key.endswith("/"):
            keys = [
                item["Key"]
                for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
                for item in page.get("Contents", [])
                if item["Key"].endswith((".parquet", ".pq"))
            ]
            if not keys:
                raise UserError(f"--data {text}: no .parquet object under this prefix.", title=_TITLE)
            for name in keys:
                target = workdir / "folder" / PurePosixPath(name).relative_to(key)
                target.parent.mkdir(parents=True, exist_ok=True)
                client.download_file(bucket, name, str(target))
            return workdir / "folder"
        target = workdir / PurePosixPath(key).name
        client.download_file(bucket, key, str(target))
        return target
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NoSuchBucket"):
            raise UserError(
                f"--data {text}: no such object; check the bucket and the key.", title=_TITLE
            ) from None
        raise UserError(f"--data {text}: S3 refused the download ({code}); check the credentials.") from None
    except BotoCoreError as exc:  # no credentials, no endpoint...
        raise UserError(f"--data {text}: cannot read from S3: {exc}", title=_TITLE) from None


def _http(text: str, workdir: Path, tracking_uri: str | None) -> Path:
    import urllib.error
    import urllib.request

    target = workdir / (PurePosixPath(text.split("?")[0]).name or "data")
    if not text.startswith(("https://", "http://")):  # never file:// or another scheme urllib opens
        raise UserError(f"--data {text}: expected an https:// URL.", title=_TITLE)
    try:
        response = urllib.request.urlopen(text, timeout=60)  # nosec B310 - http(s) only, checked above
        with response, target.open("wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except urllib.error.HTTPError as exc:
        raise UserError(
            f"--data {text}: the server answered HTTP {exc.code}; check the URL.", title=_TITLE
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"--data {text}: cannot download it: {reason}", title=_TITLE) from None
    return target


def _mlflow_run(text: str, workdir: Path, tracking_uri: str | None) -> Path:
    from mlci.validation.sources import mlflow as mlflow_source
    from mlci.validation.uri import MlflowUri, parse_model_uri

    uri = parse_model_uri(text, "--data")
    assert isinstance(uri, MlflowUri)  # the scheme chose this fetcher  # nosec B101
    return mlflow_source.fetch(uri, flag="--data", workdir=workdir, tracking_uri=tracking_uri).path


def _hub_dataset(text: str, workdir: Path, tracking_uri: str | None) -> FetchedModel:
    from mlci.validation.sources import hf
    from mlci.validation.uri import parse_hf_uri

    return hf.fetch(parse_hf_uri(text, "--data", repo_type="dataset"), flag="--data")  # and its commit


#: scheme -> fetcher(text, workdir, mlflow tracking URI) -> a local path, or a fetch that names its commit
FETCHERS: dict[str, Callable[[str, Path, str | None], Path | FetchedModel]] = {
    "s3://": _s3,
    "https://": _http,
    "http://": _http,
    "runs:/": _mlflow_run,
    "hf://datasets/": _hub_dataset,
}


def fetch(text: str, workdir: Path, tracking_uri: str | None) -> tuple[Path, dict[str, Any] | None]:
    """Fetch the data ``text`` names into ``workdir``; the local file or folder, and what it resolved to
    (for the report: a Hub dataset's commit), if the source says."""
    workdir.mkdir(parents=True, exist_ok=True)
    scheme = next(s for s in FETCHERS if text.startswith(s))
    log.info("Fetching the data %s", text)
    fetched = FETCHERS[scheme](text, workdir, tracking_uri)
    return (fetched, None) if isinstance(fetched, Path) else (fetched.path, fetched.identity)
