"""The model-validation action's HF_HUB_CACHE key (setup_env.py hub-cache-key): the resolved commit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import setup_env
from devtools.seed_case import Hub


def cache_key(tmp_path: Path, *models: str) -> tuple[dict[str, str], str]:
    output = tmp_path / "github-output"
    output.write_text("", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, setup_env.__file__, "hub-cache-key", *models],
        capture_output=True,
        text=True,
        env={**os.environ, "GITHUB_OUTPUT": str(output)},
        check=True,
    )
    values = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    return values, completed.stdout


def test_the_key_follows_the_commit_a_revision_resolves_to(hub: Hub, hf_env: Path, tmp_path: Path) -> None:
    tag, _ = cache_key(tmp_path, "hf://acme/wine@v1/model.joblib")
    pinned, _ = cache_key(tmp_path, f"hf://acme/wine@{hub.first_commit}/model.joblib")
    latest, _ = cache_key(tmp_path, "hf://acme/wine/model.joblib", "")
    assert tag["key"].startswith("mlci-hf-hub-") and tag["key"] == pinned["key"]
    assert latest["key"] != tag["key"]  # main moved on: a new commit is a new cache entry
    assert Path(tag["path"]) == hf_env  # where huggingface_hub will download (HF_HUB_CACHE)


def test_no_hub_model_or_an_unreachable_one_means_no_cache(hub: Hub, hf_env: Path, tmp_path: Path) -> None:
    assert cache_key(tmp_path, "models:/wine@champion", "")[0] == {"key": "", "path": ""}
    values, log = cache_key(tmp_path, "hf://acme/missing/model.joblib")
    assert values == {"key": "", "path": ""}
    assert log.count("\n") == 1 and "no Hugging Face cache for hf://acme/missing/model.joblib" in log
