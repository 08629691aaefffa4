"""Helpers for the training tests: build source trees, read back what a sync produced."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "training"
SECRET = "SENTINEL-secret-key-do-not-print"


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    """Create ``files`` (relative path -> content) under ``root``."""
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def bucket_contents(s3: Any, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """Every object under ``prefix/`` (relative key -> bytes)."""
    listed = f"{prefix}/" if prefix else ""
    contents: dict[str, bytes] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=listed):
        for item in page.get("Contents", []):
            relpath = item["Key"][len(listed) :]
            contents[relpath] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return contents


def tree_contents(root: Path, skip_git: bool = True) -> dict[str, bytes]:
    """Every file under ``root`` (relative posix path -> bytes)."""
    found = {}
    for path in root.rglob("*"):
        relpath = path.relative_to(root).as_posix()
        if path.is_file() and not (skip_git and ".git" in relpath.split("/")):
            found[relpath] = path.read_bytes()
    return found


def touch_all(root: Path) -> None:
    """What a fresh checkout does: every mtime new, no content changed."""
    later = os.stat(root).st_mtime + 3600
    for path in root.rglob("*"):
        os.utime(path, (later, later))


def point_aws_at(monkeypatch: pytest.MonkeyPatch, endpoint: str, tmp_path: Path) -> None:
    """Dummy credentials and region, ``endpoint`` as AWS_ENDPOINT_URL, no shared config from the developer."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTINGONLY00000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in (
        "AWS_REGION",
        "AWS_MAX_ATTEMPTS",
        "AWS_RETRY_MODE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
