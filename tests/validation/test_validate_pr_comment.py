"""`--pr-comment`: one sticky comment per pull request, updated in place, through a local GitHub API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS
from mlci import cli
from mlci_testing import ActionsStep
from validation.github_api import GitHubApi, pull_request_run

TOKEN = "ghs_sentinel_token_0123456789"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, actions: ActionsStep) -> Iterator[GitHubApi]:
    """A pull_request run of the action: event payload, repository, token, API URL."""
    event = {"action": "synchronize", "number": 7, "pull_request": {"number": 7}}
    yield from pull_request_run(monkeypatch, tmp_path, TOKEN, event)


def _validate(model: Path, *extra: str) -> int:
    argv = ["validate", "--model", str(model), "--trust-pickle", *SEED_DATA, "--thresholds", SEED_THRESHOLDS]
    return cli.main([*argv, "--pr-comment", *extra])


def _mlci_comments(api: GitHubApi) -> list[dict[str, object]]:
    return [c for c in api.comments.get(7, []) if "<!-- mlci:model-validation:" in str(c["body"])]


def test_one_comment_updated_in_place(
    github: GitHubApi, seed_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(130):  # the marker is found past the first page
        github.add_comment(7, f"review comment {i}")
    assert _validate(seed_files["good.joblib"]) == 0
    first = _mlci_comments(github)
    assert len(first) == 1 and "✅ Model validation passed" in str(first[0]["body"])
    # A push later: the degraded model fails, and the same comment now says so.
    assert _validate(seed_files["degraded.joblib"]) == 1
    second = _mlci_comments(github)
    assert [c["id"] for c in second] == [first[0]["id"]]
    assert "❌ Model validation failed" in str(second[0]["body"])
    assert ("PATCH", f"/repos/acme/wine/issues/comments/{first[0]['id']}") in github.requests
    # Another validation in the same pull request keeps its own comment.
    assert _validate(seed_files["good.joblib"], "--pr-comment-key", "iris") == 0
    assert len(_mlci_comments(github)) == 2
    assert TOKEN not in capsys.readouterr().out


def test_forbidden_is_a_warning_not_a_failure(
    github: GitHubApi, seed_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    github.forbidden = True
    assert _validate(seed_files["good.joblib"]) == 0
    out = capsys.readouterr().out
    assert (
        "::warning title=mlci validate::--pr-comment: not posted: GitHub API answered HTTP 403 Forbidden "
        "(the "
        "token needs pull-requests: write)" in out
    )


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("ACT", "true", "running under act"),
        ("GITHUB_EVENT_NAME", "push", "not a pull_request event (push)"),
    ],
)
def test_skipped_with_a_notice(
    github: GitHubApi,
    seed_files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    reason: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(name, value)
    assert _validate(seed_files["good.joblib"]) == 0
    assert f"::notice title=mlci validate::--pr-comment: skipped: {reason}" in capsys.readouterr().out
    assert github.requests == []


def test_a_marker_in_someone_elses_comment_is_not_ours(
    github: GitHubApi, seed_files: dict[str, Path]
) -> None:
    """A reviewer quoting the marker (or a forged one) keeps their comment; mlci writes its own."""
    forged = github.add_comment(7, "<!-- mlci:model-validation:default -->\n✅ all good, trust me", "mallory")
    assert _validate(seed_files["degraded.joblib"]) == 1
    assert forged["body"].endswith("trust me")
    ours = [c for c in _mlci_comments(github) if c["user"] == {"login": "github-actions[bot]", "type": "Bot"}]
    assert len(ours) == 1 and "❌ Model validation failed" in str(ours[0]["body"])
    assert not any(method == "PATCH" for method, _ in github.requests)
    # The next run finds its own comment (not mallory's) and edits it in place.
    assert _validate(seed_files["good.joblib"]) == 0
    assert ("PATCH", f"/repos/acme/wine/issues/comments/{ours[0]['id']}") in github.requests
    assert forged["body"].endswith("trust me") and "✅ Model validation passed" in str(ours[0]["body"])


def test_a_personal_token_edits_what_its_user_wrote(
    github: GitHubApi, seed_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a user's token, GET /user names the author to look for."""
    github.users["ghp_personal_token_0123"] = "release-bot"
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_personal_token_0123")
    bot_comment = github.add_comment(7, "<!-- mlci:model-validation:default -->\nold", "github-actions[bot]")
    assert _validate(seed_files["good.joblib"]) == 0
    mine = [c for c in _mlci_comments(github) if c["user"]["login"] == "release-bot"]  # type: ignore[index]
    assert len(mine) == 1 and bot_comment["body"].endswith("old")


def test_bad_input_turns_an_earlier_green_comment_into_could_not_run(
    github: GitHubApi, seed_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _validate(seed_files["good.joblib"]) == 0
    first = _mlci_comments(github)
    assert "✅ Model validation passed" in str(first[0]["body"])
    # The next push breaks the input: exit 2, and the comment no longer says the model passed.
    assert _validate(seed_files["good.joblib"], "--target", "quality") == 2
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and "Traceback" not in out
    message = errors[0].split("::", 2)[2]
    comments = _mlci_comments(github)
    assert [c["id"] for c in comments] == [first[0]["id"]]
    body = str(comments[0]["body"])
    assert "❌ Model validation could not run" in body and "✅" not in body
    assert message.startswith("--target quality: ")
    assert f"**bad input (exit 2):** {message}" in body  # the one line the log shows
