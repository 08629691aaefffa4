"""Who a training run is: repository, pull request, commit, run and attempt, and the job name made of them.

Provenance comes from flags first, then GitHub's environment (GITHUB_REPOSITORY, the event's pull request,
GITHUB_SHA, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT). The default job name is unique per run id, run attempt and
job key (a matrix entry or model name: ``--job-key``), so two trainings in one run, or a new run of the same
commit, never share a job; re-running the same step of the same attempt computes the same name, and the
launcher decides (by the request's fingerprint) whether the job of that name is this one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass

from mlci.errors import UserError

#: CreateTrainingJob's TrainingJobName: 1-63 characters, alphanumerics and single or repeated hyphens inside.
JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MAX_LENGTH = 63
LOCAL_NAME = "mlci-local"


@dataclass(frozen=True)
class RunContext:
    """The provenance a training job is named and tagged after."""

    repository: str = ""
    pr_number: str = ""
    sha: str = ""
    run_id: str = ""
    run_attempt: str = ""

    def tags(self) -> list[tuple[str, str]]:
        """SageMaker tags for what is known: repository, pull request, commit, run."""
        pairs = [
            ("mlci:repository", self.repository),
            ("mlci:pull-request", self.pr_number),
            ("mlci:sha", self.sha),
            ("mlci:run", f"{self.run_id}-{self.run_attempt}" if self.run_id else ""),
        ]
        return [(key, value) for key, value in pairs if value]


def _event_pull_request() -> dict:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError):
        return {}
    pull_request = event.get("pull_request") if isinstance(event, dict) else None
    return pull_request if isinstance(pull_request, dict) else {}


def detect(
    repository: str | None = None,
    pr_number: str | None = None,
    sha: str | None = None,
    run_id: str | None = None,
    run_attempt: str | None = None,
) -> RunContext:
    """Explicit values win; otherwise GITHUB_REPOSITORY, the pull request of the event (number, head SHA),
    ``refs/pull/<N>/merge``, GITHUB_SHA, GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT."""
    pull_request = _event_pull_request()
    ref_match = re.match(r"^refs/pull/(\d+)/", os.environ.get("GITHUB_REF", ""))
    head = pull_request.get("head")
    head_sha = head.get("sha") if isinstance(head, dict) else None
    return RunContext(
        repository=repository or os.environ.get("GITHUB_REPOSITORY", ""),
        pr_number=pr_number or str(pull_request.get("number") or (ref_match.group(1) if ref_match else "")),
        sha=sha or head_sha or os.environ.get("GITHUB_SHA", ""),
        run_id=run_id or os.environ.get("GITHUB_RUN_ID", ""),
        run_attempt=run_attempt or os.environ.get("GITHUB_RUN_ATTEMPT", ""),
    )


def validate_job_name(name: str, flag: str = "--job-name") -> str:
    """Return ``name`` if SageMaker accepts it, else raise UserError naming ``flag``."""
    if not JOB_NAME_PATTERN.match(name):
        raise UserError(
            f"{flag} {name!r}: not a valid SageMaker training job name; use 1-63 letters, digits and "
            "hyphens, starting and ending with a letter or digit."
        )
    return name


def _slug(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9]", "-", text)).strip("-").lower()


def default_job_name(context: RunContext, job_key: str = "") -> str:
    """``mlci-<repo>-pr<N>-<sha7>-<run id>-<attempt>[-<job key>]`` within SageMaker's 63 characters.

    Run id, attempt and job key are what make the name unique; when the whole does not fit, the readable
    repository and key are shortened and a hash of both keeps names that differ only there apart.
    Without a commit (a laptop outside Actions) the name is ``mlci-local[-<job key>]``.
    """
    key = _slug(job_key)
    if not context.sha:
        return validate_job_name(
            "-".join(part for part in (LOCAL_NAME, key) if part)[:MAX_LENGTH].rstrip("-")
        )
    pr = f"pr{_slug(context.pr_number)}" if context.pr_number else ""
    ids = "-".join(
        part
        for part in (pr, _slug(context.sha)[:7], _slug(context.run_id), _slug(context.run_attempt))
        if part
    )
    repo = _slug(context.repository.split("/")[-1]) if context.repository else ""
    name = "-".join(part for part in ("mlci", repo, ids, key) if part)
    if len(name) > MAX_LENGTH:
        digest = hashlib.sha256(f"{context.repository}\0{job_key}".encode()).hexdigest()[:8]
        room = MAX_LENGTH - len("mlci-") - len(ids) - len(digest) - 2
        readable = "-".join(part for part in (repo, key) if part)[: max(room, 0)].strip("-")
        name = "-".join(part for part in ("mlci", readable, ids, digest) if part)
    return validate_job_name(name[:MAX_LENGTH].rstrip("-"))


def suffixed(name: str, number: int) -> str:
    """``name`` with ``-<number>`` appended, shortened to stay within 63 characters."""
    suffix = f"-{number}"
    return validate_job_name(name[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix)


def fingerprint(request: object) -> str:
    """The sha256 of a request in canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
