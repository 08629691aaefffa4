"""Training job names: SageMaker's pattern, and a default derived from repository, PR, commit and attempt.

The default is a pure function of (repository, PR number, short SHA, run attempt), so running the same
workflow attempt again (a retried step, a restarted runner) computes the same name; CreateTrainingJob then
answers ResourceInUse and mlci attaches to the job that already runs instead of paying for a duplicate.
A new attempt ("Re-run jobs") or a new commit gets a new job.
"""

from __future__ import annotations

import hashlib
import re

from mlci.errors import UserError

#: CreateTrainingJob's TrainingJobName: 1-63 characters, alphanumerics and single or repeated hyphens inside.
JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MAX_LENGTH = 63


def validate_job_name(name: str) -> str:
    """Return ``name`` if SageMaker accepts it, else raise UserError naming --job-name."""
    if not JOB_NAME_PATTERN.match(name):
        raise UserError(
            f"--job-name {name!r}: not a valid SageMaker training job name; use 1-63 letters, digits and "
            "hyphens, starting and ending with a letter or digit."
        )
    return name


def _slug(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9]", "-", text)).strip("-").lower()


def default_job_name(repository: str, pr_number: str, sha: str, run_attempt: str) -> str:
    """``mlci-<repo>-pr<N>-<sha7>-<attempt>``, shortened with a hash of the repository when too long.

    Missing parts are left out (``pr`` is absent outside pull requests). ``sha`` is required: without a
    commit there is nothing deterministic to name the job after.
    """
    if not sha:
        raise UserError(
            "--job-name: cannot derive a name without a commit SHA (GITHUB_SHA or --sha); pass --job-name."
        )
    tail = "-".join(
        part
        for part in (f"pr{_slug(pr_number)}" if pr_number else "", _slug(sha)[:7], _slug(run_attempt))
        if part
    )
    repo = _slug(repository.split("/")[-1]) if repository else ""
    room = MAX_LENGTH - len("mlci-") - len(tail) - 1
    if len(repo) > room:
        digest = hashlib.sha256(repository.encode()).hexdigest()[:6]
        repo = f"{repo[: max(room - 7, 0)].rstrip('-')}-{digest}"
    name = "-".join(part for part in ("mlci", repo, tail) if part)
    return validate_job_name(name[:MAX_LENGTH].rstrip("-"))
