"""scripts/setup_env.py: what differs by OS, the project's tool versions, overrides, the command line."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

import setup_env
from mlci import cli


def test_venv_layout_per_os() -> None:
    assert setup_env.venv_python(PureWindowsPath(r"D:\a\_temp\env"), windows=True) == PureWindowsPath(
        r"D:\a\_temp\env\Scripts\python.exe"
    )
    assert setup_env.venv_python(
        PurePosixPath("/home/runner/work/_temp/env"), windows=False
    ) == PurePosixPath("/home/runner/work/_temp/env/bin/python")


def test_step_outputs_use_forward_slashes_that_bash_and_windows_both_take() -> None:
    python = setup_env.venv_python(PureWindowsPath(r"D:\a\_temp\mlci env"), windows=True)
    assert setup_env.output_path(python) == "D:/a/_temp/mlci env/Scripts/python.exe"


def test_pythonpath_separator_per_os() -> None:
    assert setup_env.path_list([r"D:\a\mlci\scripts", r"C:\x"], windows=True) == r"D:\a\mlci\scripts;C:\x"
    assert setup_env.path_list(["/a/scripts", "/b"], windows=False) == "/a/scripts:/b"


PRE_COMMIT = """\
# the team's hooks
repos:
  - repo: https://github.com/psf/black-pre-commit-mirror
    rev: 24.10.0
    hooks:
      - id: black
        args: [--line-length=79]
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: "v0.8.0"  # ruff
    hooks: [{id: ruff}]
  - repo: https://github.com/PyCQA/isort.git
    rev: 1d1fc4e9b8a1f4c2e5b3d7a9c0f6e2b4d8a1c3e5  # frozen: 5.13.2
    hooks:
      - id: isort
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v5.0.0
    hooks:
      - id: trailing-whitespace
  - repo: local
    hooks:
      - id: flake8
        name: flake8
        entry: flake8
        language: system
