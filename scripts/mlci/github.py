"""GitHub: where a run comes from (the event payload, read in one place) and one sticky pull-request comment.

Provenance (:func:`detect`): explicit values win; otherwise GITHUB_REPOSITORY, the pull request of the event
payload at GITHUB_EVENT_PATH (number, head SHA), ``refs/pull/<N>/merge``, GITHUB_SHA, GITHUB_RUN_ATTEMPT and
the run's URL (GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID).

The sticky comment (:func:`upsert`) carries a hidden marker, ``<!-- mlci:WORKFLOW:KEY -->``. The next run
lists the pull request's comments through the REST API (``GITHUB_API_URL``) and edits the comment that
carries the marker *and* was written by the token's own identity (``user.login``: ``GET /user`` names it; an
installation token, which may not call ``GET /user``, writes as ``github-actions[bot]``; MLCI_COMMENT_AUTHOR
overrides both). A marker in someone else's comment is not ours: it is left alone and a new comment is
written. The body is redacted (:func:`mlci.gha.redact`) before it leaves. Only the standard library is used.

Endpoints (https://docs.github.com/en/rest/issues/comments): ``GET /repos/{repo}/issues/{number}/comments``
(paginated), ``POST`` to the same path, ``PATCH /repos/{repo}/issues/comments/{id}``, and ``GET /user``.
The token needs ``pull-requests: write`` (or ``issues: write``).
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mlci.gha import redact

_PER_PAGE = 100
_MAX_PAGES = 50
_TIMEOUT = 30
#: The login of the GITHUB_TOKEN an Actions job gets (an installation token cannot call GET /user).
ACTIONS_BOT = "github-actions[bot]"


# --------------------------------------------------------------------------------------------- the event


def event_payload(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The triggering event's payload (GITHUB_EVENT_PATH), or ``{}`` outside Actions or when unreadable."""
    env = os.environ if env is None else env
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError):
        return {}
    return event if isinstance(event, dict) else {}


def _pull_request(event: Mapping[str, Any]) -> dict[str, Any]:
    pull_request = event.get("pull_request")
    return pull_request if isinstance(pull_request, dict) else {}


def pull_request_number(env: Mapping[str, str] | None = None) -> int | None:
    """The pull request the event is about (``pull_request.number``, else ``number``), or None."""
    event = event_payload(env)
    number = _pull_request(event).get("number") or event.get("number")
    return number if isinstance(number, int) and not isinstance(number, bool) else None


@dataclass(frozen=True)
class RunContext:
    """The provenance a training job is named and tagged after; a comment and a registered model carry it."""

    repository: str = ""
    pr_number: str = ""
    sha: str = ""
    run_id: str = ""
    run_attempt: str = ""
    run_url: str = ""

    def tags(self) -> list[tuple[str, str]]:
        """SageMaker tags for what is known: repository, pull request, commit, run."""
        pairs = [
            ("mlci:repository", self.repository),
            ("mlci:pull-request", self.pr_number),
            ("mlci:sha", self.sha),
            ("mlci:run", f"{self.run_id}-{self.run_attempt}" if self.run_id else ""),
        ]
        return [(key, value) for key, value in pairs if value]


def run_url(env: Mapping[str, str] | None = None) -> str:
    """The URL of this workflow run (and attempt), or ``""`` outside Actions."""
    env = os.environ if env is None else env
    repository, run_id = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_RUN_ID", "")
    if not (repository and run_id):
        return ""
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    attempt = env.get("GITHUB_RUN_ATTEMPT", "")
    return f"{server}/{repository}/actions/runs/{run_id}" + (f"/attempts/{attempt}" if attempt else "")


def detect(
    repository: str | None = None,
    pr_number: str | None = None,
    sha: str | None = None,
    run_attempt: str | None = None,
    env: Mapping[str, str] | None = None,
    *,
    run_id: str | None = None,
) -> RunContext:
    """Explicit values win; otherwise GITHUB_REPOSITORY, the pull request of the event (number, head SHA),
    ``refs/pull/<N>/merge``, GITHUB_SHA, GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT."""
    env = os.environ if env is None else env
    pull_request = _pull_request(event_payload(env))
    ref_match = re.match(r"^refs/pull/(\d+)/", env.get("GITHUB_REF", ""))
    head = pull_request.get("head")
    head_sha = head.get("sha") if isinstance(head, dict) else None
    return RunContext(
        repository=repository or env.get("GITHUB_REPOSITORY", ""),
        pr_number=pr_number or str(pull_request.get("number") or (ref_match.group(1) if ref_match else "")),
        sha=sha or head_sha or env.get("GITHUB_SHA", ""),
        run_id=run_id or env.get("GITHUB_RUN_ID", ""),
        run_attempt=run_attempt or env.get("GITHUB_RUN_ATTEMPT", ""),
        run_url=run_url(env),
    )


