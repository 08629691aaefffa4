"""The sync decision: which files to upload, which to leave, which destination entries to delete.

A small pure rule (like aws-cli's ``syncstrategy``), the same for both kinds of destination, tested on its
own. It compares CONTENT, never modification times: a fresh checkout gives every file a new mtime and must
upload nothing.

How "same content" is decided, in order:

1. Sizes differ: changed (no hashing needed on the destination side).
2. A local destination hashes its file: equal sha256, same content.
3. S3: the ETag, as ListObjectsV2 returns it (no extra request): the MD5 for a single-part object, the
   multipart ETag (recomputed with mlci's fixed part size) for an object whose ETag ends in ``-N``. Equal
   proves the content; this settles every object of a bucket without SSE-KMS.
4. S3, when the ETag cannot prove it (SSE-KMS makes ETags opaque; another tool's part size): S3's own SHA-256
   checksum of the object, which mlci asks S3 to compute and verify on upload (``ChecksumAlgorithm
   SHA256``): full-object for a single PUT, COMPOSITE (sha256 of the parts' sha256) for a multipart upload.
   ListObjectsV2 says which objects carry one but not its value, so the destination fetches it with one
   HEAD (``ChecksumMode=ENABLED``) per such same-size object, and only for those.

When neither can prove equality, the file is uploaded: a sync may upload too much, never too little. No
state of mlci's own is kept in the bucket (earlier versions kept ``.mlci-sync-manifest.json`` under the
prefix; a sync removes it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from mlci.training.sync.hashing import Digest

#: The manifest earlier mlci versions kept under an S3 prefix: never uploaded from SRC; removed by a sync.
LEGACY_MANIFEST_NAME = ".mlci-sync-manifest.json"


@dataclass(frozen=True)
class LocalEntry:
    """A source file and the digest of its content."""

    relpath: str
    path: str
    digest: Digest

    @property
    def size(self) -> int:
        return self.digest.size


@dataclass(frozen=True)
class RemoteEntry:
    """What the destination holds at one relative path. ``etag`` is unquoted and lower-case.

    ``sha256`` (hex) is a local destination's hash of its file; ``s3_sha256`` is S3's SHA-256 checksum of
    the object (base64, a ``-N`` part count stripped), when it was fetched.
    """

    relpath: str
    size: int
    etag: str | None = None
    sha256: str | None = None
    s3_sha256: str | None = None


@dataclass(frozen=True)
class Upload:
    """A file to upload and why."""

    entry: LocalEntry
    reason: str


@dataclass
class SyncPlan:
    """What a sync will do."""

    uploads: list[Upload] = field(default_factory=list)
    unchanged: list[LocalEntry] = field(default_factory=list)
    deletes: list[RemoteEntry] = field(default_factory=list)

    @property
    def upload_bytes(self) -> int:
        return sum(item.entry.size for item in self.uploads)


def normalize_etag(etag: str) -> str:
    """``'"ABC-2"'`` -> ``'abc-2'``."""
    return etag.strip().strip('"').lower()


def etag_proves_same(digest: Digest, etag: str) -> bool:
    """True when ``etag`` (normalized) is what S3 gives ``digest``'s content: MD5 or mlci's multipart ETag."""
    return etag in (digest.md5, digest.multipart_etag)


def change_reason(local: LocalEntry, remote: RemoteEntry | None) -> str | None:
    """Why ``local`` must be uploaded over ``remote``; None when the destination already has its content."""
    if remote is None:
        return "new"
    if remote.size != local.size:
        return "size changed"
    if remote.sha256 is not None:
        return None if remote.sha256 == local.digest.sha256 else "content changed"
    if remote.etag is not None and etag_proves_same(local.digest, remote.etag):
        return None
    if remote.s3_sha256 is not None:
        return None if remote.s3_sha256 in local.digest.s3_sha256_values() else "content changed"
    if remote.etag is None:
        return "content unknown"
    if "-" in remote.etag and (local.digest.multipart_etag or "-").split("-")[1] != remote.etag.split("-")[1]:
        return "content unknown (multipart object with another part size)"
    return "content changed"


def plan_sync(
    local: Iterable[LocalEntry],
    remote: Iterable[RemoteEntry],
    *,
    delete: bool,
    protected: Callable[[str], bool],
) -> SyncPlan:
    """Compare source and destination.

    ``protected(relpath)`` is True for destination paths that ``--delete`` must never remove (excluded
    paths).
    """
    remote_by_path = {item.relpath: item for item in remote}
    plan = SyncPlan()
    seen: set[str] = set()
    for entry in local:
        seen.add(entry.relpath)
        reason = change_reason(entry, remote_by_path.get(entry.relpath))
        if reason is None:
            plan.unchanged.append(entry)
        else:
            plan.uploads.append(Upload(entry=entry, reason=reason))
    if delete:
        plan.deletes = [
            item
            for path, item in sorted(remote_by_path.items())
            if path not in seen and path != LEGACY_MANIFEST_NAME and not protected(path)
        ]
    return plan
