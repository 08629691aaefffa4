"""`mlci comment`: one sticky comment per workflow and model, always true, through a local GitHub API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS
from mlci import cli
from mlci_testing import ActionsStep
from validation.github_api import GitHubApi, pull_request_run

TOKEN = "ghs_sentinel_token_0123456789"
MARKER = "<!-- mlci:continuous-training:wine -->"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, actions: ActionsStep) -> Iterator[GitHubApi]:
    """The comment job of a pull_request run: event payload, repository, token, API URL, run id."""
    event = {"number": 7, "pull_request": {"number": 7, "head": {"sha": "a1b2c3d4e5f6" * 3}}}
    run = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "99", "GITHUB_RUN_ATTEMPT": "1"}
    yield from pull_request_run(monkeypatch, tmp_path, TOKEN, event, **run)


def _validate(tmp_path: Path, model: Path, baseline: Path, report: Path) -> int:
    return cli.main(
        ["validate", "--model", str(model), "--baseline", str(baseline), "--max-regression", "0.02",
         "--trust-pickle", *SEED_DATA, "--thresholds", SEED_THRESHOLDS, "--report", str(report)]
    )  # fmt: skip


def _training_report(path: Path, **changes: object) -> Path:
    report = {
        "ok": True, "job_name": "wine-pr-7", "launcher": "sagemaker", "status": "Completed", "seconds": 125.0,
        "failure_reason": "", "metrics": {"accuracy": 0.9778},
        "cost": {"usd": 0.0064, "basis": "200 billable s x 1 x $0.115/h on-demand"},
        "details": {"instance": "1 x ml.m5.large", "billable seconds": "200",
                    "console": "https://us-east-1.console.aws.amazon.com/sagemaker/home#/jobs/wine-pr-7"},
    }  # fmt: skip
    path.write_text(json.dumps({**report, **changes}))
    return path


def _comment(*args: str) -> int:
    return cli.main(["comment", "--key", "wine", *args])


def _ours(api: GitHubApi) -> list[dict[str, object]]:
    return [c for c in api.comments.get(7, []) if MARKER in str(c["body"])]


def test_a_green_comment_is_replaced_in_place_after_a_failed_run(
    github: GitHubApi, seed_files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validation = tmp_path / "validation.json"
    assert _validate(tmp_path, seed_files["good.joblib"], seed_files["good.joblib"], validation) == 0
    training = _training_report(tmp_path / "training.json")
    assert _comment("--training-report", str(training), "--validation-report", str(validation)) == 0
    [green] = _ours(github)
    body = str(green["body"])
    assert "✅ mlci: `wine` challenger passes" in body
    assert (
        "commit `a1b2c3d4e5f6`" in body and "https://github.com/acme/wine/actions/runs/99/attempts/1" in body
    )
    assert "$0.01 (200 billable s" in body and "[wine-pr-7](https://us-east-1.console" in body
    assert "| accuracy | 0.9778 |" in body  # the training metric
    assert "Validation against the champion" in body and "| False f1-score |" in body

    # The next push: its training step fails with bad input (exit 2) before writing a result.
    event = {"number": 7, "pull_request": {"number": 7, "head": {"sha": "ffff0000" * 5}}}
    Path(str(tmp_path / "event.json")).write_text(json.dumps(event))
    error_report = tmp_path / "training-2.json"
    monkeypatch.setenv("MLCI_ERROR_REPORT", str(error_report))
    assert cli.main(["train", "--source", str(tmp_path / "missing")]) == 2
    monkeypatch.delenv("MLCI_ERROR_REPORT")
    assert _comment("--training-report", str(error_report), "--validation-outcome", "skipped") == 0
    [red] = _ours(github)
    assert red["id"] == green["id"]
    body = str(red["body"])
    assert "❌ mlci: `wine` challenger fails" in body and "commit `ffff0000ffff`" in body
    assert "bad input (exit 2):** --source" in body and "not a directory" in body
    assert "Not run (no model to validate)." in body and "passes" not in body


def test_a_job_that_died_without_a_report_is_red(github: GitHubApi, tmp_path: Path) -> None:
    assert _comment("--training-report", str(tmp_path / "none.json"), "--training-outcome", "cancelled") == 0
    body = str(_ours(github)[0]["body"])
    assert "❌ Training" in body and "cancelled before it wrote its report" in body


def test_deltas_show_the_reported_intervals(github: GitHubApi, tmp_path: Path) -> None:
    """A report with `intervals` (keyed like `metrics`, each [low, high]) shows them beside the values."""
    report = {
        "passed": False,
        "model": {"uri": "models:/wine@pr-7", "version": "4"},
        "metrics": {"accuracy": 0.9, "True": {"f1-score": 0.8}},
        "intervals": {"accuracy": [0.82, 0.96], "True": {"f1-score": [0.7, 0.88]}},
        "checks": [
            {"name": "True f1-score vs baseline", "kind": "baseline", "class": "True", "metric": "f1-score",
             "value": 0.8, "threshold": ">= 0.87", "passed": False,
             "message": "True f1-score fell 0.1 below"},
        ],
        "baseline": {"uri": "models:/wine@champion", "version": "3", "metrics": {"True": {"f1-score": 0.9}}},
    }  # fmt: skip
    path = tmp_path / "validation.json"
    path.write_text(json.dumps(report))
    assert _comment("--validation-report", str(path), "--no-post", "--markdown", str(tmp_path / "c.md")) == 0
    body = (tmp_path / "c.md").read_text()
    # escaped brackets: GitHub renders the cell as "0.8000 [0.700, 0.880]"
    assert "| True f1-score | 0.8000 \\[0.700, 0.880\\] | 0.9000 | -0.1000 |" in body
    assert "- True f1-score fell 0.1 below" in body
    assert github.requests == []  # --no-post


def test_the_body_is_redacted(github: GitHubApi, tmp_path: Path) -> None:
    path = _training_report(
        tmp_path / "t.json", ok=False, status="Failed", failure_reason=f"token {TOKEN} leaked"
    )
    assert _comment("--training-report", str(path)) == 0
    body = str(_ours(github)[0]["body"])
    assert TOKEN not in body and TOKEN.replace("_", "\\_") not in body  # neither raw nor Markdown-escaped
    assert "token \\*\\*\\* leaked" in body  # GitHub renders it as "token *** leaked"


def test_a_report_that_is_not_json_is_exit_2(
    github: GitHubApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.json"
    path.write_text("{half")
    assert _comment("--training-report", str(path)) == 2
    assert "--training-report" in capsys.readouterr().out and github.comments == {}


def test_an_older_runs_comment_never_replaces_a_newer_runs(
    github: GitHubApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-run of a superseded run (or its comment job finishing late) comes after the newer push's run
    commented: its verdict, green or not, is about an older commit and must not replace the newer one."""
    monkeypatch.setenv("GITHUB_RUN_ID", "120")  # the newer push's run: training failed
    failed = _training_report(tmp_path / "failed.json", ok=False, status="Failed", failure_reason="OOM")
    assert _comment("--training-report", str(failed)) == 0
    [newer] = _ours(github)

    monkeypatch.setenv("GITHUB_RUN_ID", "99")  # the older run, re-run: green
    monkeypatch.setenv("GITHUB_RUN_ATTEMPT", "2")
    green = _training_report(tmp_path / "green.json")
    assert _comment("--training-report", str(green), "--validation-outcome", "skipped") == 0
    [kept] = _ours(github)
    assert kept["body"] == newer["body"] and "❌" in str(kept["body"])

    monkeypatch.setenv("GITHUB_RUN_ID", "120")  # a re-run of the newest run replaces it, as before
    assert _comment("--training-report", str(green), "--validation-outcome", "skipped") == 0
    assert "runs/120/attempts/2" in str(_ours(github)[0]["body"])