def add_provenance_arguments(parser: Any) -> Any:
    """``--repository``, ``--pr-number``, ``--sha``, ``--run-attempt``: what :func:`detect` would find.
    Returns the argument group (a command adds its own provenance flags to it)."""
    provenance = parser.add_argument_group("provenance (defaults from the GitHub Actions environment)")
    provenance.add_argument("--repository", help="owner/name. Default: GITHUB_REPOSITORY.")
    provenance.add_argument("--pr-number", help="Default: the pull request of the triggering event.")
    provenance.add_argument("--sha", help="The commit trained. Default: the PR head SHA, else GITHUB_SHA.")
    provenance.add_argument("--run-attempt", help="Default: GITHUB_RUN_ATTEMPT.")
    return provenance


# --------------------------------------------------------------------------------------------- the comment


@dataclass(frozen=True)
class CommentOutcome:
    """What happened: ``created``, ``updated``, ``skipped`` or ``failed``, and why or where."""

    action: str
    detail: str
    url: str | None = None


def marker(key: str, workflow: str = "model-validation") -> str:
    """The hidden line that tells one mlci comment from another: one per workflow and model (``key``)."""
    return f"<!-- mlci:{workflow}:{key} -->"


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


def _skip_reason(env: Mapping[str, str]) -> str | None:
    if env.get("ACT") == "true":
        return "running under act: no pull request to comment on"
    if not (env.get("GITHUB_EVENT_NAME") or "").startswith("pull_request"):
        return f"not a pull_request event ({env.get('GITHUB_EVENT_NAME') or 'not in GitHub Actions'})"
    if not env.get("GITHUB_TOKEN"):
        return "GITHUB_TOKEN is not set (the action's input github-token)"
    if not env.get("GITHUB_REPOSITORY"):
        return "GITHUB_REPOSITORY is not set"
    return None


def _identity(api: _Api, env: Mapping[str, str]) -> str:
    """The login the token writes as: MLCI_COMMENT_AUTHOR, else ``GET /user``, else the Actions bot."""
    if env.get("MLCI_COMMENT_AUTHOR"):
        return env["MLCI_COMMENT_AUTHOR"]
    try:
        user = api.call("GET", "/user")
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403, 404):  # "Resource not accessible by integration": an installation token
            return ACTIONS_BOT
        raise
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) and login else ACTIONS_BOT


def merged_pull_request(sha: str, env: Mapping[str, str] | None = None) -> int | None:
    """The pull request a pushed commit came from (``GET /repos/{repo}/commits/{sha}/pulls``: a merge or
    squash commit lists its pull request); None when there is none, no token, or the API cannot tell."""
    env = os.environ if env is None else env
    if not (env.get("GITHUB_TOKEN") and env.get("GITHUB_REPOSITORY") and sha):
        return None
    api = _Api(env.get("GITHUB_API_URL") or "https://api.github.com", env["GITHUB_TOKEN"])
    try:
        pulls = api.call("GET", f"/repos/{env['GITHUB_REPOSITORY']}/commits/{sha}/pulls")
    except (urllib.error.URLError, OSError, ValueError):
        return None
    merged = [p for p in pulls or [] if isinstance(p, dict) and p.get("merged_at")]
    number = merged[0].get("number") if merged else None
    return number if isinstance(number, int) else None


def _find(api: _Api, repo: str, number: int, tag: str, author: str) -> dict[str, Any] | None:
    """Our comment: it carries the marker and our identity wrote it (the oldest, if there are several)."""
    for page in range(1, _MAX_PAGES + 1):
        comments = api.call("GET", f"/repos/{repo}/issues/{number}/comments?per_page={_PER_PAGE}&page={page}")
        for comment in comments or []:
            login = (comment.get("user") or {}).get("login")
            if tag in (comment.get("body") or "") and login == author:
                return dict(comment)
        if not comments or len(comments) < _PER_PAGE:
            return None
    return None


def upsert(
    body: str,
    key: str = "default",
    env: Mapping[str, str] | None = None,
    *,
    workflow: str = "model-validation",
    keep: Callable[[str], str | None] = lambda existing: None,
) -> CommentOutcome:
    """Create or update the pull request's mlci comment for ``workflow`` and ``key``; never raises for an API
    failure (a comment is a report, not a check). ``keep(existing body)``: a reason to leave the comment as
    it is (skipped), else None."""
    env = os.environ if env is None else env
    reason = _skip_reason(env)
    number = None if reason else pull_request_number(env)
    if reason is None and number is None:
        reason = "the event payload names no pull request number"
    if reason is not None or number is None:
        return CommentOutcome("skipped", reason or "")
    api = _Api(env.get("GITHUB_API_URL") or "https://api.github.com", env["GITHUB_TOKEN"])
    repo, tag = env["GITHUB_REPOSITORY"], marker(key, workflow)
    text = redact(f"{tag}\n{body}")
    try:
        existing = _find(api, repo, number, tag, _identity(api, env))
        if existing is not None and (reason := keep(str(existing.get("body") or ""))):
            return CommentOutcome("skipped", reason)
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
