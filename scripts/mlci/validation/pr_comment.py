"""One sticky pull-request comment, updated in place on every run.

The comment carries a hidden HTML marker (``<!-- mlci:model-validation:KEY -->``); the next run lists the pull
request's comments through the GitHub REST API (``GITHUB_API_URL``), finds the marker and edits that comment
instead of adding another. Only the standard library is used.

Endpoints (https://docs.github.com/en/rest/issues/comments):
``GET /repos/{repo}/issues/{number}/comments``, ``POST`` to the same path, and
``PATCH /repos/{repo}/issues/comments/{id}``. The token needs ``pull-requests: write`` (or ``issues: write``).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_PER_PAGE = 100
_MAX_PAGES = 50
_TIMEOUT = 30


@dataclass(frozen=True)
class CommentOutcome:
    """What happened: ``created``, ``updated``, ``skipped`` or ``failed``, and why or where."""

    action: str
    detail: str
    url: str | None = None


def marker(key: str) -> str:
    return f"<!-- mlci:model-validation:{key} -->"


class _Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base.rstrip("/")
        self._token = token

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "Content-Type": "application/json",
                "User-Agent": "mlci",
            },
        )
        # The URL is the runner's GITHUB_API_URL (http or https), not user data.
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # nosec B310
            return json.loads(response.read() or b"null")


def _pull_request_number(env: Mapping[str, str]) -> int | None:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError):
        return None
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    return number if isinstance(number, int) else None


def _skip_reason(env: Mapping[str, str]) -> str | None:
    if env.get("ACT") == "true":
        return "running under act: no pull request to comment on"
    if env.get("GITHUB_EVENT_NAME") != "pull_request":
        return f"not a pull_request event ({env.get('GITHUB_EVENT_NAME') or 'not in GitHub Actions'})"
    if not env.get("GITHUB_TOKEN"):
        return "GITHUB_TOKEN is not set (the action's input github-token)"
    if not env.get("GITHUB_REPOSITORY"):
        return "GITHUB_REPOSITORY is not set"
    return None


def _find(api: _Api, repo: str, number: int, tag: str) -> dict[str, Any] | None:
    for page in range(1, _MAX_PAGES + 1):
        comments = api.call("GET", f"/repos/{repo}/issues/{number}/comments?per_page={_PER_PAGE}&page={page}")
        for comment in comments or []:
            if tag in (comment.get("body") or ""):
                return comment
        if not comments or len(comments) < _PER_PAGE:
            return None
    return None


def upsert(body: str, key: str = "default", env: Mapping[str, str] | None = None) -> CommentOutcome:
    """Create or update the pull request's mlci comment; never raises for an API failure."""
    env = os.environ if env is None else env
    reason = _skip_reason(env)
    number = None if reason else _pull_request_number(env)
    if reason is None and number is None:
        reason = "the event payload names no pull request number"
    if reason is not None or number is None:
        return CommentOutcome("skipped", reason or "")
    api = _Api(env.get("GITHUB_API_URL") or "https://api.github.com", env["GITHUB_TOKEN"])
    repo, tag = env["GITHUB_REPOSITORY"], marker(key)
    text = f"{tag}\n{body}"
    try:
        existing = _find(api, repo, number, tag)
        if existing is not None:
            comment = api.call("PATCH", f"/repos/{repo}/issues/comments/{existing['id']}", {"body": text})
            return CommentOutcome("updated", f"pull request #{number}", comment.get("html_url"))
        comment = api.call("POST", f"/repos/{repo}/issues/{number}/comments", {"body": text})
        return CommentOutcome("created", f"pull request #{number}", comment.get("html_url"))
    except urllib.error.HTTPError as exc:
        hint = " (the token needs pull-requests: write)" if exc.code in (401, 403, 404) else ""
        return CommentOutcome("failed", f"GitHub API answered HTTP {exc.code} {exc.reason}{hint}")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return CommentOutcome("failed", f"cannot reach the GitHub API at {api.base}: {exc}")
