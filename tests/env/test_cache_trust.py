"""The root action's cache trust: lint verdicts saved only by the default branch, pytest apart.

The action's steps run with scripts/devtools/composite.py (the runner's expressions, conditions and outputs;
Python replaced by a recorder), on a pull request and on a push to the default branch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools.composite import Machine, Result, Runner

ACTION = Path(__file__).resolve().parents[2] / "action.yml"


class PushMachine(Machine):
    """A push to the default branch (the base Machine is a pull request)."""

    def context(self, action_path: Path | None = None) -> dict[str, Any]:
        context = super().context(action_path)
        context["github"].update(
            event_name="push", ref="refs/heads/main", event={"repository": {"default_branch": "main"}}
        )
        return context


def run(machine: Machine, **inputs: str) -> Result:
    result = Runner(ACTION, machine).run(inputs)
    assert not result.failed, "\n".join(result.log)
    return result


def step_log(result: Result, name: str) -> str:
    return next(line for line in result.log if f" {name}:" in line)


@pytest.mark.parametrize(
    ("machine_type", "saved"), [(Machine, False), (PushMachine, True)], ids=["pull-request", "push-to-main"]
)
def test_only_the_default_branch_saves_lint_verdicts(
    tmp_path: Path, machine_type: type[Machine], saved: bool
) -> None:
    result = run(machine_type(tmp_path), cache="true")
    assert step_log(result, "Restore the result cache").endswith("simulated")  # every run restores
    assert step_log(result, "Save the result cache").endswith("skipped") is not saved


def test_pytest_runs_in_an_environment_apart_from_the_linters(tmp_path: Path) -> None:
    machine = Machine(tmp_path)
    (machine.workspace / "requirements.txt").write_text("requests==2.32.3\n", encoding="utf-8")
    result = run(machine, checks="flake8,pytest", requirements="requirements.txt")
    (gate,) = [call for call in result.invocations if call.tool == "mlci"]
    tests_python = Path(gate.env["MLCI_PYTEST_PYTHON"])
    assert tests_python.is_relative_to(machine.temp / "mlci-project")
    installs = [call.argv for call in result.invocations if call.tool == "pip"]
    assert ["-r", "requirements.txt"] == installs[-1][-2:]  # the project's, after its lock, in its own venv
    assert all("requirements.txt" not in argv for argv in installs[:2])  # not in the linters' install


def test_the_linters_environment_is_saved_before_any_project_code_runs() -> None:
    names = [step["name"] for step in yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["steps"]]
    saved = names.index("Save the linters' environment")
    assert saved < names.index("Install the project's test environment") < names.index("Run the quality gate")
