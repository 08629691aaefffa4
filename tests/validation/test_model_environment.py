"""The model-validation action evaluates a model with the library versions it was logged with.

A real MLflow model, saved by MLflow itself in a throwaway venv under scikit-learn OLD_SKLEARN, is validated
by the action's own steps (scripts/devtools' composite runner, real installs by setup_env.py with uv): the
action reads the model's requirements.txt, builds the environment of mlci's lock with those versions over it,
and validates there. Every install is offline, from the wheels ``make test-wheels`` fetched.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.composite import CompositeRun, run_composite
from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, joblib_bytes, make_seed_models
from env.wheels import OLD_SKLEARN, missing, wheelhouse
from mlci import cli

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "actions" / "model-validation" / "action.yml"

#: Trains the seed's forest and saves it with mlflow.sklearn.save_model (which writes MLmodel, model.pkl,
#: requirements.txt and python_env.yaml from the versions installed); prints the seed's metrics as JSON.
_TRAIN = """
import json, sys
import mlflow.sklearn
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y == 2, test_size=0.25, random_state=42)
model = RandomForestClassifier(n_estimators=20, random_state=42).fit(X_train, y_train)
mlflow.sklearn.save_model(model, sys.argv[1], serialization_format="cloudpickle")
print(json.dumps(classification_report(y_test, model.predict(X_test), output_dict=True)))
"""


def _uv() -> str:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not installed: install requirements-dev.txt (it pins uv)")
    return uv


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """uv's settings for installing from the fetched wheels only (no index), with one cache for the module."""
    why = missing()
    if why:
        pytest.fail(why)
    return {
        "MLCI_UV": _uv(),
        "UV_NO_INDEX": "1",
        "UV_FIND_LINKS": str(wheelhouse()),
        "UV_CACHE_DIR": str(tmp_path_factory.mktemp("uv-cache")),
    }


@pytest.fixture(scope="module")
def old_model(tmp_path_factory: pytest.TempPathFactory, offline: dict[str, str]) -> tuple[Path, dict]:
    """An MLflow model saved under scikit-learn OLD_SKLEARN, and the metrics it has there."""
    root = tmp_path_factory.mktemp("old-sklearn")
    env = {**_environ(), **offline}
    python = root / "venv" / "bin" / "python"
    venv = [offline["MLCI_UV"], "venv", "-q", "--python", sys.executable, str(root / "venv")]
    subprocess.run(venv, env=env, check=True)
    locked = {line.split("==")[0]: line.split()[0] for line in _lock_lines()}
    subprocess.run(
        [offline["MLCI_UV"], "pip", "install", "-q", "--python", str(python), f"scikit-learn=={OLD_SKLEARN}",
         locked["mlflow-skinny"], locked["pandas"]],
        env=env, check=True,
    )  # fmt: skip
    trained = subprocess.run(
        [str(python), "-c", _TRAIN, str(root / "model")], env=env, capture_output=True, text=True, check=True
    )
    return root / "model", json.loads(trained.stdout.strip().splitlines()[-1])


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def _lock_lines() -> list[str]:
    text = (ROOT / "requirements" / "mlflow.lock").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line[:1].isalpha()]


def _run_action(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, offline: dict[str, str], **inputs: str
) -> tuple[CompositeRun, dict]:
    for name, value in offline.items():
        monkeypatch.setenv(name, value)
    report = workspace / "report.json"
    seed = {"data": "sklearn:wine", "positive-label": "2", "test-size": "0.25", "random-state": "42"}
    inputs = {**seed, "thresholds": SEED_THRESHOLDS, "trust-pickle": "true", "report": str(report), **inputs}
    run = run_composite(ACTION, inputs, workspace, given={})
    assert not run.failed, run.log
    return run, json.loads(report.read_text(encoding="utf-8"))


def _venvs(workspace: Path) -> list[str]:
    return sorted(path.name for path in (workspace / "runner-temp").glob("mlci-env-*") if path.is_dir())


def test_the_action_evaluates_an_old_model_with_the_versions_it_was_logged_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline: dict[str, str], old_model: tuple[Path, dict]
) -> None:
    model, trained_metrics = old_model
    assert f"scikit-learn=={OLD_SKLEARN}" in (model / "requirements.txt").read_text(encoding="utf-8")

    run, report = _run_action(tmp_path, monkeypatch, offline, model=str(model))

    assert run.outputs["model-plan"]["needed"] == "true"
    assert "InconsistentVersionWarning" not in run.log and "the model was saved with" not in run.log
    assert report["environment"]["scikit-learn"] == OLD_SKLEARN
    assert f"scikit-learn {OLD_SKLEARN}" in (tmp_path / "runner-temp" / "summary.md").read_text()
    assert report["model"]["warnings"] == []
    for label in ("False", "True"):
        for metric in ("precision", "recall", "f1-score"):
            assert report["metrics"][label][metric] == pytest.approx(trained_metrics[label][metric])
    assert report["metrics"]["accuracy"] == pytest.approx(trained_metrics["accuracy"])
    assert len(_venvs(tmp_path)) == 2  # mlci's (it read the requirements) and the model's


def test_without_the_models_versions_the_load_warns(
    old_model: tuple[Path, dict], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the action did before: mlci's own scikit-learn loads the old pickle, with a warning."""
    import sklearn

    model, _ = old_model
    report = tmp_path / "report.json"
    argv = ["validate", "--model", str(model), "--trust-pickle", *SEED_DATA, "--report", str(report)]
    assert cli.main([*argv, "--thresholds", SEED_THRESHOLDS]) == 0
    out = capsys.readouterr().out
    assert (
        f"the model was saved with scikit-learn {OLD_SKLEARN} and is loaded with {sklearn.__version__}" in out
    )
    assert json.loads(report.read_text())["environment"]["scikit-learn"] == sklearn.__version__ != OLD_SKLEARN


def test_a_model_without_logged_versions_gets_no_second_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline: dict[str, str]
) -> None:
    from mlci.validation.loading import file_sha256

    model = tmp_path / "model.joblib"
    model.write_bytes(joblib_bytes(make_seed_models(n_estimators=10).good))
    run, report = _run_action(tmp_path, monkeypatch, offline, model=str(model), sha256=file_sha256(model))

    assert run.outputs["model-plan"] == {"needed": "false"}
    assert "model-install" not in run.returncodes  # skipped
    assert len(_venvs(tmp_path)) == 1
    assert report["passed"] is True
