"""The sync decision rule on its own (no I/O): content decides, never time."""

from __future__ import annotations

import base64
import hashlib

import pytest

from mlci.training.sync.hashing import Digest
from mlci.training.sync.plan import LEGACY_MANIFEST_NAME, LocalEntry, RemoteEntry, change_reason, plan_sync


def local(relpath: str, content: bytes, multipart_etag: str | None = None) -> LocalEntry:
    digest = Digest(
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        md5=hashlib.md5(content, usedforsecurity=False).hexdigest(),
        multipart_etag=multipart_etag,
    )
    return LocalEntry(relpath=relpath, path=f"/src/{relpath}", digest=digest)


A = local("a.py", b"aaa")


@pytest.mark.parametrize(
    ("remote", "reason"),
    [
        (None, "new"),
        (RemoteEntry("a.py", size=4, etag=A.digest.md5), "size changed"),
        (RemoteEntry("a.py", size=3, etag=A.digest.md5), None),
        (RemoteEntry("a.py", size=3, etag=hashlib.md5(b"bbb").hexdigest()), "content changed"),
        (RemoteEntry("a.py", size=3, sha256=A.digest.sha256), None),
        (RemoteEntry("a.py", size=3, sha256="0" * 64, etag=A.digest.md5), "content changed"),  # sha256 wins
        (RemoteEntry("a.py", size=3), "content unknown"),
    ],
)
def test_change_reason(remote: RemoteEntry | None, reason: str | None) -> None:
    assert change_reason(A, remote) == reason


def test_multipart_etag_is_compared_with_the_local_multipart_etag() -> None:
    big = local("w.bin", b"x" * 10, multipart_etag="abc-2")
    assert change_reason(big, RemoteEntry("w.bin", 10, etag="abc-2")) is None
    assert change_reason(big, RemoteEntry("w.bin", 10, etag="def-2")) == "content changed"
    assert change_reason(big, RemoteEntry("w.bin", 10, etag="abc-3")).startswith("content unknown")
    small = local("s.bin", b"x" * 10)  # below the threshold locally, multipart remotely: cannot compare
    assert change_reason(small, RemoteEntry("s.bin", 10, etag="abc-2")).startswith("content unknown")


def test_s3_checksum_decides_where_the_etag_cannot() -> None:
    """Under SSE-KMS the ETag is opaque: S3's own SHA-256 of the object proves (or disproves) the content."""
    full = base64.b64encode(hashlib.sha256(b"aaa").digest()).decode()
    assert change_reason(A, RemoteEntry("a.py", 3, etag="opaque", s3_sha256=full)) is None
    other = base64.b64encode(hashlib.sha256(b"bbb").digest()).decode()
    assert change_reason(A, RemoteEntry("a.py", 3, etag="opaque", s3_sha256=other)) == "content changed"
    assert (
        change_reason(A, RemoteEntry("a.py", 3, etag="opaque")) == "content changed"
    )  # cannot prove: upload
    big = LocalEntry("w.bin", "/src/w.bin", Digest(10, "00" * 32, "m", "abc-2", composite_sha256="Q09NUA=="))
    assert change_reason(big, RemoteEntry("w.bin", 10, etag="opaque-2", s3_sha256="Q09NUA==")) is None


def test_plan_deletes_only_what_source_lost_and_never_protected_paths() -> None:
    remote = [
        RemoteEntry("a.py", 3, etag=A.digest.md5),
        RemoteEntry("gone.py", 1, etag="x"),
        RemoteEntry("keep.log", 1, etag="x"),
        RemoteEntry(LEGACY_MANIFEST_NAME, 10, etag="m"),
    ]
    plan = plan_sync([A, local("b.py", b"b")], remote, delete=True, protected=lambda p: p.endswith(".log"))
    assert [u.entry.relpath for u in plan.uploads] == ["b.py"]
    assert [e.relpath for e in plan.unchanged] == ["a.py"]
    assert [e.relpath for e in plan.deletes] == ["gone.py"]
    assert plan.upload_bytes == 1
    assert plan_sync([A], remote, delete=False, protected=lambda p: False).deletes == []
