"""`make demo`: the whole practice on embedded defaults, offline, ends as each step should."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlci_testing import SCRIPTS

DEMO = SCRIPTS / "demo.sh"


@pytest.mark.slow
def test_demo_runs_every_step_as_expected(tmp_path: Path) -> None:
    out = tmp_path / "demo-output"
    env = {**os.environ, "PYTHON": sys.executable, "MLCI_DEMO_OUTPUT": str(out)}
    result = subprocess.run(["bash", str(DEMO)], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "UNEXPECTED" not in result.stdout
    assert "The demo took" in result.stdout

    summary = (out / "summary.md").read_text(encoding="utf-8")
    steps = [line for line in summary.split("## mlci demo")[1].splitlines() if line.startswith("| ")][1:]
    assert len(steps) == 8 and all("| as expected |" in row for row in steps), steps
    assert "bandit B301" in summary  # the findings project's annotation made it to the job summary

    report = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert report["passed"] is True
    assert (
        report["model"]["uri"] == "models:/wine-demo@pr-1" and report["model"]["format"] == "mlflow-sklearn"
    )
    assert report["baseline"]["uri"] == "models:/wine-demo@champion"
    assert report["model"]["version"] != report["baseline"]["version"]
    assert {check["name"] for check in report["checks"]} >= {
        "False f1-score",
        "True precision",
        "accuracy vs baseline",
    }

    # The loop closes in the pull request's comment: training metrics, the registered version, the deltas.
    training = json.loads((out / "training.json").read_text(encoding="utf-8"))
    comment = (out / "pr-comment.md").read_text(encoding="utf-8")
    assert comment.startswith("## ✅ mlci: `wine-demo` challenger passes")
    assert f"| accuracy | {training['metrics']['accuracy']:.4g} |" in comment
    assert f"`models:/wine-demo@pr-1` = version {report['model']['version']} of `wine-demo`" in comment
    assert training["registered"]["sha256"] in comment
    assert training["registered"]["baseline"]["version"] == report["baseline"]["version"]  # the champion
    assert "| metric | challenger | champion | Δ |" in comment
    assert sorted(p.name for p in (out / "code").iterdir()) == [
        "requirements.txt",
        "thresholds.yml",
        "train.py",
    ]
