"""Run a composite action's ``run:`` steps with bash, the way the runner does (no Docker, no act needed).

Supported: ``${{ inputs.NAME }}`` and ``${{ steps.ID.outputs.NAME }}`` in ``env:`` values, ``if: inputs.NAME
!= ''``, ``if: cancelled()`` (:func:`run_cancelled` replays a cancel), and step outputs through
``$GITHUB_OUTPUT``. ``uses:`` steps are not run: their outputs are given.
Anything else in an expression fails the test, so the runner never silently does less than GitHub would.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
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


@dataclass
class Step:
    """One ``run:`` step, ready to start: its command, environment and output file."""

    step_id: str
    argv: list[str]
    env: dict[str, str]
    output_file: Path


class _Composite:
    def __init__(self, action: Path, inputs: dict[str, str], workdir: Path, given: dict[str, dict[str, str]]):
        self.action, self.workdir = action, workdir
        self.spec = yaml.safe_load(action.read_text())
        self.values = {name: str(item.get("default", "")) for name, item in self.spec["inputs"].items()}
        unknown = set(inputs) - set(self.values)
        assert not unknown, f"not inputs of {action}: {unknown}"
        self.values.update(inputs)
        self.run = CompositeRun(outputs={k: dict(v) for k, v in given.items()})
        self.given = given
        self.runner_temp = workdir / "runner-temp"
        self.runner_temp.mkdir(exist_ok=True)

    def evaluate(self, expression: str) -> str:
        parts = expression.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return self.values[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.run.outputs.get(parts[1], {}).get(parts[3], "")
        raise NotImplementedError(f"expression not supported by the test runner: {expression}")

    def steps(self, cancelled: bool = False) -> Iterator[tuple[str, dict[str, Any]]]:
        """The steps that run, as GitHub decides: ``if: cancelled()`` only after a cancel."""
        for index, step in enumerate(self.spec["runs"]["steps"]):
            step_id = step.get("id", f"step{index}")
            if "uses" in step:
                assert step_id in self.given, f"give the outputs of the uses: step {step_id}"
                continue
            condition = step.get("if")
            if condition == "cancelled()":
                if not cancelled:
                    continue
            elif cancelled:
                continue
            elif condition is not None:
                match = _INPUT_NOT_EMPTY.match(condition)
                if not match:
                    raise NotImplementedError(f"if: not supported by the test runner: {condition}")
                if self.values[match.group(1)] == "":
                    continue
            if step_id in self.given:
                continue
            yield step_id, step

    def prepare(self, step_id: str, step: dict[str, Any]) -> Step:
        assert (
            step["shell"] == "bash" and "${{" not in step["run"]
        ), f"step {step_id}: bash only, no ${{{{ }}}}"
        output_file = self.runner_temp / f"output-{step_id}"
        output_file.touch()
        env: dict[str, Any] = dict(os.environ)
        env.update(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_ACTION_PATH": str(self.action.parent),
                "RUNNER_TEMP": str(self.runner_temp),
                "GITHUB_OUTPUT": str(output_file),
                "GITHUB_STEP_SUMMARY": str(self.runner_temp / "summary.md"),
            }
        )
        env.update(
            {
                k: _EXPR.sub(lambda m: self.evaluate(m.group(1)), str(v))
                for k, v in step.get("env", {}).items()
            }
        )
        # As the runner does: the script in a file, run by `bash --noprofile --norc -eo pipefail {0}` (bash -c
        # would exec its last command itself, which hides whether the script passes signals on).
        script = self.runner_temp / f"script-{step_id}.sh"
        script.write_text(step["run"], encoding="utf-8")
        argv = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
        return Step(step_id, argv, env, output_file)

    def record(self, step: Step, returncode: int, log: str) -> None:
        self.run.log += f"=== {step.step_id}\n{log}"
        self.run.returncodes[step.step_id] = returncode
        self.run.outputs[step.step_id] = parse_github_output(step.output_file.read_text(encoding="utf-8"))


def run_composite(
    action: Path, inputs: dict[str, str], workdir: Path, given: dict[str, dict[str, str]]
) -> CompositeRun:
    """Run ``action``'s steps in ``workdir``; ``given`` holds the outputs of steps that are not run."""
    composite = _Composite(action, inputs, workdir, given)
    for step_id, raw in composite.steps():
        step = composite.prepare(step_id, raw)
        result = subprocess.run(step.argv, cwd=workdir, env=step.env, capture_output=True, text=True)
        composite.record(step, result.returncode, result.stdout + result.stderr)
        if result.returncode != 0:
            break
    return composite.run


def run_cancelled(
    action: Path,
    inputs: dict[str, str],
    workdir: Path,
    given: dict[str, dict[str, str]],
    step_id: str,
    cancel: Callable[[subprocess.Popen[str]], None],
) -> CompositeRun:
    """Run the steps up to ``step_id``, start that one and let ``cancel`` signal it as the runner would
    (``cancel`` returns once the step's process is gone); then run the ``if: cancelled()`` steps."""
    composite = _Composite(action, inputs, workdir, given)
    for current, raw in composite.steps():
        step = composite.prepare(current, raw)
        with open(composite.runner_temp / f"log-{current}", "w+", encoding="utf-8") as log:
            process = subprocess.Popen(
                step.argv, cwd=workdir, env=step.env, stdout=log, stderr=subprocess.STDOUT, text=True
            )
            if current == step_id:
                cancel(process)
            process.wait()
            log.seek(0)
            composite.record(step, process.returncode, log.read())
        if current == step_id:
            break
        assert process.returncode == 0, composite.run.log
    for current, raw in composite.steps(cancelled=True):
        step = composite.prepare(current, raw)
        result = subprocess.run(step.argv, cwd=workdir, env=step.env, capture_output=True, text=True)
        composite.record(step, result.returncode, result.stdout + result.stderr)
    return composite.run
