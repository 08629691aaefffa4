"""MLflow model directories on disk: the sklearn flavour (pickle or skops) and a custom pyfunc."""

from __future__ import annotations

import hashlib
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, SeedModels
from mlci import cli


def _validate(model: Path, *extra: str, thresholds: str = SEED_THRESHOLDS) -> int:
    return cli.main(["validate", "--model", str(model), *SEED_DATA, "--thresholds", thresholds, *extra])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: The recipe docs/model-validation.md gives for a directory's pin: each file's sha256sum line, by path.
SHELL_RECIPE = "find . -type f -printf '%P\\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum"


def shell_tree_sha256(directory: Path) -> str:
    """The tree hash of a model directory, computed in bash with coreutils as the docs say."""
    run = subprocess.run(
        ["bash", "-c", SHELL_RECIPE], cwd=directory, capture_output=True, text=True, check=True
    )
    return run.stdout.split()[0]


def _save(kind: str, model: Any, path: Path, **options: Any) -> Path:
    with warnings.catch_warnings(record=True):  # mlflow's own advice (it re-enables it with "once" filters)
        warnings.simplefilter("ignore")
        import mlflow.pyfunc
        import mlflow.sklearn

        if kind == "sklearn":
            mlflow.sklearn.save_model(model, str(path), pip_requirements=["scikit-learn"], **options)
        else:
            mlflow.pyfunc.save_model(
                str(path), python_model=model, pip_requirements=["scikit-learn"], **options
            )
    return path


def _wrapper(model: Any) -> Any:
    """A custom pyfunc around the forest (defined here, so cloudpickle stores it by value)."""
    with warnings.catch_warnings(record=True):  # mlflow's advice on type hints, at import and class creation
        warnings.simplefilter("ignore")
        import mlflow.pyfunc

        class Wrapped(mlflow.pyfunc.PythonModel):
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
                return self.inner.predict(model_input.to_numpy())

    return Wrapped(model)


def test_sklearn_flavour_skops(
    seed_models: SeedModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The model's own MLmodel lists the type as trusted: mlci ignores a trust list written by the file itself.
    trusted = ["sklearn.tree._tree.Tree"]
    path = _save(
        "sklearn",
        seed_models.good,
        tmp_path / "skops-model",
        serialization_format="skops",
        skops_trusted_types=trusted,
    )
    assert _validate(path) == 2
    assert (
        "model.skops: it holds types skops does not trust by default: sklearn.tree._tree.Tree"
        in capsys.readouterr().out
    )
    assert _validate(path, "--sha256", shell_tree_sha256(path)) == 0


def test_sklearn_flavour_pickle(
    seed_models: SeedModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _save("sklearn", seed_models.good, tmp_path / "pickled", serialization_format="cloudpickle")
    assert _validate(path) == 2
    assert f"pin it with --sha256 {shell_tree_sha256(path)};" in capsys.readouterr().out
    assert _validate(path, "--sha256", shell_tree_sha256(path), thresholds="roc_auc: 0.99") == 0


def test_pyfunc(seed_models: SeedModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _save("pyfunc", _wrapper(seed_models.good), tmp_path / "pyfunc")
    assert _validate(path) == 2
    assert "refusing to load this MLflow pyfunc model" in capsys.readouterr().out
    assert _validate(path, "--sha256", shell_tree_sha256(path)) == 0
    capsys.readouterr()
    # A pyfunc predicts labels only: probability metrics are refused up front.
    assert _validate(path, "--trust-pickle", thresholds="roc_auc: 0.9") == 2
    assert "roc_auc need predicted probabilities, and this mlflow-pyfunc model has no predict_proba()" in (
        capsys.readouterr().out
    )


def test_pyfunc_with_code_needs_the_tree_pin_or_trust(
    seed_models: SeedModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    helper = tmp_path / "helper_module.py"
    helper.write_text("VALUE = 1\n")
    path = _save("pyfunc", _wrapper(seed_models.good), tmp_path / "with-code", code_paths=[str(helper)])
    assert _validate(path, "--sha256", _sha256(path / "python_model.pkl")) == 2  # one file pins too little
    assert "the tree hash of the model directory with-code is" in capsys.readouterr().out
    assert _validate(path, "--trust-pickle") == 0
    # The tree covers code/helper_module.py too: pinning it is enough, --trust-pickle is not needed...
    assert _validate(path, "--sha256", shell_tree_sha256(path)) == 0
    # ...and a changed helper changes the tree.
    pinned = shell_tree_sha256(path)
    (path / "code" / "helper_module.py").write_text("VALUE = 2\n")
    assert _validate(path, "--sha256", pinned) == 2
