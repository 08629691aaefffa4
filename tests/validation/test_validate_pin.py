"""``--sha256`` on an MLflow model directory pins every file that loading it executes or unpickles.

The pin is the directory's tree hash (docs/model-validation.md, "Pinning an MLflow model directory"). The
attacks: a pinned pyfunc whose MLmodel was changed to load another file through ``loader_module``, or to run
a ``model_code_path``. The attack must not run: the sentinel file it would write is never created.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, SeedModels
from mlci import cli
from validation.test_validate_mlflow_models import _save, _sha256, _wrapper
from validation.test_validate_mlflow_models import shell_tree_sha256 as _shell_tree_sha256


def _validate(model: Path, *extra: str) -> int:
    return cli.main(["validate", "--model", str(model), *SEED_DATA, "--thresholds", SEED_THRESHOLDS, *extra])


class _Attack:
    """A pickle that, when loaded, writes a sentinel file (by calling ``exec``: no class of this module)."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (f"open({str(self.sentinel)!r}, 'w').write('the attack ran')",))


def _tamper(original: Path, target: Path, change: dict[str, Any], files: dict[str, bytes]) -> Path:
    shutil.copytree(original, target)
    mlmodel = yaml.safe_load((target / "MLmodel").read_text())
    mlmodel["flavors"]["python_function"].update(change)
    (target / "MLmodel").write_text(yaml.safe_dump(mlmodel))
    for name, content in files.items():
        (target / name).write_bytes(content)
    return target


@pytest.fixture
def pyfunc(seed_models: SeedModels, tmp_path: Path) -> Path:
    return _save("pyfunc", _wrapper(seed_models.good), tmp_path / "pyfunc")


def test_the_tree_hash_is_the_documented_recipe(
    pyfunc: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    tree = _shell_tree_sha256(pyfunc)
    # Refused without a pin, with the pin to use in the message...
    assert _validate(pyfunc) == 2
    out = capsys.readouterr().out
    assert f"pin it with --sha256 {tree};" in out
    # ...and that pin loads it, and the report records it.
    report = tmp_path / "report.json"
    assert _validate(pyfunc, "--sha256", tree, "--report", str(report)) == 0
    model = json.loads(report.read_text())["model"]
    assert (model["sha256"], model["sha256_of"]) == (tree, "directory tree")


def test_loader_module_with_a_malicious_data_pickle_never_runs(
    pyfunc: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sentinel = tmp_path / "attack-ran"
    pinned = _shell_tree_sha256(pyfunc)  # what the user reviewed and pinned
    tampered = _tamper(
        pyfunc,
        tmp_path / "tampered",
        {"loader_module": "mlflow.sklearn", "data": "weights.pkl"},
        {"weights.pkl": pickle.dumps(_Attack(sentinel))},
    )
    for pin in (pinned, _sha256(tampered / "python_model.pkl")):  # the tree, and the untouched pickle
        assert _validate(tampered, "--sha256", pin) == 2
        assert "as --sha256 pins it" in capsys.readouterr().out
        assert not sentinel.exists()


def test_model_code_path_never_runs_unpinned(
    pyfunc: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sentinel = tmp_path / "attack-ran"
    pinned = _shell_tree_sha256(pyfunc)
    code = f"open({str(sentinel)!r}, 'w').write('the attack ran')\n".encode()
    tampered = _tamper(
        pyfunc, tmp_path / "tampered", {"model_code_path": "model_code.py"}, {"model_code.py": code}
    )
    for pin in (pinned, _sha256(tampered / "python_model.pkl")):
        assert _validate(tampered, "--sha256", pin) == 2
        assert "as --sha256 pins it" in capsys.readouterr().out
        assert not sentinel.exists()
    assert _validate(tampered) == 2  # and without a pin, refused as every unpinned model
    assert not sentinel.exists()