"""


def test_pre_commit_revs_give_the_tool_versions() -> None:
    assert setup_env.precommit_versions(PRE_COMMIT) == {
        "black": "24.10.0",
        "ruff": "0.8.0",
        "isort": "5.13.2",
    }


def test_project_pins_pre_commit_first_then_dev_requirements_then_dependency_groups(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text(PRE_COMMIT, encoding="utf-8")
    (tmp_path / "requirements-dev.txt").write_text("black==23.1.0\nflake8==7.1.1  # lint\nbandit>=1.7\n")
    (tmp_path / "pyproject.toml").write_text(
        "[dependency-groups]\n"
        'lint = ["flake8==6.0.0", "bandit[toml]==1.7.10", {include-group = "x"}]\n'
        "x = []\n"
    )
    found = setup_env.project_tool_versions(tmp_path)
    assert found.pins == {
        "black": "24.10.0",
        "ruff": "0.8.0",
        "isort": "5.13.2",
        "flake8": "7.1.1",
        "bandit": "1.7.10",
    }
    assert found.sources["black"] == ".pre-commit-config.yaml"
    assert found.sources["flake8"] == "requirements-dev.txt"
    assert found.sources["bandit"] == "pyproject.toml"
    given = setup_env.project_tool_versions(tmp_path, "black==24.1.0, ruff==0.9.1")
    assert (given.pins["black"], given.pins["ruff"], given.sources["ruff"]) == (
        "24.1.0",
        "0.9.1",
        "tool-versions",
    )


def test_a_rev_that_is_not_a_version_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: https://github.com/psf/black\n  rev: 24.1.0 --index-url http://evil.invalid\n"
    )
    with pytest.raises(
        setup_env.SetupError, match=r"\.pre-commit-config\.yaml: black version .* is not a version"
    ):
        setup_env.project_tool_versions(tmp_path)


def test_a_project_without_pins_keeps_the_locks_versions(tmp_path: Path) -> None:
    assert setup_env.project_tool_versions(tmp_path).pins == {}


@pytest.mark.parametrize("value", ["black", "black>=24", "mypy==1.0"])
def test_bad_tool_versions_is_one_line_and_exit_2(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    code = setup_env.main(["plan", "--env", "quality", "--project", str(tmp_path), "--tool-versions", value])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert (
        captured.err.count("\n") == 1 and "tool-versions" in captured.err and "black==24.10.0" in captured.err
    )


def plan(tmp_path: Path, *argv: str) -> setup_env.Plan:
    args = setup_env.parser().parse_args(["plan", "--venv-root", str(tmp_path), *argv])
    return setup_env.make_plan(args, {"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64"})


def test_overrides_replace_the_locks_pins_and_key_the_environment(tmp_path: Path) -> None:
    base = plan(tmp_path, "--env", "validation")
    (tmp_path / "model-requirements.txt").write_text("scikit-learn==1.5.2\n", encoding="utf-8")
    extra = "xgboost==2.1.4\n-r " + str(tmp_path / "model-requirements.txt")
    custom = plan(tmp_path, "--env", "validation", "--override", extra)
    assert custom.replaced == {"xgboost", "scikit-learn"}
    assert "scikit-learn==" in base.locked_text() and "scikit-learn==" not in custom.locked_text()
    assert "numpy==" in custom.locked_text()
    assert custom.key != base.key and custom.venv != base.venv
    assert base.key.startswith("mlci-env-validation-Linux-X64-py")
    # the content of a requirements file it names is part of the key: an edit is a new environment
    (tmp_path / "model-requirements.txt").write_text("scikit-learn==1.6.0\n", encoding="utf-8")
    assert plan(tmp_path, "--env", "validation", "--override", extra).key != custom.key


def test_an_mlflow_model_gets_the_mlflow_environment(tmp_path: Path) -> None:
    assert plan(tmp_path, "--env", "validation", "--models", "hf://o/r/m.skops", "").env == "validation"
    assert plan(tmp_path, "--env", "validation", "--models", "x.joblib", "models:/m@prod").env == "mlflow"
    (tmp_path / "model" / "MLmodel").parent.mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors: {}\n", encoding="utf-8")
    assert plan(tmp_path, "--env", "validation", "--models", str(tmp_path / "model")).env == "mlflow"


def test_a_python_older_than_the_locks_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(setup_env, "REQUIREMENTS", tmp_path)
    (tmp_path / "quality.lock").write_text("#    uv pip compile --universal --python-version 3.99 x.txt\n")
    with pytest.raises(setup_env.SetupError, match=r"too old .* use 3\.99 or newer"):
        plan(tmp_path, "--env", "quality")


def quality_namespace(environ: dict[str, str]) -> tuple[list[str], object]:
    argv = setup_env.quality_argv(environ)
    return argv, cli.build_parser().parse_args(argv)


def test_the_gate_command_line_is_what_mlci_parses() -> None:
    argv, args = quality_namespace(
        {
            "RUNNER_TEMP": "/tmp/runner",
            "MLCI_PATH": "src  tests/unit",
            "MLCI_CHECKS": "flake8,pytest",
            "MLCI_BANDIT_SEVERITY": "medium",
            "MLCI_BANDIT_CONFIDENCE": "low",
            "MLCI_PYTEST_ARGS": '-x -k "not slow"',
            "MLCI_COV_FAIL_UNDER": "80",
            "MLCI_CACHE": "false",
        }
    )
    assert argv[-3:] == ["--", "src", "tests/unit"]
    assert '--pytest-args=-x -k "not slow"' in argv  # one token: mlci splits it as a shell would
    assert vars(args)["bandit_severity"] == "medium"
    assert "--no-cache" in argv and "--changed-since" not in argv
    assert argv[argv.index("--report") + 1] == str(Path("/tmp/runner") / "mlci-quality.json")


def test_empty_inputs_leave_their_flags_out_and_check_the_current_directory() -> None:
    argv, _ = quality_namespace({"RUNNER_TEMP": "/tmp/runner", "MLCI_PATH": "", "MLCI_CACHE": "true"})
    assert argv == ["quality", "--report", str(Path("/tmp/runner") / "mlci-quality.json"), "--", "."]


def test_run_quality_without_an_environment_is_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLCI_TOOLS_PYTHON", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert setup_env.main(["run-quality"]) == 2
    assert "install --env quality" in capsys.readouterr().err
