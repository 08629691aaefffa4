"""devtools.composite: the one runner for composite actions and workflow jobs, on small files made here.

Each test runs real bash steps and checks what a workflow author would see on GitHub: step outcomes and
conclusions, outputs between steps, $GITHUB_ENV/$GITHUB_PATH, nested ``./`` actions, the recorder's view of
``python -m mlci``, the ``given`` steps of :func:`run_composite`, ``actions/checkout`` at a ref, and a cancel
replayed by :func:`run_cancelled` (``if: cancelled()``).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.composite import Machine, Runner, run_cancelled, run_composite, run_job
from mlci_testing import git_history

JOB = """\
jobs:
  job:
    steps:
      - id: ok
        run: echo "value=1" >> "$GITHUB_OUTPUT"
      - id: allowed
        continue-on-error: true
        run: exit 3
      - id: reads
        env:
          VALUE: ${{ steps.ok.outputs.value }}
          OUTCOME: ${{ steps.allowed.outcome }}
        run: test "$VALUE" = 1 && test "$OUTCOME" = failure
      - id: fails
        run: exit 1
      - id: skipped
        run: echo never
      - id: cleanup
        if: always()
        run: echo cleanup
"""

ACTION = """\
name: Check
description: Check a model.
inputs:
  model:
    description: The model.
    required: true
  level:
    description: The level. Default "low".
    default: low
outputs:
  passed:
    description: Whether it passed.
    value: ${{ steps.check.outputs.passed }}
runs:
  using: composite
  steps:
    - id: python
      uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
      with:
        update-environment: false
    - id: env
      shell: bash
      run: |
        echo "FROM_ENV=set by an earlier step" >> "$GITHUB_ENV"
        mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool ran\\n' > "$RUNNER_TEMP/bin/tool"
        chmod +x "$RUNNER_TEMP/bin/tool" && echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
    - id: check
      shell: bash
      env:
        PYTHON: ${{ steps.python.outputs.python-path }}
        MODEL: ${{ inputs.model }}
        LEVEL: ${{ inputs.level }}
      run: |
        tool
        echo "env: $FROM_ENV"
        "$PYTHON" -m mlci validate --model "$MODEL" --level "$LEVEL"
