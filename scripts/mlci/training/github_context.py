"""Where a run comes from: repository, pull request, commit and attempt (flags first, then GitHub's env)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class RunContext:
    """The provenance a training job is named and tagged after."""

    repository: str = ""
    pr_number: str = ""
    sha: str = ""
    run_attempt: str = ""

    def tags(self) -> list[tuple[str, str]]:
        """SageMaker tags for what is known: repository, pull request, commit."""
        pairs = [
            ("mlci:repository", self.repository),
            ("mlci:pull-request", self.pr_number),
            ("mlci:sha", self.sha),
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
    run_attempt: str | None = None,
) -> RunContext:
    """Explicit values win; otherwise GITHUB_REPOSITORY, the pull request of the event (number, head SHA),
    ``refs/pull/<N>/merge``, GITHUB_SHA and GITHUB_RUN_ATTEMPT."""
    pull_request = _event_pull_request()
    ref_match = re.match(r"^refs/pull/(\d+)/", os.environ.get("GITHUB_REF", ""))
    head_sha = (
        (pull_request.get("head") or {}).get("sha") if isinstance(pull_request.get("head"), dict) else None
    )
    return RunContext(
        repository=repository or os.environ.get("GITHUB_REPOSITORY", ""),
        pr_number=pr_number or str(pull_request.get("number") or (ref_match.group(1) if ref_match else "")),
        sha=sha or head_sha or os.environ.get("GITHUB_SHA", ""),
        run_attempt=run_attempt or os.environ.get("GITHUB_RUN_ATTEMPT", ""),
    )
