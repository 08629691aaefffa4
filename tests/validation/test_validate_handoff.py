"""``mlci model-requirements --keep DIR`` and ``mlci validate --fetched DIR --fetched-sha256 HEX``, by hand.

The action's run of both is in test_action_steps.py; here the bad inputs, each one line and exit 2, refused
before anything is downloaded or loaded, and a hand-off used as a user would: the same verdict as a download.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, Mlflow
from mlci import cli

pytestmark = pytest.mark.slow


def _validate(*extra: str) -> int:
    argv = ["validate", "--model", "models:/wine@champion", "--trust-pickle", *SEED_DATA]
    return cli.main([*argv, "--thresholds", SEED_THRESHOLDS, *extra])


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = [line for line in captured.out.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in captured.out + captured.err, captured.out
    return lines[0]


@pytest.fixture
def kept(mlflow_env: Mlflow, tmp_path: Path) -> tuple[Path, str]:
    """The champion as model-requirements --keep leaves it, and its manifest's sha256."""
    keep = tmp_path / "temp" / "fetched"
    argv = ["model-requirements", "--model", "models:/wine@champion", "--trust-pickle", "--keep", str(keep)]
    assert cli.main(argv) == 0
    return keep, hashlib.sha256((keep / "fetched.json").read_bytes()).hexdigest()


def test_a_hand_off_gives_the_verdict_a_download_gives(
    kept: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep, sha256 = kept
    downloaded, handed = tmp_path / "downloaded.json", tmp_path / "handed.json"
    assert _validate("--report", str(downloaded)) == 0
    monkeypatch.setenv(
        "MLFLOW_TRACKING_URI", "http://127.0.0.1:9"
    )  # nothing answers: the model is not fetched
    assert _validate("--fetched", str(keep), "--fetched-sha256", sha256, "--report", str(handed)) == 0
    first, second = (json.loads(path.read_text()) for path in (downloaded, handed))
    assert second["metrics"] == first["metrics"]
    assert second["model"] == first["model"]  # the same identity: version, run, tree hash


def test_a_hand_off_needs_its_sha256_and_stays_out_of_the_workspace(
    kept: tuple[Path, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    keep, sha256 = kept
    capsys.readouterr()
    assert _validate("--fetched", str(keep)) == 2
    assert "give --fetched-sha256 too" in _one_error(capsys)
    assert _validate("--fetched-sha256", sha256) == 2
    assert "--fetched-sha256 checks a hand-off: give --fetched DIR too." in _one_error(capsys)
    assert _validate("--fetched", str(keep), "--fetched-sha256", "abc") == 2
    assert "--fetched-sha256 abc: expected the 64 hexadecimal digits" in _one_error(capsys)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    assert _validate("--fetched", str(keep), "--fetched-sha256", sha256) == 2
    assert "it is inside the workspace" in _one_error(capsys)


def test_a_manifest_path_outside_the_hand_off_is_refused(
    kept: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keep, _ = kept
    manifest = json.loads((keep / "fetched.json").read_text())
    manifest["models"]["--model"]["path"] = "../../elsewhere"
    (tmp_path / "elsewhere").mkdir()
    (keep / "fetched.json").write_text(json.dumps(manifest))
    sha256 = hashlib.sha256((keep / "fetched.json").read_bytes()).hexdigest()
    capsys.readouterr()
    assert _validate("--fetched", str(keep), "--fetched-sha256", sha256) == 2
    assert "which is not inside the hand-off" in _one_error(capsys)


def test_keep_needs_an_empty_folder(
    mlflow_env: Mlflow, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("the user's file")
    capsys.readouterr()
    argv = ["model-requirements", "--model", "models:/wine@champion", "--keep", str(tmp_path / "full")]
    assert cli.main(argv) == 2
    assert "the folder is not empty" in _one_error(capsys)
    assert (tmp_path / "full" / "mine.txt").read_text() == "the user's file"
