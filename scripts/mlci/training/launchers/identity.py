"""Who a training run is: repository, pull request, commit, run and attempt, and the job name made of them.

Provenance (:class:`RunContext`, :func:`detect`) comes from :mod:`mlci.github`, the one place that reads the
event payload: flags first, then GitHub's environment (GITHUB_REPOSITORY, the event's pull request,
GITHUB_SHA, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT). The default job name is unique per run id, run attempt and
job key (a matrix entry or model name: ``--job-key``), so two trainings in one run, or a new run of the same
commit, never share a job; re-running the same step of the same attempt computes the same name, and the
launcher decides (by the request's fingerprint) whether the job of that name is this one.
"""

from __future__ import annotations

import hashlib
import json
import re

from mlci.errors import UserError
from mlci.github import RunContext, detect

__all__ = ["RunContext", "detect", "default_job_name", "fingerprint", "suffixed", "validate_job_name"]

#: CreateTrainingJob's TrainingJobName: 1-63 characters, alphanumerics and single or repeated hyphens inside.
JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MAX_LENGTH = 63
LOCAL_NAME = "mlci-local"


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
