"""Run a composite action's steps (or a workflow job's) with bash, with Python replaced by a recorder.

The runner does what GitHub's does, as far as command lines and outcomes are concerned: inputs with their
defaults, ``${{ }}`` in ``env:``/``with:``/``if:``/``working-directory:``, ``$GITHUB_OUTPUT``, ``$GITHUB_ENV``
and ``$GITHUB_PATH`` between steps, ``bash --noprofile --norc -eo pipefail``, steps skipped after a failure
unless their ``if:`` says otherwise, ``continue-on-error``, ``steps.<id>.outcome``. ``uses:`` steps of this
repository (``./...``) run nested; ``actions/setup-python`` answers with the recorder as its ``python-path``;
``actions/checkout`` clones a repository the machine was given (``Machine.repositories``) at the ``ref`` it
was asked for; other actions (cache, upload-artifact) do nothing. Each ``uses:`` step that is not run nested
is kept with its ``with:`` values in ``Result.uses``. ``given`` names steps that do not run: their outputs
are given. A cancel can be replayed (:func:`run_cancelled`): one step is signalled as the runner signals it,
then only the steps whose ``if:`` holds after a cancel (``cancelled()``, ``always()``) run.

The recorder stands in for every Python the scripts call: ``-m venv DIR`` creates DIR/bin with more
recorders, ``-m pip`` only records, ``-m mlci ARGS`` records ARGS and the environment, then either stops (the
default: mlci does not run) or, with ``passthrough``, runs the real ``python -m mlci ARGS`` in the test
environment, where everything is already installed. Anything else runs the real interpreter. A machine made
with ``recorder=False`` has no recorder: the scripts run with this process's environment and interpreter
(``actions/setup-python`` answers ``sys.executable``), as :func:`run_composite` does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess  # nosec B404: runs the action's own scripts in a temporary directory
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devtools import expressions

_RECORDER = """#!/usr/bin/env bash
# Stands in for python: see scripts/devtools/composite.py.
set -eu
record() { "$MLCI_RECORDER_PYTHON" -S -I "$MLCI_RECORDER_DIR/record.py" "$@"; }
if [[ "${1-}" == "-m" ]]; then
  case "${2-}" in
    venv) dir="${@: -1}"; mkdir -p "$dir/bin"
          for name in python python3 pip; do cp "$MLCI_RECORDER_DIR/$name" "$dir/bin/$name"; done; exit 0 ;;
    pip) record pip "${@:3}"; exit 0 ;;
    mlci) record mlci "${@:3}"
          if [[ -n "${MLCI_RECORDER_PASSTHROUGH-}" ]]; then exec "$MLCI_RECORDER_PYTHON" "$@"; fi
          exit "${MLCI_RECORDER_EXIT:-0}" ;;
  esac
