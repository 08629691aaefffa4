"""Run a composite action's ``run:`` steps with bash, the way the runner does (no Docker, no act needed).

Supported: ``${{ inputs.NAME }}`` and ``${{ steps.ID.outputs.NAME }}`` in ``env:`` values, ``if: inputs.NAME
!= ''``, and step outputs through ``$GITHUB_OUTPUT``. ``uses:`` steps are not run: their outputs are given.
Anything else in an expression fails the test, so the runner never silently does less than GitHub would.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlci_testing import parse_github_output

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_INPUT_NOT_EMPTY = re.compile(r"^inputs\.([\w-]+) != ''$")


@dataclass
class CompositeRun:
    """What the steps did: their outputs, exit codes and combined log."""

    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    returncodes: dict[str, int] = field(default_factory=dict)
    log: str = ""

    @property
    def failed(self) -> bool:
        return any(code != 0 for code in self.returncodes.values())


def run_composite(
    action: Path, inputs: dict[str, str], workdir: Path, given: dict[str, dict[str, str]]
) -> CompositeRun:
    """Run ``action``'s steps in ``workdir``; ``given`` holds the outputs of steps that are not run."""
    spec = yaml.safe_load(action.read_text())
    values = {name: str(item.get("default", "")) for name, item in spec["inputs"].items()}
    unknown = set(inputs) - set(values)
    assert not unknown, f"not inputs of {action}: {unknown}"
    values.update(inputs)
    run = CompositeRun(outputs={k: dict(v) for k, v in given.items()})
    runner_temp = workdir / "runner-temp"
    runner_temp.mkdir(exist_ok=True)

    def evaluate(expression: str) -> str:
        parts = expression.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return values[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return run.outputs.get(parts[1], {}).get(parts[3], "")
        raise NotImplementedError(f"expression not supported by the test runner: {expression}")

    for index, step in enumerate(spec["runs"]["steps"]):
        step_id = step.get("id", f"step{index}")
        if "uses" in step:
            assert step_id in given, f"give the outputs of the uses: step {step_id}"
            continue
        condition = step.get("if")
        if condition is not None:
            match = _INPUT_NOT_EMPTY.match(condition)
            if not match:
                raise NotImplementedError(f"if: not supported by the test runner: {condition}")
            if values[match.group(1)] == "":
                continue
        if step_id in given:
            continue
        assert (
            step["shell"] == "bash" and "${{" not in step["run"]
        ), f"step {step_id}: bash only, no ${{{{ }}}}"
        output_file = runner_temp / f"output-{step_id}"
        output_file.touch()
        env: dict[str, Any] = dict(os.environ)
        env.update(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_ACTION_PATH": str(action.parent),
                "RUNNER_TEMP": str(runner_temp),
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_STEP_SUMMARY": str(runner_temp / "summary.md"),
            }
        )
        env.update(
            {k: _EXPR.sub(lambda m: evaluate(m.group(1)), str(v)) for k, v in step.get("env", {}).items()}
        )
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
        )
        run.log += f"=== {step_id}\n{result.stdout}{result.stderr}"
        run.returncodes[step_id] = result.returncode
        run.outputs[step_id] = parse_github_output(output_file.read_text(encoding="utf-8"))
        if result.returncode != 0:
            break
    return run
