"""What a sync did: the result object the command renders (table, summary, outputs, JSON report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlci.errors import UserError
from mlci.training.sync.plan import SyncPlan


@dataclass(frozen=True)
class Failure:
    """One file that could not be transferred, and why."""

    relpath: str
    message: str
    #: Set when the cause is the set-up (credentials, permissions, missing bucket): exit 2, not 1.
    setup_error: UserError | None = None


@dataclass
class TransferReport:
    """The outcome of one batch of transfers (uploads or deletes)."""

    done: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    bytes: int = 0


@dataclass
class SyncResult:
    """A finished (or planned, with ``dry_run``) sync."""

    source: str
    destination: str
    plan: SyncPlan
    dry_run: bool = False
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    bytes_uploaded: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def skipped(self) -> int:
        return len(self.plan.unchanged)

    def counts(self) -> dict[str, Any]:
        """The figures of the summary: uploaded, skipped, deleted, failed, bytes, time."""
        if self.dry_run:
            uploaded, deleted, sent = len(self.plan.uploads), len(self.plan.deletes), self.plan.upload_bytes
        else:
            uploaded, deleted, sent = len(self.uploaded), len(self.deleted), self.bytes_uploaded
        return {
            "uploaded": uploaded,
            "skipped": self.skipped,
            "deleted": deleted,
            "failed": len(self.failed),
            "bytes": sent,
            "seconds": round(self.seconds, 3),
        }

    def to_json(self) -> dict[str, Any]:
        """The ``--report`` document."""
        return {
            "source": self.source,
            "destination": self.destination,
            "dry_run": self.dry_run,
            "ok": self.ok,
            **self.counts(),
            "plan": {
                "upload": [
                    {"path": u.entry.relpath, "reason": u.reason, "bytes": u.entry.size}
                    for u in self.plan.uploads
                ],
                "delete": [entry.relpath for entry in self.plan.deletes],
            },
            "uploaded_files": self.uploaded,
            "deleted_files": self.deleted,
            "failures": [{"path": f.relpath, "error": f.message} for f in self.failed],
        }
