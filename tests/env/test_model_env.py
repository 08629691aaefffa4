"""setup_env.py plan --model-python: the environment the models' own logged versions need.

The models are MLflow model directories as MLflow writes them (MLmodel, requirements.txt, python_env.yaml);
their requirements are read by the real ``mlci model-requirements``, run by this interpreter (nothing is
unpickled: the files are text).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import setup_env
from mlci_testing import parse_github_output


def mlflow_model(directory: Path, *requirements: str) -> str:
    directory.mkdir(parents=True)
    (directory / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
        "  sklearn:\n    pickled_model: model.pkl\n    serialization_format: cloudpickle\n",
        encoding="utf-8",
    )
    (directory / "requirements.txt").write_text("".join(f"{r}\n" for r in requirements), encoding="utf-8")
    (directory / "python_env.yaml").write_text(
        "python: 3.11.7\nbuild_dependencies:\n- pip\ndependencies:\n- -r requirements.txt\n", encoding="utf-8"
    )
    return str(directory)


def plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *models: str, extra: str = "", **trust: str
) -> tuple[int, dict[str, str]]:
    """setup_env.py plan --model-python, with the action's trust inputs (default: trust-pickle true)."""
    output = tmp_path / "github-output"
    output.write_text("", encoding="utf-8")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    for name, value in (trust or {"MLCI_TRUST_PICKLE": "true"}).items():
        monkeypatch.setenv(name, value)
    argv = ["plan", "--env", "validation", "--models", *models, "--override", extra]
    code = setup_env.main([*argv, "--model-python", sys.executable, "--venv-root", str(tmp_path / "temp")])
    return code, parse_github_output(output.read_text(encoding="utf-8"))


def test_the_models_versions_are_planned_over_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = mlflow_model(tmp_path / "m", "mlflow==3.1.0", "scikit-learn==1.5.2", "cloudpickle==3.1.1")
    code, outputs = plan(tmp_path, monkeypatch, model, "")
    assert code == 0
    assert outputs["needed"] == "true" and outputs["env"] == "mlflow"
    assert Path(outputs["requirements"]).read_text() == "scikit-learn==1.5.2\ncloudpickle==3.1.1\n"

    other = mlflow_model(tmp_path / "n", "scikit-learn==1.4.2")
    _, again = plan(tmp_path, monkeypatch, other, "")
    assert again["key"] != outputs["key"] and again["venv"] != outputs["venv"]  # cached per override set


def test_extra_requirements_choose_over_the_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = mlflow_model(tmp_path / "m", "scikit-learn==1.5.2", "cloudpickle==3.1.1")
    code, outputs = plan(tmp_path, monkeypatch, model, "", extra="scikit-learn==1.6.1\nxgboost==2.1.4")
    assert code == 0
    assert Path(outputs["requirements"]).read_text() == "cloudpickle==3.1.1\n"
    planned = setup_env.make_plan(
        setup_env.parser().parse_args(
            ["install", "--env", "validation", "--models", model, "--override",
             "scikit-learn==1.6.1\nxgboost==2.1.4", "--requirements", outputs["requirements"],
             "--venv-root", str(tmp_path / "temp")]
        )
    )  # fmt: skip
    assert planned.key == outputs["key"]  # what the install step builds is what was planned (and cached)
    assert {"scikit-learn", "xgboost", "cloudpickle"} <= planned.replaced


def test_model_and_baseline_pinning_one_library_differently_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model = mlflow_model(tmp_path / "challenger", "scikit-learn==1.5.2", "cloudpickle==3.1.1")
    baseline = mlflow_model(tmp_path / "champion", "scikit-learn==1.4.2", "cloudpickle==3.1.1")
    code, outputs = plan(tmp_path, monkeypatch, model, baseline)
    err = capsys.readouterr().out.strip().splitlines()
    assert code == 2 and outputs == {}
    assert err[-1] == (
        f"::error title=mlci environment::--model {model} was logged with scikit-learn==1.5.2 and --baseline "
        f"{baseline} with scikit-learn==1.4.2: one environment loads both. Choose the version with the input "
        "extra-requirements (e.g. 'scikit-learn==1.5.2'), which overrides what the models were logged with."
    )
    code, outputs = plan(tmp_path, monkeypatch, model, baseline, extra="scikit-learn==1.5.2")
    assert code == 0 and Path(outputs["requirements"]).read_text() == "cloudpickle==3.1.1\n"


def test_a_model_file_needs_no_second_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model.joblib").write_bytes(b"not unpickled")
    code, outputs = plan(tmp_path, monkeypatch, str(tmp_path / "model.joblib"), "")
    assert code == 0 and outputs == {"needed": "false"}


def test_a_model_that_cannot_be_read_is_one_line_from_mlci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    code, outputs = plan(tmp_path, monkeypatch, "hf://", "")
    captured = capfd.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
    assert code == 2 and outputs == {}
    assert lines == [
        "::error title=mlci validate%3A bad model URI::--model hf://: it names no file inside an OWNER/REPO "
        "repository; expected hf://OWNER/REPO[@REVISION]/PATH/IN/REPO."
    ]


def test_only_a_pinned_or_trusted_models_versions_are_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Installing the packages a model names runs their code: as unpickling it, only with a pin or trust."""
    from mlci.validation.loading import tree_sha256

    model = mlflow_model(tmp_path / "m", "scikit-learn==1.5.2", "evil-package==6.6.6")
    tree = tree_sha256(Path(model))
    code, outputs = plan(tmp_path, monkeypatch, model, "", MLCI_TRUST_PICKLE="false")
    out = capfd.readouterr().out
    assert code == 0 and outputs == {"needed": "false"}
    assert "its logged versions (scikit-learn==1.5.2 evil-package==6.6.6) are not used" in out
    assert f"Pin the model (--sha256 {tree}) or trust it (--trust-pickle)." in out

    code, outputs = plan(tmp_path, monkeypatch, model, "", MLCI_TRUST_PICKLE="false", MLCI_SHA256=tree)
    assert code == 0 and outputs["needed"] == "true"

    (Path(model) / "requirements.txt").write_text("scikit-learn==1.5.2\nevil-package==6.6.7\n")
    code, outputs = plan(tmp_path, monkeypatch, model, "", MLCI_TRUST_PICKLE="false", MLCI_SHA256=tree)
    lines = [line for line in capfd.readouterr().out.splitlines() if line.startswith("::error")]
    assert code == 2 and outputs == {}
    assert len(lines) == 1 and f"is {tree_sha256(Path(model))}, not {tree} as --sha256 pins it" in lines[0]
