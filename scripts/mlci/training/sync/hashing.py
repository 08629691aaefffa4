"""Content digests of local files, computed once per run in one streaming pass.

One pass over a file yields everything a sync compares:

* ``sha256``: the content hash mlci trusts (a local destination compares it directly; S3 stores it as the
  object's SHA-256 checksum, see :mod:`mlci.training.sync.plan`);
* ``md5``: what S3 returns as the ETag of an object uploaded in one part without SSE-KMS/SSE-C;
* ``multipart_etag``: what S3 returns as the ETag of an object uploaded in parts:
  ``md5(md5(part 1) + ... + md5(part N))`` in hex, then ``-N``. It is reproducible only with the same part
  size, so the uploader and this module share :func:`part_size_for` (which mirrors s3transfer's
  ``ChunksizeAdjuster``: at most 10,000 parts, parts between 5 MiB and 5 GiB);
* ``composite_sha256``: the SHA-256 checksum S3 keeps for a multipart upload made with ``ChecksumAlgorithm
  SHA256`` (type COMPOSITE: the sha256 of the parts' sha256 digests), same part size.

Files are read in 1 MiB blocks, so memory stays flat whatever the file size. ``hashlib`` releases the GIL on
large buffers, so hashing several files on a thread pool uses several cores.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

_In = TypeVar("_In")
_Out = TypeVar("_Out")

MIB = 1024 * 1024
#: Part size (and multipart threshold) of uploads: fixed, so a multipart ETag can be recomputed locally.
DEFAULT_PART_SIZE = 8 * MIB
MIN_PART_SIZE = 5 * MIB
MAX_PART_SIZE = 5 * 1024 * MIB
MAX_PARTS = 10_000
_BLOCK = MIB


@dataclass(frozen=True)
class Digest:
    """What one pass over a file's bytes tells about its content."""

    size: int
    sha256: str
    md5: str
    #: ``"<hex>-<parts>"`` when the file is at or above the multipart threshold, else None.
    multipart_etag: str | None = None
    #: S3's COMPOSITE SHA-256 of a multipart upload (base64 of the sha256 of the parts' sha256), else None.
    composite_sha256: str | None = None

    def etag(self) -> str:
        """The ETag S3 gives this content when uploaded by mlci (multipart at/above the threshold)."""
        return self.multipart_etag or self.md5

    def s3_sha256_values(self) -> set[str]:
        """The base64 SHA-256 checksums S3 may hold for this content: full object, and composite."""
        full = base64.b64encode(bytes.fromhex(self.sha256)).decode("ascii")
        return {full, self.composite_sha256} if self.composite_sha256 else {full}


def part_size_for(size: int, part_size: int = DEFAULT_PART_SIZE) -> int:
    """The part size an upload of ``size`` bytes uses: doubled until it needs at most 10,000 parts."""
    while -(-size // part_size) > MAX_PARTS:
        part_size *= 2
    return min(max(part_size, MIN_PART_SIZE), MAX_PART_SIZE)


def digest_file(path: str | os.PathLike[str], *, part_size: int = DEFAULT_PART_SIZE) -> Digest:
    """Hash ``path`` once: sha256, md5 and, for files of ``part_size`` bytes or more, per part.

    ``part_size`` is also the multipart threshold, as in :func:`mlci.training.sync.s3.transfer_config`.
    """
    size = os.path.getsize(path)
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    multipart = size >= part_size
    chunk = part_size_for(size, part_size) if multipart else 0
    part_md5s: list[bytes] = []
    part_sha256s: list[bytes] = []
    part_md5, part_sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    left_in_part = chunk
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            sha256.update(block)
            md5.update(block)
            if not multipart:
                continue
            view = memoryview(block)
            while view:
                take = view[:left_in_part]
                part_md5.update(take)
                part_sha256.update(take)
                view = view[len(take) :]
                left_in_part -= len(take)
                if left_in_part == 0:
                    part_md5s.append(part_md5.digest())
                    part_sha256s.append(part_sha256.digest())
                    part_md5, part_sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
                    left_in_part = chunk
    if not multipart:
        return Digest(size=size, sha256=sha256.hexdigest(), md5=md5.hexdigest())
    if left_in_part != chunk:
        part_md5s.append(part_md5.digest())
        part_sha256s.append(part_sha256.digest())
    combined = hashlib.md5(b"".join(part_md5s), usedforsecurity=False).hexdigest()
    composite = base64.b64encode(hashlib.sha256(b"".join(part_sha256s)).digest()).decode("ascii")
    return Digest(
        size=size,
        sha256=sha256.hexdigest(),
        md5=md5.hexdigest(),
        multipart_etag=f"{combined}-{len(part_md5s)}",
        composite_sha256=composite,
    )


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's content, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def worker_pool(workers: int, name: str) -> Iterator[ThreadPoolExecutor]:
    """A thread pool whose threads have all stopped when the block is left, also on error or Ctrl-C.

    On an exception (a KeyboardInterrupt included) work not yet started is cancelled, then the running
    items are waited for: no worker outlives the caller, and none keeps logging after it returned.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def parallel_map(function: Callable[[_In], _Out], items: Iterable[_In], workers: int) -> list[_Out]:
    """``list(map(function, items))`` on a thread pool (results in input order); every worker joined."""
    pending = list(items)
    if workers <= 1 or len(pending) < 2:
        return list(map(function, pending))
    with worker_pool(workers, "mlci-worker") as pool:
        return list(pool.map(function, pending))


def default_workers() -> int:
    """Hashing threads: one per core, at most 8."""
    return max(1, min(8, os.cpu_count() or 1))
