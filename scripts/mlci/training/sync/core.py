"""``mlci sync SRC DEST``: scan, hash once, plan, transfer, record. Returns a :class:`SyncResult`.

The steps, whatever the destination:

1. scan SRC (``.git`` and ``--exclude`` globs out, optionally what ``.gitignore`` ignores);
2. hash every source file once, on a thread pool (:mod:`mlci.training.sync.hashing`);
3. list the destination (S3: ListObjectsV2, S3's checksums where ETags fall short; a directory: a walk,
   hashing same-size files);
4. plan (:mod:`mlci.training.sync.plan`): upload what differs by content, delete (opt-in) what SRC lost;
5. unless ``dry_run``: upload (S3 computes and keeps each object's SHA-256), then delete.

Failures of single files do not stop the others: the result lists them and the command exits 1. As nothing
is recorded for a file that did not arrive, the next run uploads exactly what is still missing.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mlci.errors import UserError
from mlci.training import aws
from mlci.training.path_safety import check_in_workspace
from mlci.training.s3uri import S3Location, is_s3_uri
from mlci.training.sync.hashing import DEFAULT_PART_SIZE, Digest, default_workers, digest_file, parallel_map
from mlci.training.sync.plan import LocalEntry, RemoteEntry, Upload, plan_sync
from mlci.training.sync.progress import Progress
from mlci.training.sync.result import SyncResult, TransferReport
from mlci.training.sync.source_tree import Excluder, SourceFile, git_ignored, scan

log = logging.getLogger(__name__)


class Destination(Protocol):
    """What a sync needs from a destination (S3 prefix or local directory)."""

    reserved_names: tuple[str, ...]

    def check_source(self, source: str) -> None: ...

    def remote_entries(self, local: Mapping[str, Digest]) -> list[RemoteEntry]: ...

    def upload(self, uploads: Sequence[Upload], progress: Progress) -> TransferReport: ...

    def delete(self, entries: Sequence[RemoteEntry], progress: Progress) -> TransferReport: ...

    def finish(self) -> None: ...


@dataclass
class SyncOptions:
    """Everything ``mlci sync`` can be told besides SRC and DEST."""

    excludes: list[str] = field(default_factory=list)
    respect_gitignore: bool = False
    delete: bool = False
    dry_run: bool = False
    concurrency: int = 10
    max_attempts: int = aws.DEFAULT_MAX_ATTEMPTS
    part_size: int = DEFAULT_PART_SIZE
    progress_interval: float = 5.0


def open_destination(dest: str, options: SyncOptions) -> Destination:
    """An S3 prefix for ``s3://...``, else a local directory."""
    if is_s3_uri(dest):
        from mlci.training.sync.s3 import S3Destination

        location = S3Location.parse(dest, "DEST")
        return S3Destination(
            location,
            concurrency=options.concurrency,
            max_attempts=options.max_attempts,
            part_size=options.part_size,
        )
    if "://" in dest:
        raise UserError(f"DEST {dest}: unsupported scheme; pass s3://BUCKET/PREFIX or a local directory.")
    from mlci.training.sync.local import LocalDestination

    return LocalDestination(dest)


def hash_sources(files: Sequence[SourceFile], part_size: int) -> list[LocalEntry]:
    """Digest every source file once (in parallel); a file that vanished or is unreadable is a UserError."""

    def entry(item: SourceFile) -> LocalEntry:
        try:
            return LocalEntry(
                relpath=item.relpath, path=item.path, digest=digest_file(item.path, part_size=part_size)
            )
        except OSError as exc:
            raise UserError(
                f"SRC: cannot read {item.relpath} ({exc.strerror or exc}); fix its permissions or exclude it."
            ) from exc

    return list(parallel_map(entry, files, default_workers()))


def _protection(
    source: str, excluded: Excluder, options: SyncOptions, remote: Sequence[RemoteEntry], local: set[str]
) -> Callable[[str], bool]:
    """The predicate of destination paths ``--delete`` must keep: excluded ones (and gitignored ones)."""
    ignored: set[str] = set()
    if options.delete and options.respect_gitignore:
        ignored = git_ignored(source, [e.relpath for e in remote if e.relpath not in local])
    return lambda relpath: excluded(relpath) or relpath in ignored


def sync(source: str, dest: str, options: SyncOptions) -> SyncResult:
    """Make DEST hold SRC's content; see the module docstring."""
    started = time.monotonic()
    if not os.path.isdir(source):
        raise UserError(f"SRC {source}: not a directory; pass the directory to sync.")
    check_in_workspace(source, "SRC")
    destination = open_destination(dest, options)
    destination.check_source(source)
    excluded = Excluder([*options.excludes, *destination.reserved_names])
    files = scan(source, excluded, respect_gitignore=options.respect_gitignore)
    local = hash_sources(files, options.part_size)
    remote = destination.remote_entries({entry.relpath: entry.digest for entry in local})
    protected = _protection(source, excluded, options, remote, {entry.relpath for entry in local})
    plan = plan_sync(local, remote, delete=options.delete, protected=protected)
    log.info(
        "%s -> %s: %d files, %d to upload, %d unchanged, %d to delete",
        source,
        destination,
        len(local),
        len(plan.uploads),
        len(plan.unchanged),
        len(plan.deletes),
    )
    result = SyncResult(source=source, destination=str(destination), plan=plan, dry_run=options.dry_run)
    if not options.dry_run:
        progress = Progress(
            "sync:",
            len(plan.uploads) + len(plan.deletes),
            plan.upload_bytes,
            interval=options.progress_interval,
        )
        uploads, deletes = TransferReport(), TransferReport()
        if plan.uploads or plan.deletes:
            try:  # each destination joins its workers before it returns, so this line is the last one
                uploads = destination.upload(plan.uploads, progress) if plan.uploads else uploads
                deletes = destination.delete(plan.deletes, progress) if plan.deletes else deletes
            finally:
                progress.finish()
        result.uploaded, result.deleted = uploads.done, deletes.done
        result.failed = uploads.failed + deletes.failed
        result.bytes_uploaded = uploads.bytes
        destination.finish()
        setup_errors = [f.setup_error for f in result.failed if f.setup_error is not None]
        if setup_errors:
            total = len(plan.uploads) + len(plan.deletes)
            raise UserError(
                f"{str(setup_errors[0]).rstrip('.')} ({len(result.failed)} of {total} transfers failed)."
            )
    result.seconds = time.monotonic() - started
    return result
