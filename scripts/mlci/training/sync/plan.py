"""The sync decision: which files to upload, which to leave, which destination entries to delete.

A small pure rule (like aws-cli's ``syncstrategy``), the same for both kinds of destination, tested on its
own. It compares CONTENT, never modification times: a fresh checkout gives every file a new mtime and must
upload nothing.

How "same content" is decided, in order:

1. Sizes differ: changed (no hashing needed on the destination side).
2. The destination entry has a trusted sha256: equal hashes mean same content. A local destination hashes
   its file; for S3 the sha256 comes from mlci's sync manifest, and only when the manifest's entry still
   describes the object that is there now (same ETag and size): a manifest only vouches for the object
   version it saw.
3. The destination entry has an ETag (S3): compare it with the ETag S3 would give the local content: the
   MD5 for a single-part object, the multipart ETag (computed with mlci's fixed part size) for an object
   whose ETag ends in ``-N``.

Why both ETag and a manifest: ListObjectsV2 returns each object's ETag and size, one request per 1,000
objects, but no metadata (a sha256 stored as ``x-amz-meta-*`` would need one HEAD per object, which does not
scale). An ETag is a content MD5 only for single-part uploads without SSE-KMS/SSE-C; multipart ETags depend
on the part size; and under SSE-KMS (a common bucket default) an ETag is opaque. The manifest
(``.mlci-sync-manifest.json`` under the prefix, written last) maps each object's ETag to the sha256 of the
content mlci uploaded, so a KMS-encrypted bucket or an object uploaded with another part size still
compares by content after mlci's first sync. Without a manifest (first sync, or objects written by another
tool) step 3 still recognises unchanged content. When neither can prove equality, the file is uploaded: a
sync may upload too much, never too little.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from mlci.training.sync.hashing import Digest

#: The object mlci keeps under an S3 prefix (never uploaded from SRC, never deleted by --delete).
MANIFEST_NAME = ".mlci-sync-manifest.json"


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
    """What the destination holds at one relative path. ``etag`` is unquoted and lower-case."""

    relpath: str
    size: int
    etag: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class ManifestEntry:
    """What mlci uploaded to a key: the object's ETag and size then, and the content's sha256."""

    size: int
    etag: str
    sha256: str


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


def remote_entry(relpath: str, size: int, etag: str, manifest: Mapping[str, ManifestEntry]) -> RemoteEntry:
    """An S3 object as the plan sees it: its ETag, plus the manifest's sha256 when it vouches for it."""
    etag = normalize_etag(etag)
    known = manifest.get(relpath)
    sha256 = known.sha256 if known and known.etag == etag and known.size == size else None
    return RemoteEntry(relpath=relpath, size=size, etag=etag, sha256=sha256)


def change_reason(local: LocalEntry, remote: RemoteEntry | None) -> str | None:
    """Why ``local`` must be uploaded over ``remote``; None when the destination already has its content."""
    if remote is None:
        return "new"
    if remote.size != local.size:
        return "size changed"
    if remote.sha256 is not None:
        return None if remote.sha256 == local.digest.sha256 else "content changed"
    if remote.etag is not None:
        if "-" in remote.etag:
            ours = local.digest.multipart_etag
            if ours is None or ours.split("-")[1] != remote.etag.split("-")[1]:
                return "content unknown (multipart object with another part size)"
            return None if ours == remote.etag else "content changed"
        return None if remote.etag == local.digest.md5 else "content changed"
    return "content unknown"


def plan_sync(
    local: Iterable[LocalEntry],
    remote: Iterable[RemoteEntry],
    *,
    delete: bool,
    protected: Callable[[str], bool],
) -> SyncPlan:
    """Compare source and destination.

    ``protected(relpath)`` is True for destination paths that ``--delete`` must never remove (excluded
    paths, mlci's own manifest).
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
            if path not in seen and path != MANIFEST_NAME and not protected(path)
        ]
    return plan
