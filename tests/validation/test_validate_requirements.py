"""A model pickled under an older scikit-learn: its logged versions are read, printed, and advised."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS
from mlci import cli

pytestmark = pytest.mark.slow

OLD_SKLEARN = "1.5.2"

#: Trains the seed's forest and saves it as an MLflow sklearn model directory, as MLflow 3 writes one
#: (MLmodel, model.pkl, requirements.txt, python_env.yaml), under scikit-learn OLD_SKLEARN.
_TRAIN = """
import pickle, sys, platform
from pathlib import Path
import sklearn
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

out = Path(sys.argv[1]); out.mkdir()
X, y = load_wine(return_X_y=True)
X_train, _, y_train, _ = train_test_split(X, y == 2, test_size=0.25, random_state=42)
model = RandomForestClassifier(n_estimators=20, random_state=42).fit(X_train, y_train)
(out / "model.pkl").write_bytes(pickle.dumps(model))
(out / "MLmodel").write_text(
    "flavors:\\n"
    "  python_function:\\n    loader_module: mlflow.sklearn\\n    model_path: model.pkl\\n"
    "    env:\\n      virtualenv: python_env.yaml\\n"
    f"  sklearn:\\n    pickled_model: model.pkl\\n    serialization_format: pickle\\n"
    f"    sklearn_version: {sklearn.__version__}\\n"
)
(out / "requirements.txt").write_text(
    f"mlflow==3.1.0\\nscikit-learn=={sklearn.__version__}\\ncloudpickle==3.1.1\\n"
)
(out / "python_env.yaml").write_text(
    f"python: {platform.python_version()}\\nbuild_dependencies:\\n- pip\\n"
    "dependencies:\\n- -r requirements.txt\\n"
)
"""


@pytest.fixture(scope="module")
def old_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed: cannot build a venv with an older scikit-learn")
    root = tmp_path_factory.mktemp("old-sklearn")
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    venv = subprocess.run([uv, "venv", "-q", str(root / "venv"), "--python", python], capture_output=True)
    install = subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(root / "venv" / "bin" / "python"),
         f"scikit-learn=={OLD_SKLEARN}", "numpy<2.1"],
        capture_output=True, text=True,
    )  # fmt: skip
    if venv.returncode or install.returncode:
        pytest.skip(f"cannot install scikit-learn {OLD_SKLEARN} with uv (package index unreachable?)")
    model = root / "model"
    subprocess.run([str(root / "venv" / "bin" / "python"), "-c", _TRAIN, str(model)], check=True)
    return model


def test_model_requirements_prints_the_logged_versions(
    old_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["model-requirements", "--model", str(old_model)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if not line.startswith(("notice:", "warning:"))]
    assert lines == [f"scikit-learn=={OLD_SKLEARN}", "cloudpickle==3.1.1"]  # mlflow: mlci's own client
    assert "left out of its requirements: mlflow==3.1.0" in out


def test_version_mismatch_advice_names_the_override(
    old_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mlci.validation.loading import tree_sha256

    argv = ["validate", "--model", str(old_model), "--sha256", tree_sha256(old_model), *SEED_DATA]
    code = cli.main([*argv, "--thresholds", SEED_THRESHOLDS])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"the model was saved with scikit-learn {OLD_SKLEARN} and is loaded with" in out
    assert f"input extra-requirements 'scikit-learn=={OLD_SKLEARN}' overrides mlci's own pin" in out
    assert "mlci model-requirements --model URI prints them" in out
