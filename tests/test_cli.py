"""cli.py: exit codes, one-line errors, instant --help."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

import mlci
from mlci import cli
from mlci.errors import CheckFailure, UserError
from mlci_testing import SCRIPTS, ActionsStep, run_python


def _replace_run(monkeypatch: pytest.MonkeyPatch, behaviour) -> None:
    """Make `mlci sync` behave as given (the command modules are real; only their `run` is replaced)."""
    import mlci.training.sync.command as module

    monkeypatch.setattr(module, "run", behaviour)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mlci {mlci.__version__}"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "quality" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(actions: ActionsStep, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bogus"]) == 2
    out = capsys.readouterr()
    assert out.out.count("\n") == 1
    assert out.out.startswith("::error title=mlci%3A bad usage::")
    assert "invalid choice: 'bogus'" in out.out
    assert "Traceback" not in out.err


def test_user_error_is_exit_2_and_redacted(
    actions: ActionsStep, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "SENTINEL-aws-secret")

    def run(args: argparse.Namespace) -> bool:
        raise UserError("bucket 'x' refused key SENTINEL-aws-secret; check the role.", title="mlci sync")

    _replace_run(monkeypatch, run)
    assert cli.main(["sync"]) == 2
    out = capsys.readouterr().out
    assert "SENTINEL" not in out
    assert out.endswith("::error title=mlci sync::bucket 'x' refused key ***; check the role.\n")


def test_check_failure_is_exit_1(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def run(args: argparse.Namespace) -> bool:
        raise CheckFailure("training job failed: OOM")

    _replace_run(monkeypatch, run)
    assert cli.main(["sync"]) == 1
    assert capsys.readouterr().out == "error: [mlci: check failed] training job failed: OOM\n"


def test_result_maps_to_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    _replace_run(monkeypatch, lambda args: True)
    assert cli.main(["sync"]) == 0
    _replace_run(monkeypatch, lambda args: False)
    assert cli.main(["sync"]) == 1


def test_internal_error_is_exit_3_with_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(args: argparse.Namespace) -> bool:
        raise ZeroDivisionError("oops")

    _replace_run(monkeypatch, run)
    assert cli.main(["sync"]) == 3
    captured = capsys.readouterr()
    assert "Traceback" in captured.err
    assert "internal error: ZeroDivisionError: oops" in captured.out


def test_help_imports_no_heavy_library() -> None:
    """`--help` stays instant: no ML or cloud library is imported to build the parser."""
    code = (
        "import sys, json; from mlci import cli; cli.build_parser().format_help();"
        "print(json.dumps(sorted(sys.modules)))"
    )
    result = run_python(code)
    imported = {name.split(".")[0] for name in json.loads(result.stdout)}
    heavy = {
        "numpy",
        "sklearn",
        "mlflow",
        "huggingface_hub",
        "boto3",
        "botocore",
        "pandas",
        "pyarrow",
        "yaml",
    }
    assert imported & heavy == set()


def test_python_dash_m_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mlci", "--version"],
        env={"PYTHONPATH": str(SCRIPTS)},
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stdout.strip()) == (0, f"mlci {mlci.__version__}")
