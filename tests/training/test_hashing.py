"""Local digests match what S3 reports: MD5 ETags, multipart ETags, the part size s3transfer uses."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
from s3transfer.utils import ChunksizeAdjuster

from mlci.training.sync.hashing import MIB, digest_file, parallel_map, part_size_for, sha256_file

GIB = 1024 * MIB


@pytest.mark.parametrize("size", [0, 1, 8 * MIB, 80 * GIB, 80 * GIB + 1, 200 * GIB, 5 * 1024 * GIB])
def test_part_size_matches_s3transfer(size: int) -> None:
    assert part_size_for(size, 8 * MIB) == ChunksizeAdjuster().adjust_chunksize(8 * MIB, size)


def test_small_file_digest(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"hello")
    digest = digest_file(path)
    assert digest.md5 == hashlib.md5(b"hello", usedforsecurity=False).hexdigest()
    assert digest.sha256 == hashlib.sha256(b"hello").hexdigest() == sha256_file(path)
    assert (digest.size, digest.multipart_etag, digest.etag()) == (5, None, digest.md5)


@pytest.mark.parametrize("size", [5 * MIB, 11 * MIB, 15 * MIB])
def test_multipart_etag_at_and_above_the_threshold(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "big"
    path.write_bytes(data)
    part = 5 * MIB
    parts = [data[i : i + part] for i in range(0, size, part)]
    expected = hashlib.md5(
        b"".join(hashlib.md5(p, usedforsecurity=False).digest() for p in parts), usedforsecurity=False
    ).hexdigest()
    digest = digest_file(path, part_size=part)
    assert digest.multipart_etag == f"{expected}-{len(parts)}" == digest.etag()
    assert digest.md5 == hashlib.md5(data, usedforsecurity=False).hexdigest()
    composite = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()
    assert digest.composite_sha256 == base64.b64encode(composite).decode()  # S3's COMPOSITE SHA-256


def test_parallel_map_keeps_order() -> None:
    assert list(parallel_map(lambda x: x * 2, range(50), workers=4)) == [x * 2 for x in range(50)]