fi
exec "$MLCI_RECORDER_PYTHON" "$@"
"""
_PIP = '#!/usr/bin/env bash\nexec "$MLCI_RECORDER_PYTHON" -S -I "$MLCI_RECORDER_DIR/record.py" pip "$@"\n'
_RECORD = """import json, os, sys
record = {"tool": sys.argv[1], "argv": sys.argv[2:], "env": dict(os.environ), "cwd": os.getcwd()}
with open(os.environ["MLCI_RECORDER_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(record) + "\\n")
"""

_HEREDOC = re.compile(r"^(?P<name>[^\n<]+)<<(?P<delim>\S+)\n(?P<value>.*?)\n(?P=delim)\n", re.S | re.M)


def parse_github_output(text: str) -> dict[str, str]:
    """Parse ``$GITHUB_OUTPUT`` the way the runner does (``name<<DELIM`` blocks and ``name=value`` lines)."""
    values: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _HEREDOC.match(text, pos)
        if match:
            values[match["name"]] = match["value"]
            pos = match.end()
            continue
        line_end = text.find("\n", pos)
        line = text[pos : line_end if line_end >= 0 else len(text)]
        if line.strip():
            name, sep, value = line.partition("=")
            if not sep:
                raise ValueError(f"malformed GITHUB_OUTPUT line: {line!r}")
            values[name] = value
        pos = len(text) if line_end < 0 else line_end + 1
    return values


#: the value a recorded mlci step leaves in each of its outputs that the file reads (``{name}``: the output)
STAND_IN = "mlci-output-{name}"


@dataclass
class Invocation:
    """One ``python -m mlci ...`` (or ``pip ...``) call the action made."""

    tool: str  # "mlci" or "pip"
    argv: list[str]
    env: dict[str, str]
    cwd: str

    @property
    def command(self) -> str | None:
        if self.tool != "mlci":
            return self.tool
        return next((arg for arg in self.argv if not arg.startswith("-")), None)


@dataclass
class Result:
    """What a run of steps did."""

    invocations: list[Invocation] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # one line per step: what ran and how it ended
    outputs: dict[str, str] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> outcome, conclusion, outputs
    failed: bool = False
    returncodes: dict[str, int] = field(default_factory=dict)  # script step id (or stepN) -> exit code
    transcript: str = ""  # every script step's whole output, each after a "=== <id>" line
    uses: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # actions not run here, with: values
    cancelled: bool = False  # the run was cancelled (a step was signalled by ``Steps.cancel``)


def _setup_python(machine: Machine, with_: Mapping[str, str]) -> dict[str, str]:
    return {
        "python-path": str(machine.recorder / "python") if machine.recording else sys.executable,
        "python-version": with_.get("python-version") or "3.11",
    }


def _checkout(machine: Machine, with_: Mapping[str, str]) -> dict[str, str]:
    """Clone ``repository`` (default: the caller's) at ``ref`` into ``path``, when the machine holds that
    repository as a local git directory; otherwise do nothing, as for any action this runner does not run."""
    source = machine.repositories.get(with_.get("repository") or machine.repository)
    if source is None:
        return {}
    target = machine.workspace / (with_.get("path") or ".")
    git = ["git", "-c", "advice.detachedHead=false"]
    for argv in (
        [*git, "clone", "--quiet", "--no-checkout", str(source), str(target)],
        [*git, "-C", str(target), "checkout", "--quiet", with_.get("ref") or "HEAD"],
    ):
        subprocess.run(argv, check=True, capture_output=True, text=True)  # nosec B603 B607: a local clone
    return {"ref": with_.get("ref", ""), "commit": _head(target)}


def _head(directory: Path) -> str:
    return subprocess.run(  # nosec B603 B607: reads a local clone
        ["git", "-C", str(directory), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


#: what a ``uses:`` step answers with, by the action it uses (without ``@ref``); any other does nothing
SIMULATED: dict[str, Callable[[Machine, Mapping[str, str]], dict[str, str]]] = {
    "actions/setup-python": _setup_python,
    "actions/checkout": _checkout,
    "actions/cache": lambda machine, with_: {"cache-hit": "false"},
    "actions/cache/restore": lambda machine, with_: {"cache-hit": "false"},
}
#: the commit a runner machine says it runs (``GITHUB_SHA``, ``github.sha``)
SHA = "9b1e4d7c2a5f8e3b6d0c9a4f7e2b5d8c1a6f3e90"


class Machine:
    """A runner machine in a scratch directory: workspace, RUNNER_TEMP, the recorder and its log.

    ``recorder=False``: no recorder; scripts run with this process's environment and interpreter.
    ``repositories``: repository (owner/name) -> a local git directory that ``actions/checkout`` clones.
    ``temp``: RUNNER_TEMP (default: ``scratch/runner-temp``); the step summary is ``temp/summary.md``.
    """

    def __init__(
        self,
        scratch: Path,
        workspace: Path | None = None,
        passthrough: bool = False,
        recorder: bool = True,
        repositories: Mapping[str, Path] | None = None,
        temp: Path | None = None,
    ):
        self.scratch = scratch
        self.recorder = scratch / "recorder"
        self.recording = recorder
        self.workspace = workspace or scratch / "workspace"
        self.temp = temp or scratch / "runner-temp"
        self.log_file = scratch / "invocations.jsonl"
        self.files = {name: scratch / name for name in ("GITHUB_ENV", "GITHUB_PATH")}
        self.files["GITHUB_STEP_SUMMARY"] = self.temp / "summary.md"
        self.passthrough = passthrough
        self.repository = "mlci-dev/mlci"  # the repository whose workflow runs (github.repository)
        self.repositories = dict(repositories or {})
        #: what a recorded mlci step "wrote" to each output the file reads (see Steps._stand_in_outputs)
        self.stand_in = STAND_IN
        self.counter = 0
        for path in (self.scratch, self.workspace, self.temp):
            path.mkdir(parents=True, exist_ok=True)
        if not recorder:
            return
        self.recorder.mkdir(exist_ok=True)
        for name, text in (
            ("python", _RECORDER),
            ("python3", _RECORDER),
            ("pip", _PIP),
            ("record.py", _RECORD),
        ):
            (self.recorder / name).write_text(text, encoding="utf-8")
            (self.recorder / name).chmod(0o755)

    def reset(self) -> None:
        """A new job: GitHub empties RUNNER_TEMP between jobs (an environment built there is gone)."""
        self.log_file.unlink(missing_ok=True)
        shutil.rmtree(self.temp, ignore_errors=True)
        self.temp.mkdir(parents=True)
        for path in self.files.values():
            path.write_text("", encoding="utf-8")

    def env(self, exit_code: int = 0) -> dict[str, str]:
        files = {name: str(path) for name, path in self.files.items()}
        if not self.recording:  # this process's environment, plus what every runner sets
            runner = {"GITHUB_WORKSPACE": str(self.workspace), "RUNNER_TEMP": str(self.temp)}
            return {**os.environ, "GITHUB_ACTIONS": "true", **runner, **files}
        return {
            "PATH": f"{self.recorder}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.scratch),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_SHA": SHA,
            "GITHUB_RUN_ATTEMPT": "1",
            "RUNNER_TEMP": str(self.temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "XDG_CACHE_HOME": str(self.scratch / "xdg-cache"),
            "MLCI_RECORDER_DIR": str(self.recorder),
            "MLCI_RECORDER_PYTHON": sys.executable,
            "MLCI_RECORDER_LOG": str(self.log_file),
            "MLCI_RECORDER_EXIT": str(exit_code),
            **({"MLCI_RECORDER_PASSTHROUGH": "1"} if self.passthrough else {}),
            **files,
        }

    def context(self, action_path: Path | None = None) -> dict[str, Any]:
        github = {
            "action_path": str(action_path or ""),
            "workspace": str(self.workspace),
            "repository": self.repository,
            "event_name": "pull_request",
            "token": "",  # nosec B105: github.token, which this machine has none of
            "sha": SHA,
            "ref": "refs/pull/42/merge",
            "run_id": "1",
            "run_attempt": "1",
            "event": {},
        }
        runner = {
            "temp": str(self.temp),
            "os": "Linux",
            "arch": "X64",
            "tool_cache": str(self.scratch / "tools"),
        }
        return {"github": github, "runner": runner, "job": {}, "steps": {}, "env": {}, "inputs": {}}

    def invocations(self) -> list[Invocation]:
        if not self.log_file.exists():
            return []
        records = map(json.loads, self.log_file.read_text(encoding="utf-8").splitlines())
        return [
            Invocation(record["tool"], record["argv"], record["env"], record["cwd"]) for record in records
        ]

    def drain(self, name: str) -> str:
        text = self.files[name].read_text(encoding="utf-8")
        self.files[name].write_text("", encoding="utf-8")
        return text


class Steps:
    """Runs a list of steps (a composite action's, or a workflow job's) on a machine."""

    def __init__(
        self,
        machine: Machine,
        text: str,
        action_path: Path | None = None,
        given: Mapping[str, Mapping[str, str]] | None = None,
        cancel: tuple[str, Callable[[subprocess.Popen[str]], None]] | None = None,
    ):
        self.machine = machine
        self.text = text  # the whole file: which step outputs does it read?
        self.action_path = action_path
        self.given = {name: dict(outputs) for name, outputs in (given or {}).items()}
        #: (step id, how the runner cancels it): the step is started, then handed to the callable, which
        #: returns once its process is gone; the run is cancelled from then on
        self.cancel = cancel

    def run(
        self,
        steps: list[dict[str, Any]],
        context: dict[str, Any],
        env: dict[str, str],
        stop_after: str | None = None,
    ) -> Result:
        result = Result()
        path: list[str] = []
        for index, step in enumerate(steps, 1):
            label = f"step {index} {step.get('name') or step.get('id') or step.get('uses') or ''}".strip()
            context["env"] = env
            if not expressions.condition(
                step.get("if"), context, failed=result.failed, cancelled=result.cancelled
            ):
                result.log.append(f"{label}: skipped")
                self._record(context, result, step, {}, "skipped")
            elif step.get("id") in self.given:
                result.log.append(f"{label}: given")
                self._record(context, result, step, self.given[step["id"]], "success")
            elif "uses" in step:
                outputs, outcome = self._uses(step, context, env, result, label)
                self._record(context, result, step, outputs, outcome)
            else:
                key = str(step.get("id") or f"step{index - 1}")
                outputs, outcome = self._script(key, step, context, env, path, result, label)
                result.cancelled = result.cancelled or (self.cancel is not None and self.cancel[0] == key)
                env = {**env, **parse_github_output(self.machine.drain("GITHUB_ENV"))}
                path += [line for line in self.machine.drain("GITHUB_PATH").splitlines() if line]
                self._record(context, result, step, outputs, outcome)
            if stop_after is not None and step.get("id") == stop_after:
                break
        context["env"] = env
        return result

    def _record(
        self,
        context: dict[str, Any],
        result: Result,
        step: Mapping[str, Any],
        outputs: dict[str, str],
        outcome: str,
    ) -> None:
        continue_on_error = expressions.render(step.get("continue-on-error", False), context) == "true"
        conclusion = "success" if outcome == "failure" and continue_on_error else outcome
        if conclusion == "failure" and not result.cancelled:
            result.failed = True
        if "id" in step:
            record = {"outputs": outputs, "outcome": outcome, "conclusion": conclusion}
            context["steps"][step["id"]] = result.steps[step["id"]] = record

    def _uses(
        self,
        step: Mapping[str, Any],
        context: dict[str, Any],
        env: dict[str, str],
        result: Result,
        label: str,
    ) -> tuple[dict[str, str], str]:
        with_ = {key: expressions.render(value, context) for key, value in (step.get("with") or {}).items()}
        ref = str(step["uses"])
        if ref.startswith("./"):
            action = self.machine.workspace / ref[2:] / "action.yml"
            nested = Runner(action, self.machine).run(with_, env=env)
            result.invocations += nested.invocations
            result.uses += nested.uses
            result.returncodes.update(nested.returncodes)
            result.transcript += nested.transcript
            result.log.append(f"{label}: {'failure' if nested.failed else 'success'}")
            result.log += [f"  {line}" for line in nested.log]
            return nested.outputs, "failure" if nested.failed else "success"
        result.uses.append((ref, with_))
        simulate = SIMULATED.get(ref.split("@", 1)[0])
        result.log.append(f"{label}: simulated" if simulate else f"{label}: does nothing here")
        return (simulate(self.machine, with_) if simulate else {}), "success"

    def _script(
        self,
        key: str,
        step: Mapping[str, Any],
        context: dict[str, Any],
        env: dict[str, str],
        path: list[str],
        result: Result,
        label: str,
    ) -> tuple[dict[str, str], str]:
        self.machine.counter += 1
        outputs_file = self.machine.scratch / f"output-{self.machine.counter}"
        outputs_file.write_text("", encoding="utf-8")
        step_env = {key: expressions.render(value, context) for key, value in (step.get("env") or {}).items()}
        full_env = {**env, **step_env, "GITHUB_OUTPUT": str(outputs_file)}
        if self.action_path:
            full_env["GITHUB_ACTION_PATH"] = str(self.action_path)
        full_env["PATH"] = ":".join([*reversed(path), full_env.get("PATH", os.defpath)])
        script = self.machine.scratch / f"step-{self.machine.counter}.sh"
        script.write_text(str(step.get("run", "")), encoding="utf-8")
        shell = (
            ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
            if step.get("shell") == "bash"
            else ["bash", "-e"]
        )
        before = len(self.machine.invocations())
        log_file = self.machine.scratch / f"step-{self.machine.counter}.log"
        cwd = self.machine.workspace / expressions.render(step.get("working-directory") or ".", context)
        with open(log_file, "w+", encoding="utf-8", errors="replace") as log:
            process = subprocess.Popen(  # nosec B603 B607: bash runs the action's own script, as the runner
                [*shell, str(script)],
                cwd=cwd,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
            )
            try:
                if self.cancel is not None and self.cancel[0] == key:
                    self.cancel[1](process)
                returncode = process.wait(timeout=600)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            log.seek(0)
            text = log.read()
        result.returncodes[key] = returncode
        result.transcript += f"=== {key}\n{text}"
        tail = " | ".join(text.strip().splitlines()[-8:])
        result.log.append(f"{label}: exit {returncode}" + (f": {tail}" if tail else ""))
        outputs = parse_github_output(outputs_file.read_text(encoding="utf-8"))
        if not self.machine.passthrough and any(
            call.tool == "mlci" for call in self.machine.invocations()[before:]
        ):
            outputs = {**self._stand_in_outputs(step), **outputs}
        return outputs, "success" if returncode == 0 else "failure"

    def _stand_in_outputs(self, step: Mapping[str, Any]) -> dict[str, str]:
        """What mlci itself would have written to $GITHUB_OUTPUT: ``mlci-output-<name>`` for each output of
        this step that the file reads (``steps.<id>.outputs.<name>``); the machine's ``stand_in`` says how."""
        if "id" not in step:
            return {}
        pattern = rf"steps\.{re.escape(str(step['id']))}\.outputs\.([A-Za-z0-9_-]+)"
        return {name: self.machine.stand_in.format(name=name) for name in re.findall(pattern, self.text)}


def _declared_inputs(
    declared: Mapping[str, Any], given: Mapping[str, Any], context: dict[str, Any], where: Path
) -> dict[str, Any]:
    """Every declared input: the given value, else its default (rendered); an undeclared one is an error."""
    specs = {name: spec or {} for name, spec in declared.items()}
    unknown = set(given) - set(specs)
    if unknown:
        raise ValueError(f"{where}: no input(s) {sorted(unknown)}")
    return {
        name: given[name] if name in given else expressions.render(spec.get("default", ""), context)
        for name, spec in specs.items()
    }


class Runner:
    """Runs one composite action."""

    def __init__(self, action: Path, machine: Machine | Path):
        self.action = action
        self.text = action.read_text(encoding="utf-8")
        self.spec = yaml.safe_load(self.text)
        self.machine = machine if isinstance(machine, Machine) else Machine(machine)

    def inputs(self, given: Mapping[str, str], context: dict[str, Any]) -> dict[str, str]:
        return _declared_inputs(self.spec.get("inputs") or {}, given, context, self.action)

    def run(
        self,
        inputs: Mapping[str, str],
        exit_code: int = 0,
        env: dict[str, str] | None = None,
        given: Mapping[str, Mapping[str, str]] | None = None,
        cancel: tuple[str, Callable[[subprocess.Popen[str]], None]] | None = None,
    ) -> Result:
        """Run every step as the runner would; return what mlci (and pip) were called with.

        ``given``: step id -> outputs, for steps that do not run here (setting up Python, say). ``cancel``:
        (step id, how to cancel its process), see :class:`Steps`."""
        nested = env is not None
        if not nested:
            self.machine.reset()
        before = len(self.machine.invocations())
        context = self.machine.context(self.action.parent)
        context["inputs"] = self.inputs(inputs, context)
        steps = Steps(self.machine, self.text, self.action.parent, given, cancel)
        result = steps.run(
            (self.spec.get("runs") or {}).get("steps") or [], context, env or self.machine.env(exit_code)
        )
        for name, spec in (self.spec.get("outputs") or {}).items():
            result.outputs[name] = expressions.render((spec or {}).get("value", ""), context)
        result.invocations = self.machine.invocations()[before:]
        return result


def workflow_job_context(machine: Machine, workflow: Path) -> dict[str, str]:
    """``job.workflow_*`` as GitHub gives them to a job of ``workflow`` in the machine's own repository."""
    name = workflow.resolve().relative_to(machine.workspace.resolve()).as_posix()
    return {
        "workflow_repository": machine.repository,
        "workflow_sha": SHA,
        "workflow_ref": f"{machine.repository}/{name}@refs/pull/42/merge",
        "workflow_file_path": name,
    }


def run_job(
    workflow: Path,
    job: str,
    machine: Machine,
    inputs: Mapping[str, Any] | None = None,
    context: Mapping[str, Mapping[str, Any]] | None = None,
    stop_after: str | None = None,
) -> Result:
    """Run one job of a workflow (its steps; ``./...`` actions from ``machine.workspace``).

    ``inputs``: a reusable workflow's ``workflow_call`` inputs (the rest take their defaults). ``context``:
    what to change in each context, by name (``{"github": {"repository": "acme/models"}, "job": {}}``); an
    empty ``job`` is how GHES and act run a job: without ``job.workflow_*``. ``stop_after``: a step id."""
    text = workflow.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    spec = data["jobs"][job]
    trigger = data.get("on", data.get(True)) or {}
    call = (trigger.get("workflow_call") if isinstance(trigger, dict) else None) or {}
    machine.reset()
    values = machine.context()
    values["job"] = workflow_job_context(machine, workflow) if machine.workspace in workflow.parents else {}
    for name, changes in (context or {}).items():
        values[name] = {**values.get(name, {}), **changes} if changes else {}
    values["inputs"] = _declared_inputs(call.get("inputs") or {}, inputs or {}, values, workflow)
    return Steps(machine, text).run(
        spec.get("steps") or [], values, {**machine.env(), **(spec.get("env") or {})}, stop_after
    )


@dataclass
class CompositeRun:
    """What an action's steps did, by step id: their outputs, exit codes, and the combined log."""

    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    returncodes: dict[str, int] = field(default_factory=dict)
    log: str = ""

    @property
    def failed(self) -> bool:
        return any(code != 0 for code in self.returncodes.values())


def run_composite(
    action: Path,
    inputs: Mapping[str, str],
    workdir: Path,
    given: Mapping[str, Mapping[str, str]],
    cancel: tuple[str, Callable[[subprocess.Popen[str]], None]] | None = None,
) -> CompositeRun:
    """Run ``action``'s steps in ``workdir`` with this process's environment and interpreter (no recorder);
    ``given`` holds the outputs of steps that are not run (step id -> outputs). RUNNER_TEMP is
    ``workdir/runner-temp``, and the step summary ``workdir/runner-temp/summary.md``. ``cancel``: see
    :func:`run_cancelled`."""
    temp = workdir / "runner-temp"
    machine = Machine(temp, workdir, recorder=False, temp=temp)
    result = Runner(action, machine).run(inputs, given=given, cancel=cancel)
    outputs = {step_id: dict(step["outputs"]) for step_id, step in result.steps.items()}
    outputs.update({step_id: dict(values) for step_id, values in given.items()})
    return CompositeRun(outputs, result.returncodes, result.transcript)


def run_cancelled(
    action: Path,
    inputs: Mapping[str, str],
    workdir: Path,
    given: Mapping[str, Mapping[str, str]],
    step_id: str,
    cancel: Callable[[subprocess.Popen[str]], None],
) -> CompositeRun:
    """:func:`run_composite`, with the workflow cancelled while step ``step_id`` runs: that step is started
    and ``cancel`` signals it as the runner would (it returns once the step's process is gone); then only
    the steps whose ``if:`` holds after a cancel (``if: cancelled()``, ``always()``) run."""
    return run_composite(action, inputs, workdir, given, cancel=(step_id, cancel))
