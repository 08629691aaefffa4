"""Action inputs and CLI flags cannot drift apart.

Each composite action's scripts run for real with bash (Python replaced by a recorder, see
scripts/devtools/composite.py); the recorded ``python -m mlci ...`` calls are parsed by mlci's own parser,
and every input must arrive at the attribute its flag sets, or be one of the few inputs that only configure
the action (``drift.ACTION_ONLY``). Actions are found at collection time.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
from pathlib import Path

import pytest

from devtools import drift
from mlci import cli
from repo import hygiene as h

ACTIONS = h.action_files()


def placeholders(commands: set[str]) -> list[str]:
    """The commands that are still the foundation's "not implemented yet" placeholder."""
    found = []
    for command in sorted(commands):
        module = cli.COMMANDS.get(command)
        if module and "not implemented yet" in inspect.getsource(importlib.import_module(module)):
            found.append(command)
    return found


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, drift.Trace]:
    parser = cli.build_parser()
    return {action: drift.trace(action, tmp_path_factory.mktemp("action"), parser) for action in ACTIONS}


@pytest.mark.parametrize("action", ACTIONS, ids=[h.relative(path) for path in ACTIONS])
def test_every_action_input_reaches_mlci(action: Path, traces: dict[Path, drift.Trace]) -> None:
    trace = traces[action]
    pending = placeholders(trace.commands)
    if pending:
        pytest.skip(f"mlci {', '.join(pending)} is still the placeholder raising 'not implemented yet'")
    assert not trace.problems, f"{h.relative(action)}:\n  {trace.explain()}"


def test_the_allowlist_of_action_only_inputs_stays_short() -> None:
    assert len(drift.ACTION_ONLY) <= 6, "an input that changes what mlci does belongs on its command line"


# ------------------------------------------------------------------ the tracer itself, on a tiny action

ACTION = """\
name: Check
description: Check a model.
inputs:
  model:
    description: The model.
    required: true
  min-accuracy:
    description: The lowest accuracy. Default 0.8.
    default: "0.8"
  trust-pickle:
    description: Load pickles. Default false.
    default: "false"
  wait:
    description: Wait for the job. Default true.
    default: "true"
  hf-token:
    description: A token. Default none.
    default: ""
  python-version:
    description: Python. Default 3.11.
    default: "3.11"
  data:
    description: The data. Default wine.
    default: sklearn:wine
runs:
  using: composite
  steps:
    - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
      id: python
      with:
        python-version: ${{ inputs.python-version }}
        update-environment: false
    - shell: bash
      env:
        PYTHON: ${{ steps.python.outputs.python-path }}
      run: |
        "$PYTHON" -m venv "$RUNNER_TEMP/venv"
        echo "VENV=$RUNNER_TEMP/venv" >> "$GITHUB_ENV"
    - shell: bash
      env:
        MLCI_MODEL: ${{ inputs.model }}
        MLCI_MIN_ACCURACY: ${{ inputs.min-accuracy }}
        MLCI_TRUST_PICKLE: ${{ inputs.trust-pickle }}
        MLCI_WAIT: ${{ inputs.wait }}
        MLCI_DATA: ${{ inputs.data }}
        HF_TOKEN: ${{ inputs.hf-token }}
      run: |
        args=(check "$MLCI_MODEL" --min-accuracy "$MLCI_MIN_ACCURACY")
        if [[ "$MLCI_TRUST_PICKLE" == "true" ]]; then args+=(--trust-pickle); fi
        if [[ "$MLCI_WAIT" == "false" ]]; then args+=(--no-wait); fi
        args+=(--data="$MLCI_DATA")
        "$VENV/bin/python" -m pip install -q mlci
        "$VENV/bin/python" -m mlci "${args[@]}"
"""


def tiny_parser(data_flag: str = "--data") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlci", exit_on_error=False)
    check = parser.add_subparsers(dest="command").add_parser("check", exit_on_error=False)
    check.add_argument("model")
    check.add_argument("--min-accuracy", type=float, default=0.8)
    check.add_argument("--trust-pickle", action="store_true")
    check.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True)
    check.add_argument(data_flag)
    return parser


def test_tracer_finds_flags_positionals_switches_and_library_variables(tmp_path: Path) -> None:
    (tmp_path / "action" / "action.yml").parent.mkdir()
    (tmp_path / "action" / "action.yml").write_text(ACTION)
    trace = drift.trace(tmp_path / "action" / "action.yml", tmp_path / "scratch", tiny_parser())
    assert trace.problems == [], trace.explain()
    assert sorted(map(str, trace.routes)) == [
        "data -> mlci check --data (flag)",
        "hf-token -> mlci check HF_TOKEN (env)",
        "min-accuracy -> mlci check --min-accuracy (flag)",
        "model -> mlci check positional (positional)",
        "trust-pickle -> mlci check --trust-pickle (switch)",
        "wait -> mlci check --no-wait (switch)",
    ]


def test_tracer_catches_a_renamed_flag(tmp_path: Path) -> None:
    (tmp_path / "action" / "action.yml").parent.mkdir()
    (tmp_path / "action" / "action.yml").write_text(ACTION)
    trace = drift.trace(tmp_path / "action" / "action.yml", tmp_path / "scratch", tiny_parser("--input-data"))
    assert any("rejects the action's command line" in problem for problem in trace.problems), trace.explain()


def test_tracer_catches_a_flag_that_only_works_as_an_abbreviation(tmp_path: Path) -> None:
    (tmp_path / "action" / "action.yml").parent.mkdir()
    (tmp_path / "action" / "action.yml").write_text(ACTION)
    trace = drift.trace(tmp_path / "action" / "action.yml", tmp_path / "scratch", tiny_parser("--dataset"))
    assert trace.problems == [
        "input 'data' goes to --data, which is not an option of mlci check (argparse may have taken it as an "
        "abbreviation of a longer option: spell it out) (baseline)"
    ]


def test_tracer_catches_an_input_that_goes_nowhere(tmp_path: Path) -> None:
    (tmp_path / "action" / "action.yml").parent.mkdir()
    (tmp_path / "action" / "action.yml").write_text(ACTION.replace('args+=(--data="$MLCI_DATA")', ""))
    parser = tiny_parser()
    trace = drift.trace(tmp_path / "action" / "action.yml", tmp_path / "scratch", parser)
    assert trace.problems[0].startswith("input 'data' reaches no mlci command line"), trace.explain()


def test_tracer_catches_a_value_that_arrives_changed(tmp_path: Path) -> None:
    (tmp_path / "action" / "action.yml").parent.mkdir()
    text = ACTION.replace('--min-accuracy "$MLCI_MIN_ACCURACY"', '--min-accuracy "${MLCI_MIN_ACCURACY}1"')
    (tmp_path / "action" / "action.yml").write_text(text)
    trace = drift.trace(tmp_path / "action" / "action.yml", tmp_path / "scratch", tiny_parser())
    assert any("'mlci.min-accuracy.sample1'" in problem for problem in trace.problems), trace.explain()
