"""A model pickled under an older scikit-learn: its logged versions are read, printed, and advised."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS
from env.wheels import OLD_SKLEARN, missing, wheelhouse
from mlci import cli

pytestmark = pytest.mark.slow


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
    """Trained offline, from the wheels ``make test-wheels`` fetched (the test fails, saying so, without)."""
    why = missing()
    if why:
        pytest.fail(why)
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not installed: install requirements-dev.txt (it pins uv)")
    root = tmp_path_factory.mktemp("old-sklearn")
    subprocess.run([uv, "venv", "-q", str(root / "venv"), "--python", sys.executable], check=True)
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(root / "venv" / "bin" / "python"), "--no-index",
         "--find-links", str(wheelhouse()), f"scikit-learn=={OLD_SKLEARN}"],
        check=True,
    )  # fmt: skip
    model = root / "model"
    subprocess.run([str(root / "venv" / "bin" / "python"), "-c", _TRAIN, str(model)], check=True)
    return model


def test_model_requirements_prints_the_logged_versions(
    old_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["model-requirements", "--model", str(old_model), "--trust-pickle"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if not line.startswith(("notice:", "warning:"))]
    assert lines == [f"scikit-learn=={OLD_SKLEARN}", "cloudpickle==3.1.1"]  # mlflow: mlci's own client
    assert "left out of its requirements: mlflow==3.1.0" in out
    # Unpinned and untrusted: what it names would be installed, and installing runs code.
    assert cli.main(["model-requirements", "--model", str(old_model)]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if not line.startswith(("notice:", "warning:"))] == []
    assert "are not used: installing the packages a model names runs their code" in out


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
