"""Fixtures shared by every test: a clean environment and a fake GitHub Actions step.

Capability-specific fixtures (local servers) live in each test folder's own conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci_testing import ActionsStep

# Variables that would change what mlci does if the developer's shell happens to set them.
_LEAKY_ENV = [
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_ENDPOINT",
    "HF_HUB_OFFLINE",
    "MLFLOW_TRACKING_URI",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    for name in _LEAKY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


@pytest.fixture
def actions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ActionsStep:
    """Run the code under test as a GitHub Actions step: outputs and summary go to files under tmp_path."""
    step = ActionsStep(output_file=tmp_path / "github_output", summary_file=tmp_path / "step_summary.md")
    step.output_file.touch()
    step.summary_file.touch()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(step.output_file))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step.summary_file))
    return step
