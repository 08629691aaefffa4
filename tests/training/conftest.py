"""Fixtures for continuous training: one moto server (S3, SageMaker, CloudWatch Logs) on 127.0.0.1."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from training.sagemaker_standin import SageMakerStandIn, serve
from training.tree_helpers import point_aws_at


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real moto server for the whole session, on a free port."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log from the server thread
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point boto3 at the moto server (as a user would with AWS_ENDPOINT_URL)."""
    point_aws_at(monkeypatch, moto_endpoint, tmp_path)
    return moto_endpoint


@pytest.fixture
def s3(aws_env: str) -> Any:
    """A plain boto3 S3 client on moto (to inspect what mlci did)."""
    import boto3

    return boto3.client("s3", endpoint_url=aws_env)


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh, empty bucket."""
    name = f"mlci-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def standin(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SageMakerStandIn]:
    """SageMaker's API on a local stand-in (what moto lacks); S3 and CloudWatch Logs stay on moto."""
    state = SageMakerStandIn()
    with serve(state) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", endpoint)
        yield state
