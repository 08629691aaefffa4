"""The S3 side of a sync: list a prefix, upload through boto3's transfer manager, delete, write the manifest.

Cost per run: one ListObjectsV2 request per 1,000 objects, one GET of the manifest, then only the changed
files' uploads, batched DeleteObjects (1,000 keys per request), and one PUT of the manifest when it changed.
No HEAD per object.

Uploads go through s3transfer's TransferManager (what ``aws s3 sync`` uses): parallel, multipart from
:data:`mlci.training.sync.hashing.DEFAULT_PART_SIZE` up with that same fixed part size (so the multipart ETag can
be recomputed locally), retried by botocore's standard retry mode. The ETag S3 answers for each upload is
captured from the PutObject / CompleteMultipartUpload responses (botocore events: no extra request) and
recorded in the manifest next to the content's sha256.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from mlci.errors import UserError
from mlci.training import aws
from mlci.training.s3uri import S3Location
from mlci.training.sync.hashing import DEFAULT_PART_SIZE
from mlci.training.sync.plan import (
    MANIFEST_NAME,
    LocalEntry,
    ManifestEntry,
    RemoteEntry,
    SyncPlan,
    Upload,
    normalize_etag,
    remote_entry,
)
from mlci.training.sync.progress import Progress
from mlci.training.sync.result import Failure, TransferReport

log = logging.getLogger(__name__)

MANIFEST_FORMAT = "mlci-sync-manifest/1"
_DELETE_BATCH = 1000


class S3Destination:
    """``s3://BUCKET/PREFIX`` as a sync destination."""

    reserved_names: tuple[str, ...] = (MANIFEST_NAME,)

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
        self._manifest: dict[str, ManifestEntry] = {}
        self._uploaded_etags: dict[str, str] = {}

    def __str__(self) -> str:
        return str(self.location)

    def check_source(self, source: str) -> None:
        """Any local source can go to S3."""

    # ----------------------------------------------------------------------------------------- reading

    def remote_entries(self, local_sizes: Mapping[str, int]) -> list[RemoteEntry]:
        """Every object under the prefix (ListObjectsV2: key, size, ETag), vouched for by the manifest."""
        listed: list[tuple[str, int, str]] = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=self.location.list_prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    if not item["Key"].endswith("/"):  # "folder" markers are not files
                        listed.append((self.location.relpath(item["Key"]), item["Size"], item["ETag"]))
        except Exception as exc:
            aws.raise_translated(exc, self.what)
        self._manifest = self._read_manifest() if any(p == MANIFEST_NAME for p, _, _ in listed) else {}
        return [remote_entry(path, size, etag, self._manifest) for path, size, etag in listed]

    def _read_manifest(self) -> dict[str, ManifestEntry]:
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.location.key(MANIFEST_NAME)
        try:
            body = self.client.get_object(Bucket=self.location.bucket, Key=key)["Body"].read()
            files = json.loads(body)["files"]
            return {
                path: ManifestEntry(
                    size=int(e["size"]), etag=normalize_etag(e["etag"]), sha256=str(e["sha256"])
                )
                for path, e in files.items()
            }
        except (ClientError, BotoCoreError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning(
                "ignoring the sync manifest s3://%s/%s (%s): comparing by ETag",
                self.location.bucket,
                key,
                exc,
            )
            return {}

    # ----------------------------------------------------------------------------------------- writing

    @contextmanager
    def _captured_etags(self) -> Iterator[dict[str, str]]:
        """Collect ``key -> ETag`` from PutObject / CompleteMultipartUpload responses while active."""
        etags: dict[str, str] = {}
        lock = threading.Lock()

        def remember_key(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["mlci_key"] = params.get("Key")

        def record_etag(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            key, etag = context.get("mlci_key"), parsed.get("ETag")
            if key and etag:
                with lock:
                    etags[key] = normalize_etag(etag)

        events = self.client.meta.events
        handlers: list[tuple[str, Callable[..., None]]] = []
        for operation in ("PutObject", "CompleteMultipartUpload"):
            handlers.append((f"before-parameter-build.s3.{operation}", remember_key))
            handlers.append((f"after-call.s3.{operation}", record_etag))
        for event, handler in handlers:
            events.register(event, handler)
        try:
            yield etags
        finally:
            for event, handler in handlers:
                events.unregister(event, handler)

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
        with self._captured_etags() as etags:
            with create_transfer_manager(self.client, config) as manager:
                futures = [
                    (
                        item.entry,
                        manager.upload(
                            item.entry.path,
                            self.location.bucket,
                            self.location.key(item.entry.relpath),
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
        self._uploaded_etags = {self.location.relpath(key): etag for key, etag in etags.items()}
        return report

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

    def finish(self, plan: SyncPlan, remote: Sequence[RemoteEntry], uploaded: Sequence[str]) -> None:
        """Write the manifest last: the sha256 of every object whose content this run knows."""
        deleted = {entry.relpath for entry in plan.deletes}
        files = {
            entry.relpath: ManifestEntry(size=entry.size, etag=entry.etag, sha256=entry.sha256)
            for entry in remote
            if entry.sha256 and entry.etag and entry.relpath not in deleted
        }
        remote_by_path = {entry.relpath: entry for entry in remote}
        for local in plan.unchanged:  # proven equal by ETag: this object version has this content
            etag = remote_by_path[local.relpath].etag
            if etag:
                files[local.relpath] = ManifestEntry(size=local.size, etag=etag, sha256=local.digest.sha256)
        uploads: dict[str, LocalEntry] = {item.entry.relpath: item.entry for item in plan.uploads}
        for path in uploaded:
            etag = self._uploaded_etags.get(path)
            if etag:
                files[path] = ManifestEntry(
                    size=uploads[path].size, etag=etag, sha256=uploads[path].digest.sha256
                )
            else:
                files.pop(path, None)
        if files == self._manifest:
            return
        document = {
            "format": MANIFEST_FORMAT,
            "part_size": self.part_size,
            "files": {
                path: {"size": e.size, "etag": e.etag, "sha256": e.sha256}
                for path, e in sorted(files.items())
            },
        }
        try:
            self.client.put_object(
                Bucket=self.location.bucket,
                Key=self.location.key(MANIFEST_NAME),
                Body=json.dumps(document, indent=1).encode("utf-8"),
                ContentType="application/json",
            )
        except Exception as exc:
            error = aws.translate(exc, self.what)
            if isinstance(error, UserError):
                raise error from exc
            log.warning("could not write the sync manifest (%s); the next sync compares by ETag", exc)
