"""The documented example runs on the documented image: sagemaker-scikit-learn:1.2-1-cpu-py3 is Python 3.9
with scikit-learn 1.2.1, and its training toolkit installs examples/training/requirements.txt before train.py
runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from training.tree_helpers import EXAMPLES

IMAGE_PYTHON = "3.9"
IMAGE_SCIKIT_LEARN = "1.2.1"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "continuous-training.md"
_UNREACHABLE = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Could not fetch URL",
    "ProxyError",
)


def _for_python(python_version: str, tmp_path: Path) -> Path:
    """The requirements that pip on ``python_version`` would read (markers evaluated for that Python: pip's
    own --python-version does not change them)."""
    from packaging.requirements import Requirement

    chosen = []
    for line in (EXAMPLES / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"python_version": python_version}):
                requirement.marker = None
                chosen.append(str(requirement))
    path = tmp_path / f"requirements-{python_version}.txt"
    path.write_text("\n".join(chosen) + "\n")
    return path


def _resolve(python_version: str, tmp_path: Path) -> dict[str, str]:
    report = tmp_path / f"report-{python_version}.json"
    done = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--disable-pip-version-check",
            "--python-version", python_version, "--only-binary=:all:", "--target", str(tmp_path / "target"),
            "--report", str(report), "-r", str(_for_python(python_version, tmp_path)),
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if done.returncode != 0 and any(marker in done.stderr for marker in _UNREACHABLE):
        pytest.skip(f"the package index cannot be reached: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    installs = json.loads(report.read_text())["install"]
    return {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in installs}


@pytest.mark.needs_index
def test_the_example_requirements_resolve_on_the_documented_image(tmp_path: Path) -> None:
    resolved = _resolve(IMAGE_PYTHON, tmp_path)
    assert resolved["scikit-learn"] == IMAGE_SCIKIT_LEARN  # the image's own: nothing to reinstall there
    assert "skops" in resolved  # train.py writes model.skops, which validation loads


@pytest.mark.needs_index
def test_on_mlci_python_the_example_pins_what_validation_loads_with(tmp_path: Path) -> None:
    resolved = _resolve(f"{sys.version_info.major}.{sys.version_info.minor}", tmp_path)
    validation = Path(__file__).resolve().parents[2] / "requirements" / "validation.txt"
    pins = dict(line.split("==") for line in validation.read_text().splitlines() if "==" in line)
    for name in ("scikit-learn", "joblib", "skops"):
        assert resolved[name] == pins[name], name


def test_the_docs_name_the_image_the_requirements_are_for() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert "sagemaker-scikit-learn:1.2-1-cpu-py3" in text
    assert f"Python {IMAGE_PYTHON}" in text and f"scikit-learn {IMAGE_SCIKIT_LEARN}" in text