"""


def test_job_runner_follows_github_step_semantics(tmp_path: Path) -> None:
    (tmp_path / "workflow.yml").write_text(JOB)
    result = run_job(tmp_path / "workflow.yml", "job", Machine(tmp_path / "machine"))
    assert result.failed
    assert {step_id: (step["outcome"], step["conclusion"]) for step_id, step in result.steps.items()} == {
        "ok": ("success", "success"),
        "allowed": ("failure", "success"),
        "reads": ("success", "success"),
        "fails": ("failure", "failure"),
        "skipped": ("skipped", "skipped"),
        "cleanup": ("success", "success"),
    }
    assert result.returncodes == {"ok": 0, "allowed": 3, "reads": 0, "fails": 1, "cleanup": 0}


def _action(root: Path, text: str = ACTION) -> Path:
    (root / "actions" / "check").mkdir(parents=True)
    (root / "actions" / "check" / "action.yml").write_text(text)
    return root / "actions" / "check" / "action.yml"


def test_recorder_sees_the_mlci_command_line_and_the_outputs_stand_in(tmp_path: Path) -> None:
    machine = Machine(tmp_path / "machine")
    action = _action(machine.workspace)
    result = Runner(action, machine).run({"model": "hf://acme/wine/model.joblib"})
    assert not result.failed, result.log
    [call] = result.invocations
    assert call.command == "validate"
    assert call.argv == ["validate", "--model", "hf://acme/wine/model.joblib", "--level", "low"]  # default
    assert result.outputs == {"passed": "mlci-output-passed"}  # what mlci would have written
    assert "tool ran" in result.transcript and "env: set by an earlier step" in result.transcript
    assert [ref for ref, _ in result.uses] == [
        "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065"
    ]


def test_recorded_mlci_exit_code_fails_the_step(tmp_path: Path) -> None:
    machine = Machine(tmp_path / "machine")
    result = Runner(_action(machine.workspace), machine).run({"model": "m"}, exit_code=2)
    assert result.failed and result.steps["check"]["outcome"] == "failure"
    assert result.returncodes["check"] == 2


def test_an_undeclared_input_is_refused(tmp_path: Path) -> None:
    machine = Machine(tmp_path / "machine")
    with pytest.raises(ValueError, match=r"no input\(s\) \['modle'\]"):
        Runner(_action(machine.workspace), machine).run({"modle": "m"})


def test_a_nested_local_action_runs_with_its_inputs(tmp_path: Path) -> None:
    machine = Machine(tmp_path / "machine")
    _action(machine.workspace)
    (machine.workspace / "workflow.yml").write_text(
        "jobs:\n  job:\n    steps:\n      - id: nested\n        uses: ./actions/check\n"
        "        with:\n          model: ${{ github.repository }}\n"
    )
    result = run_job(machine.workspace / "workflow.yml", "job", machine)
    assert not result.failed, result.log
    assert [call.argv[2] for call in result.invocations] == ["mlci-dev/mlci"]
    assert result.steps["nested"]["outputs"] == {"passed": "mlci-output-passed"}


def test_run_composite_runs_this_interpreter_and_skips_given_steps(tmp_path: Path) -> None:
    text = ACTION.replace('"$PYTHON" -m mlci validate', '"$PYTHON" -c "import sys; print(sys.argv[1:])"')
    text = text.replace("        tool\n", "        command -v tool || echo 'no tool on PATH'\n")
    text += (
        "    - id: after\n      shell: bash\n"
        "      run: echo '## checked' >> \"$GITHUB_STEP_SUMMARY\"; exit 4\n"
        "    - id: never\n      shell: bash\n      run: echo never\n"
    )
    action = _action(tmp_path / "repo", text)
    given = {"env": {}}  # the step that sets FROM_ENV does not run
    run = run_composite(action, {"model": "m"}, tmp_path / "workspace", given)
    assert run.failed
    assert run.returncodes == {"check": 0, "after": 4}  # the step after a failure did not run
    assert "['--model', 'm', '--level', 'low']" in run.log
    assert "env: \n" in run.log and "no tool on PATH" in run.log  # the given step's effects are absent
    assert run.outputs["env"] == {}
    assert run.outputs["python"]["python-path"] == sys.executable
    assert (tmp_path / "workspace" / "runner-temp" / "summary.md").read_text() == "## checked\n"


def test_checkout_clones_a_given_repository_at_the_ref_asked_for(tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    commits = git_history(origin, ["one", "two"])
    machine = Machine(tmp_path / "machine", repositories={"acme/tools": origin})
    (machine.workspace / "workflow.yml").write_text(
        "jobs:\n  job:\n    steps:\n      - id: checkout\n"
        "        uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
        "        with:\n          repository: acme/tools\n"
        f"          ref: {commits[0]}\n          path: .tools\n"
    )
    result = run_job(machine.workspace / "workflow.yml", "job", machine)
    assert not result.failed, result.log
    assert (machine.workspace / ".tools" / "VERSION").read_text() == "one"
    assert result.steps["checkout"]["outputs"]["commit"] == commits[0]


CANCELLABLE = """\
name: Long
description: A step that runs until it is cancelled, then a cleanup.
runs:
  using: composite
  steps:
    - id: before
      shell: bash
      run: echo "ran=yes" >> "$GITHUB_OUTPUT"
    - id: long
      shell: bash
      run: |
        trap 'echo "got INT"; exit 130' INT
        echo "started" > "$RUNNER_TEMP/started"
        while true; do sleep 0.1; done
    - id: after
      shell: bash
      run: echo "never after a cancel"
    - id: cleanup
      if: cancelled()
      shell: bash
      run: echo "cleanup ran"
    - id: always
      if: always()
      shell: bash
      run: echo "always ran"
"""


def test_run_cancelled_signals_the_step_then_runs_only_what_runs_after_a_cancel(tmp_path: Path) -> None:
    action = _action(tmp_path / "repo", CANCELLABLE)
    workspace = tmp_path / "workspace"
    started = workspace / "runner-temp" / "started"

    def cancel(process: subprocess.Popen[str]) -> None:
        while not started.exists():  # wait until the step's script runs (its trap is set by then)
            try:
                process.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError("the step ended before it was cancelled")
        process.send_signal(signal.SIGINT)
        process.wait()

    run = run_cancelled(action, {}, workspace, {}, "long", cancel)
    # the step ran from a script file, so bash itself got the SIGINT and ran the script's trap
    assert run.returncodes == {"before": 0, "long": 130, "cleanup": 0, "always": 0}, run.log
    assert "got INT" in run.log and "cleanup ran" in run.log and "always ran" in run.log
    assert "never after a cancel" not in run.log
    assert run.outputs["before"] == {"ran": "yes"}
    # without a cancel, the if: cancelled() step is skipped
    quick = CANCELLABLE.replace("while true; do sleep 0.1; done", "true")
    plain = run_composite(_action(tmp_path / "quick", quick), {}, tmp_path / "quick-ws", {})
    assert plain.returncodes == {"before": 0, "long": 0, "after": 0, "always": 0}, plain.log
