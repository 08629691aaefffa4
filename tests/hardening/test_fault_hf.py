"""A flaky Hugging Face endpoint: mlci validate recovers, or fails with one clear line, and never keeps a
partial file that a later offline run would take for the model.

A proxy (tests/training's FaultProxy, plus half-sent bodies) sits between huggingface_hub and the local Hub.
Each scenario runs on an empty cache, then once more with HF_HUB_OFFLINE=1 on whatever the first run left.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, Hub, SeedModels
from hardening.cutting_proxy import CUT, CuttingProxy, on_nth
from hardening.outcome import Run, assert_refused
from mlci import cli
from mlci_testing import ActionsStep
from training.fault_proxy import Policy

RESOLVE = "/resolve/"  # the file's metadata (HEAD) and download (GET)
#: scenario -> (what the proxy does, how the online run ends: 0 recovered, 2 refused)
SCENARIOS: dict[str, tuple[Policy, int]] = {
    "503-on-the-metadata-request": (on_nth("HEAD", {1: "503"}, RESOLVE), 0),
    "dropped-metadata-request": (on_nth("HEAD", {1: "drop"}, RESOLVE), 2),  # hf_hub_download: no retry
    "dropped-download-request": (on_nth("GET", {1: "drop"}, RESOLVE), 0),
    "download-cut-half-way": (on_nth("GET", {1: CUT}, RESOLVE), 0),
    "500-on-the-download": (on_nth("GET", {1: "500"}, RESOLVE), 2),
    "download-cut-then-503-on-the-resume": (on_nth("GET", {1: CUT, 2: "503"}, RESOLVE), 2),
}


def _validate(model: str, report: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    capsys.readouterr()
    argv = ["validate", "--model", model, "--trust-pickle", *SEED_DATA, "--thresholds", SEED_THRESHOLDS]
    code = cli.main([*argv, "--report", str(report)])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def _loaded_sha256(run: Run, report: Path) -> str:
    assert run.code == 0, run.out
    assert "Traceback" not in run.out + run.err
    return str(json.loads(report.read_text())["model"]["sha256"])


def _complete_files(cache: Path) -> dict[str, bytes]:
    """Every file of the cache a later run would use: snapshots and finished blobs (not *.incomplete)."""
    return {
        str(path.relative_to(cache)): path.read_bytes()
        for path in cache.rglob("*")
        if path.is_file()
        and ("snapshots" in path.parts or "blobs" in path.parts)
        and not path.name.endswith(".incomplete")
    }


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_flaky_hub(
    scenario: str,
    hub: Hub,
    hf_env: Path,
    seed_models: SeedModels,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    policy, expected = SCENARIOS[scenario]
    model = f"hf://acme/wine@{hub.first_commit}/model.joblib"
    good = hashlib.sha256(seed_models.good_joblib).hexdigest()
    report = tmp_path / "report.json"
    with CuttingProxy(hub.server.endpoint, policy) as proxy:
        monkeypatch.setenv("HF_ENDPOINT", proxy.url)
        online = _validate(model, report, capsys)
    assert proxy.faults, "the scenario never happened"
    if expected == 0:
        assert _loaded_sha256(online, report) == good
    else:
        line = assert_refused(online, f"--model {model}", report=report)
        assert "HTTP 50" in line or "download failed" in line, line
    # Whatever the cache holds now is the whole model, or nothing.
    assert all(content == seed_models.good_joblib for content in _complete_files(hf_env).values())

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    report.unlink(missing_ok=True)
    offline = _validate(model, report, capsys)
    if expected == 0:
        assert _loaded_sha256(offline, report) == good
    else:
        assert "HF_HUB_OFFLINE is set and the file is not in the Hugging Face cache" in assert_refused(
            offline, f"--model {model}", report=report
        )
