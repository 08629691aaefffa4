"""The S3 side of a sync: list a prefix, check S3's checksums where ETags fall short, upload, delete.

Cost per run: one ListObjectsV2 request per 1,000 objects; one HEAD per same-size object whose ETag cannot
prove its content (none in a bucket without SSE-KMS, one per object under SSE-KMS), then only the changed
files' uploads and batched DeleteObjects (1,000 keys per request). Nothing else is written to the prefix, so
a training container's code directory holds exactly SRC.

Uploads go through s3transfer's TransferManager (what ``aws s3 sync`` uses): parallel, multipart from
:data:`mlci.training.sync.hashing.DEFAULT_PART_SIZE` up with that same fixed part size (so multipart ETags
and composite checksums can be recomputed locally), retried by botocore's standard retry mode, and with
S3's SHA-256 checksum, which S3 verifies and keeps with the object (see :mod:`mlci.training.sync.plan` for
how it is compared). A single-part upload sends the SHA-256 the sync already computed (``ChecksumSHA256``
beside ``ChecksumAlgorithm=SHA256``):
the file is not hashed a second time, and S3 refuses the upload (BadDigest) if the bytes sent are not the
ones the plan hashed. A multipart upload sends ``ChecksumAlgorithm=SHA256`` and botocore hashes each part.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mlci.training import aws
from mlci.training.s3uri import S3Location
from mlci.training.sync.hashing import DEFAULT_PART_SIZE, Digest, parallel_map
from mlci.training.sync.plan import (
    LEGACY_MANIFEST_NAME,
    RemoteEntry,
    Upload,
    etag_proves_same,
    normalize_etag,
)
from mlci.training.sync.progress import Progress
from mlci.training.sync.result import Failure, TransferReport

log = logging.getLogger(__name__)

_DELETE_BATCH = 1000
_CHECKSUM = "SHA256"


class S3Destination:
    """``s3://BUCKET/PREFIX`` as a sync destination."""

    reserved_names: tuple[str, ...] = (LEGACY_MANIFEST_NAME,)

    def __init__(
        self,
        location: S3Location,
        *,
        concurrency: int = 10,
        max_attempts: int = aws.DEFAULT_MAX_ATTEMPTS,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        self.location = location
        self.concurrency = concurrency
        self.part_size = part_size
        self.what = f"DEST {location}"
        self.client = aws.client("s3", max_attempts=max_attempts, max_pool_connections=concurrency + 2)
        self._legacy_manifest = False

    def __str__(self) -> str:
        return str(self.location)

    def check_source(self, source: str) -> None:
        """Any local source can go to S3."""

    # ----------------------------------------------------------------------------------------- reading

    def remote_entries(self, local: Mapping[str, Digest]) -> list[RemoteEntry]:
        """Every object under the prefix (ListObjectsV2), with S3's SHA-256 where the ETag falls short."""
        listed: list[dict[str, Any]] = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=self.location.list_prefix
            )
            for page in pages:
                listed += [item for item in page.get("Contents", []) if not item["Key"].endswith("/")]
        except Exception as exc:
            aws.raise_translated(exc, self.what)
        entries = [
            RemoteEntry(
                relpath=self.location.relpath(i["Key"]), size=i["Size"], etag=normalize_etag(i["ETag"])
            )
            for i in listed
        ]
        self._legacy_manifest = any(entry.relpath == LEGACY_MANIFEST_NAME for entry in entries)
        unproven = {
            entry.relpath
            for entry, item in zip(entries, listed)
            if entry.relpath in local
            and local[entry.relpath].size == entry.size
            and not etag_proves_same(local[entry.relpath], entry.etag or "")
            and _CHECKSUM in item.get("ChecksumAlgorithm", [])
        }
        paths = sorted(unproven)
        checksums = dict(zip(paths, parallel_map(self._s3_sha256, paths, self.concurrency)))
        return [replace(e, s3_sha256=checksums[e.relpath]) if e.relpath in checksums else e for e in entries]

    def _s3_sha256(self, relpath: str) -> str | None:
        """S3's SHA-256 checksum of one object (HEAD with ChecksumMode), base64, without a ``-N`` suffix."""
        try:
            head = self.client.head_object(
                Bucket=self.location.bucket, Key=self.location.key(relpath), ChecksumMode="ENABLED"
            )
        except Exception as exc:
            aws.raise_translated(exc, self.what)
        value = head.get("ChecksumSHA256")
        return str(value).split("-")[0] if value else None

    # ----------------------------------------------------------------------------------------- writing

    def upload(self, uploads: Sequence[Upload], progress: Progress) -> TransferReport:
        """Upload in parallel; a failed file is reported (after botocore's retries), never stops the rest."""
        from boto3.s3.transfer import TransferConfig, create_transfer_manager
        from s3transfer.subscribers import BaseSubscriber

        class _Counter(BaseSubscriber):
            def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
                progress.add_bytes(bytes_transferred)

            def on_done(self, future: Any, **kwargs: Any) -> None:
                progress.file_done()

        config = TransferConfig(
            multipart_threshold=self.part_size,
            multipart_chunksize=self.part_size,
            max_concurrency=self.concurrency,
            use_threads=True,
            preferred_transfer_client="classic",
        )
        report = TransferReport()
        with create_transfer_manager(self.client, config) as manager:
            futures = [
                (
                    item.entry,
                    manager.upload(
                        item.entry.path,
                        self.location.bucket,
                        self.location.key(item.entry.relpath),
                        extra_args=self._checksum_args(item.entry.digest),
                        subscribers=[_Counter()],
                    ),
                )
                for item in uploads
            ]
            for entry, future in futures:
                try:
                    future.result()
                except Exception as exc:
                    report.failed.append(Failure(entry.relpath, str(exc), aws.translate(exc, self.what)))
                else:
                    report.done.append(entry.relpath)
                    report.bytes += entry.size
        return report

    def _checksum_args(self, digest: Digest) -> dict[str, str]:
        """S3's SHA-256 for an upload: the digest already made below the part size, else per part."""
        if digest.multipart_etag is None and digest.size < self.part_size:
            sha256 = base64.b64encode(bytes.fromhex(digest.sha256)).decode("ascii")
            return {"ChecksumAlgorithm": _CHECKSUM, "ChecksumSHA256": sha256}  # given: botocore skips its own
        return {"ChecksumAlgorithm": _CHECKSUM}

    def delete(self, entries: Sequence[RemoteEntry], progress: Progress) -> TransferReport:
        """DeleteObjects in batches of 1,000 keys."""
        report = TransferReport()
        paths = [entry.relpath for entry in entries]
        for start in range(0, len(paths), _DELETE_BATCH):
            batch = paths[start : start + _DELETE_BATCH]
            try:
                answer = self.client.delete_objects(
                    Bucket=self.location.bucket,
                    Delete={"Objects": [{"Key": self.location.key(p)} for p in batch], "Quiet": True},
                )
            except Exception as exc:
                report.failed += [Failure(p, str(exc), aws.translate(exc, self.what)) for p in batch]
                continue
            errors = {self.location.relpath(e["Key"]): e for e in answer.get("Errors", [])}
            for path in batch:
                if path in errors:
                    report.failed.append(
                        Failure(path, f"{errors[path].get('Code')}: {errors[path].get('Message')}")
                    )
                else:
                    report.done.append(path)
                progress.file_done()
        return report

    def finish(self) -> None:
        """Remove the manifest an earlier mlci left under the prefix (it would land in the container)."""
        if not self._legacy_manifest:
            return
        try:
            self.client.delete_object(
                Bucket=self.location.bucket, Key=self.location.key(LEGACY_MANIFEST_NAME)
            )
        except Exception as exc:
            log.warning(
                "could not remove the old sync manifest %s (%s)", self.location.key(LEGACY_MANIFEST_NAME), exc
            )
