"""A run cancelled after its training finished registers nothing: `mlci train --register` and `mlci register`
get GitHub's cancel signal (SIGINT; SIGTERM for a runner that skips it) while they talk to a real `mlflow
server`, and @pr-N keeps pointing at the last run that completed.

The signal is sent by a proxy in front of the server when the registration's request of a given kind arrives
(before it is forwarded), so it lands at a known point of the registration, never after a sleep.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from devtools.seed_case import Mlflow
from mlci import cli
from mlci_testing import SCRIPTS, parse_github_output
from training.fault_proxy import FaultProxy
from training.tree_helpers import write_tree

PROVENANCE = ["--repository", "acme/wine", "--pr-number", "5", "--sha", "0123abcd" * 5]
TRAIN = b"import os, shutil\nshutil.copy('model.joblib', os.environ['SM_MODEL_DIR'])\n"


class SignalOnRequest:
    """A proxy policy: the first request whose path holds ``path_part`` signals ``pid`` first."""

    def __init__(self, path_part: str, signum: int) -> None:
        self.path_part, self.signum = path_part, signum
        self.pid = 0
        self.sent = threading.Event()

    def __call__(self, number: int, method: str, path: str) -> None:
        if self.pid and self.path_part in path and not self.sent.is_set():
            os.kill(self.pid, self.signum)
            self.sent.set()


def _client(uri: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _register_completed_run(server: Mlflow, name: str, model: Path, tmp_path: Path) -> None:
    """An earlier run of the pull request that completed: version 1 is @pr-5."""
    directory = write_tree(tmp_path / "earlier", {"model.joblib": model.read_bytes()})
    code = cli.main(
        ["register", "--model", str(directory), "--name", name, "--trust-pickle",
         "--mlflow-tracking-uri", server.uri, *PROVENANCE]
    )  # fmt: skip
    assert code == 0


def _run(argv: list[str], tmp_path: Path, policy: SignalOnRequest) -> tuple[int, str, dict[str, str], str]:
    """Run ``mlci ARGV`` as the action's step does; the exit code, summary, outputs and log."""
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    env = {
        **os.environ,
        "PYTHONPATH": str(SCRIPTS),
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_WORKSPACE": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "mlci", *argv], env=env, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    policy.pid = process.pid
    log, _ = process.communicate(timeout=900)
    assert policy.sent.is_set(), f"the registration never sent a {policy.path_part} request:\n{log}"
    read = lambda path: path.read_text(encoding="utf-8") if path.exists() else ""  # noqa: E731
    return process.returncode, read(summary), parse_github_output(read(outputs)), log


def _assert_nothing_new_registered(uri: str, name: str) -> None:
    client = _client(uri)
    assert client.get_model_version_by_alias(name, "pr-5").version == "1"  # the completed run's, still
    assert {v.version for v in client.search_model_versions(f"name='{name}'")} == {"1"}  # none left over


# Where the cancel lands: as registration starts, after the version exists, while the alias is being set.
POINTS = ["experiments/get-by-name", "model-versions/create", "registered-models/alias"]


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_train_register_cancelled_after_training_leaves_pr_alias_alone(
    mlflow_server: Mlflow, seed_files: dict[str, Path], tmp_path: Path, point: str
) -> None:
    name = f"wine-cancel-{uuid.uuid4().hex[:6]}"
    _register_completed_run(mlflow_server, name, seed_files["good.joblib"], tmp_path)
    source = write_tree(
        tmp_path / "code", {"train.py": TRAIN, "model.joblib": seed_files["good.joblib"].read_bytes()}
    )
    policy = SignalOnRequest(point, signal.SIGINT)
    report = tmp_path / "train.json"
    with FaultProxy(mlflow_server.uri, policy) as proxy:
        code, summary, outputs, log = _run(
            ["train", "--launcher", "local", "--source", str(source), "--output", str(tmp_path / "model"),
             "--register", name, "--register-mlflow-tracking-uri", proxy.url, "--register-trust-pickle",
             "--report", str(report), *PROVENANCE],
            tmp_path, policy,
        )  # fmt: skip
    assert code == 130, log
    _assert_nothing_new_registered(mlflow_server.uri, name)
    assert "registered-model" not in outputs  # nothing downstream reads a registration that did not happen
    assert "cancelled" in summary and "not registered" in summary, summary
    assert "✅" not in summary  # no green mark for a cancelled run
    written = json.loads(report.read_text())
    assert written["cancelled"] is True and written["registered"] is None


@pytest.mark.slow
@pytest.mark.parametrize(("point", "signum"), [(POINTS[1], signal.SIGINT), (POINTS[2], signal.SIGTERM)])
def test_register_cancelled_half_way_rolls_back(
    mlflow_server: Mlflow, seed_files: dict[str, Path], tmp_path: Path, point: str, signum: int
) -> None:
    """The challenger job's own step, `mlci register`, cancelled while it registers."""
    name = f"wine-cancel-{uuid.uuid4().hex[:6]}"
    _register_completed_run(mlflow_server, name, seed_files["good.joblib"], tmp_path)
    model = write_tree(tmp_path / "trained", {"model.joblib": seed_files["good.joblib"].read_bytes()})
    policy = SignalOnRequest(point, signum)
    with FaultProxy(mlflow_server.uri, policy) as proxy:
        code, summary, outputs, log = _run(
            ["register", "--model", str(model), "--name", name, "--trust-pickle",
             "--mlflow-tracking-uri", proxy.url, "--report", str(tmp_path / "register.json"), *PROVENANCE],
            tmp_path, policy,
        )  # fmt: skip
    assert code == 130, log
    _assert_nothing_new_registered(mlflow_server.uri, name)
    assert "registered-model" not in outputs
    assert not (tmp_path / "register.json").exists()  # the comment job finds no registration report
    assert "cancelled" in log and "@pr-5" in log
