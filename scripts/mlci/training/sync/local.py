"""A local directory as a sync destination (the embedded default: no cloud needed).

Same content test as for S3, by content: sizes first, then the sha256 of both files (a destination file is
hashed only when its size matches). A copy is written to a temporary file beside its target and moved into
place with ``os.replace``, so a half-written file never looks complete, not even after a crash.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Mapping, Sequence

from mlci.errors import UserError
from mlci.files import atomic_write
from mlci.training.path_safety import is_within
from mlci.training.sync.hashing import Digest, default_workers, parallel_map, sha256_file, worker_pool
from mlci.training.sync.plan import RemoteEntry, Upload
from mlci.training.sync.progress import Progress
from mlci.training.sync.result import Failure, TransferReport
from mlci.training.sync.source_tree import Excluder, walk_files

_PARTIAL_PREFIX = ".mlci-partial-"


class LocalDestination:
    """A directory as a sync destination."""

    reserved_names: tuple[str, ...] = ()

    def __init__(self, root: str, *, workers: int | None = None) -> None:
        self.root = os.path.abspath(root)
        self.workers = workers or default_workers()
        if os.path.exists(self.root) and not os.path.isdir(self.root):
            raise UserError(
                f"DEST {root}: exists and is not a directory; pass a directory or s3://BUCKET/PREFIX."
            )

    def __str__(self) -> str:
        return self.root

    def check_source(self, source: str) -> None:
        """Refuse a destination that contains, is, or lies inside the source."""
        src, root = os.path.realpath(source), os.path.realpath(self.root)
        if is_within(src, root):  # --delete would eat the source
            raise UserError(
                f"DEST {self.root}: contains SRC {source}; choose a destination outside the source."
            )
        if is_within(root, src):  # each run would copy the previous copy into itself
            raise UserError(
                f"DEST {self.root}: is inside SRC {source}; choose a destination outside the source."
            )

    def remote_entries(self, local: Mapping[str, Digest]) -> list[RemoteEntry]:
        """Every file under the directory; those of the same size as a source file carry their sha256."""
        if not os.path.isdir(self.root):
            return []
        files = [
            f
            for f in walk_files(self.root, Excluder())
            if not os.path.basename(f.path).startswith(_PARTIAL_PREFIX)
        ]
        to_hash = [f for f in files if f.relpath in local and local[f.relpath].size == f.size]
        hashes = dict(
            zip(
                (f.relpath for f in to_hash),
                parallel_map(sha256_file, [f.path for f in to_hash], self.workers),
            )
        )
        return [RemoteEntry(relpath=f.relpath, size=f.size, sha256=hashes.get(f.relpath)) for f in files]

    def _copy(self, item: Upload) -> None:
        target = os.path.join(self.root, *item.entry.relpath.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with (
            atomic_write(target, binary=True, prefix=_PARTIAL_PREFIX) as out,
            open(item.entry.path, "rb") as src,
        ):
            shutil.copyfileobj(src, out, 1024 * 1024)
            os.fchmod(out.fileno(), stat.S_IMODE(os.fstat(src.fileno()).st_mode))  # what copymode does

    def upload(self, uploads: Sequence[Upload], progress: Progress) -> TransferReport:
        """Copy the files on a few threads; a failed copy is reported, never fatal to the rest."""
        report = TransferReport()

        def copy(item: Upload) -> Failure | None:
            try:
                self._copy(item)
            except OSError as exc:
                return Failure(item.entry.relpath, f"{exc.strerror or exc}")
            finally:
                progress.add_bytes(item.entry.size)
                progress.file_done()
            return None

        with worker_pool(self.workers, "mlci-copy") as pool:
            for item, failure in zip(uploads, pool.map(copy, uploads)):
                if failure:
                    report.failed.append(failure)
                else:
                    report.done.append(item.entry.relpath)
                    report.bytes += item.entry.size
        return report

    def delete(self, entries: Sequence[RemoteEntry], progress: Progress) -> TransferReport:
        """Remove the files, then the directories this left empty."""
        report = TransferReport()
        parents: set[str] = set()
        for entry in entries:
            path = os.path.join(self.root, *entry.relpath.split("/"))
            try:
                os.unlink(path)
            except OSError as exc:
                report.failed.append(Failure(entry.relpath, f"{exc.strerror or exc}"))
            else:
                report.done.append(entry.relpath)
                parents.add(os.path.dirname(path))
            progress.file_done()
        for directory in sorted(parents, key=len, reverse=True):
            while directory.startswith(self.root + os.sep):
                try:
                    os.rmdir(directory)  # only succeeds when empty
                except OSError:
                    break
                directory = os.path.dirname(directory)
        return report

    def finish(self) -> None:
        """Nothing to record: the next run hashes the files themselves."""
