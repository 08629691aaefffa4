"""Models from a Hugging Face Hub: huggingface_hub's real download code against a local Hub (HF_ENDPOINT)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from devtools.hub_server import HubServer
from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, Hub, SeedModels
from mlci import cli
from mlci_testing import ActionsStep


def _validate(model: str, *extra: str, thresholds: str = SEED_THRESHOLDS) -> int:
    return cli.main(["validate", "--model", model, *SEED_DATA, "--thresholds", thresholds, *extra])


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return out.strip()


def test_pinned_commit_with_sha256(
    hub: Hub,
    hf_env: Path,
    seed_models: SeedModels,
    tmp_path: Path,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sha = hashlib.sha256(seed_models.good_joblib).hexdigest()
    uri = f"hf://acme/wine@{hub.first_commit}/model.joblib"
    report = tmp_path / "report.json"
    assert _validate(uri, "--sha256", sha, "--report", str(report)) == 0
    out = capsys.readouterr().out
    assert "::warning" not in out  # a pinned commit needs no warning
    model = json.loads(report.read_text())["model"]
    assert model | {"warnings": []} == model
    assert {k: model[k] for k in ("source", "repo_id", "revision", "commit", "path", "sha256", "format")} == {
        "source": "huggingface",
        "repo_id": "acme/wine",
        "revision": hub.first_commit,
        "commit": hub.first_commit,
        "path": "model.joblib",
        "sha256": sha,
        "format": "joblib",
    }
    # It went through the Hub's resolve endpoint and landed in HF_HUB_CACHE.
    assert [r.method for r in hub.server.requests] == ["HEAD", "GET"]
    assert hub.server.requests[0].path == f"/acme/wine/resolve/{hub.first_commit}/model.joblib"
    assert (hf_env / "models--acme--wine" / "snapshots" / hub.first_commit / "model.joblib").is_file()


def test_branch_is_resolved_recorded_and_warned(
    hub: Hub, hf_env: Path, tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    # main has moved on to the degraded model: the branch gives the new file, and says which commit it was.
    assert _validate("hf://acme/wine/model.joblib", "--trust-pickle", "--report", str(report)) == 1
    out = capsys.readouterr().out
    assert (
        "::warning title=mlci validate::--model hf://acme/wine/model.joblib: revision 'main' is a branch or "
        f"tag, not a commit: it resolved to {hub.second_commit} now, but it can move. Pin the model with "
        f"hf://acme/wine@{hub.second_commit}/model.joblib." in out
    )
    assert json.loads(report.read_text())["model"]["commit"] == hub.second_commit
    # A tag resolves to its own commit.
    assert _validate("hf://acme/wine@v1/model.joblib", "--trust-pickle", "--report", str(report)) == 0
    assert json.loads(report.read_text())["model"]["commit"] == hub.first_commit


def test_nested_skops_file(hub: Hub, hf_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    uri = f"hf://acme/wine@{hub.second_commit}/nested/dir/model.skops"
    assert _validate(uri) == 2
    assert "sklearn.tree._tree.Tree" in _one_line(capsys)
    assert _validate(uri, "--trust-pickle") == 0


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "hf://acme/nothing/model.joblib",
            "--model hf://acme/nothing/model.joblib: repository acme/nothing not found at {endpoint}; "
            "check the name, and for a private repository set HF_TOKEN to a token that can read it.",
        ),
        (
            "hf://acme/wine@nope/model.joblib",
            "--model hf://acme/wine@nope/model.joblib: revision 'nope' not found in acme/wine; check the "
            "branch, tag or commit.",
        ),
        (
            "hf://acme/wine/missing.joblib",
            "--model hf://acme/wine/missing.joblib: file 'missing.joblib' not found in acme/wine at "
            "revision 'main'; check the path in the repo.",
        ),
        (
            "hf://acme/gated/model.joblib",
            "--model hf://acme/gated/model.joblib: acme/gated is a gated repository; accept its conditions "
            "on the Hub and set HF_TOKEN to a token of an account that has access.",
        ),
        (
            "hf://acme/private/model.joblib",
            "--model hf://acme/private/model.joblib: repository acme/private not found at {endpoint}; "
            "check the name, and for a private repository set HF_TOKEN to a token that can read it.",
        ),
        (
            "hf://acme/model.joblib",
            "--model hf://acme/model.joblib: it names no file inside an OWNER/REPO repository",
        ),
        ("hf://datasets/acme/wine/x.csv", "only model repositories hold models, not datasets"),
    ],
)
def test_hub_errors_are_one_line(
    hub: Hub, hf_env: Path, uri: str, message: str, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _validate(uri, "--trust-pickle") == 2
    line = _one_line(capsys)
    assert line.startswith("::error title=mlci")
    assert message.format(endpoint=hub.server.endpoint) in line.replace("%3A", ":")


def test_token_reaches_the_hub_and_never_the_output(
    hub: Hub,
    hf_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = "hf_private_token_123"
    monkeypatch.setenv("HF_TOKEN", token)
    report = tmp_path / "report.json"
    assert _validate("hf://acme/private/model.joblib", "--trust-pickle", "--report", str(report)) == 0
    assert {r.authorization for r in hub.server.requests} == {f"Bearer {token}"}
    # A wrong token: the error names the repo, not the token.
    monkeypatch.setenv("HF_TOKEN", "hf_wrong_token_456")
    assert _validate("hf://acme/gated/model.joblib", "--trust-pickle") == 2
    everything = (
        capsys.readouterr().out + report.read_text() + actions.summary + actions.output_file.read_text()
    )
    assert token not in everything and "hf_wrong_token_456" not in everything


def test_offline_rerun_from_the_cache(
    seed_models: SeedModels,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    with HubServer() as server:
        server.repo("acme/wine").commit({"model.joblib": seed_models.good_joblib})
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        assert _validate("hf://acme/wine/model.joblib", "--trust-pickle") == 0
    capsys.readouterr()
    # The server is gone; offline, the cached file (and the branch's cached commit) still validates...
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert _validate("hf://acme/wine/model.joblib", "--trust-pickle") == 0
    assert "resolved to" in capsys.readouterr().out
    # ...and a file that was never downloaded says why it is missing.
    assert _validate("hf://acme/wine/other.joblib", "--trust-pickle") == 2
    assert "HF_HUB_OFFLINE is set and the file is not in the Hugging Face cache" in _one_line(capsys)
    # Online again but the server is down: huggingface_hub falls back to the cache by itself. (A file that is
    # not cached fails in one line too, after huggingface_hub's own retries: ~20 s, too slow for this suite.)
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert _validate("hf://acme/wine/model.joblib", "--trust-pickle") == 0


@pytest.mark.usefixtures("hf_env")
def test_credentials_in_hf_endpoint_are_never_printed_nor_reported(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "endpoint-password-789"
    host = hub.server.endpoint.removeprefix("http://")
    monkeypatch.setenv("HF_ENDPOINT", f"http://mirror-user:{secret}@{host}")
    report = actions.summary_file.with_name("report.json")
    uri = f"hf://acme/wine@{hub.first_commit}/model.joblib"
    assert _validate(uri, "--trust-pickle", "--report", str(report)) == 0
    assert json.loads(report.read_text())["model"]["endpoint"] == hub.server.endpoint
    # An error that names the endpoint names it without its credentials.
    assert _validate("hf://acme/nothing/model.joblib", "--trust-pickle") == 2
    out = capsys.readouterr().out
    assert f"repository acme/nothing not found at {hub.server.endpoint}" in out.replace("%3A", ":")
    everything = out + report.read_text() + actions.summary + actions.output_file.read_text()
    assert secret not in everything and "mirror-user" not in everything
