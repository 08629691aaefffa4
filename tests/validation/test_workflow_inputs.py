"""The reusable workflow model-validation.yml takes every input of the action it runs, and passes it on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "actions" / "model-validation" / "action.yml"
WORKFLOW = ROOT / ".github" / "workflows" / "model-validation.yml"

#: action inputs that a caller of the workflow does not give as inputs, and why
NOT_WORKFLOW_INPUTS = {
    "report": "the workflow writes the report to its runner's temp and uploads it as an artifact",
    "github-token": "the workflow's own github.token, with the pull-requests permission its job declares",
    # secrets reach a reusable workflow as declared secrets, never as inputs:
    "hf-token": "a declared secret",
    "mlflow-tracking-token": "a declared secret",
    "mlflow-tracking-password": "a declared secret",
}
SECRETS = {name for name, why in NOT_WORKFLOW_INPUTS.items() if why == "a declared secret"}
#: workflow inputs that configure the workflow itself, not the action
WORKFLOW_ONLY = {"mlci-repository", "mlci-ref", "timeout-minutes"}


def _workflow() -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    call = data.get("on", data.get(True))["workflow_call"]
    step = next(s for s in data["jobs"]["validate"]["steps"] if s.get("id") == "validate")
    return call["inputs"], call.get("secrets") or {}, step["with"]


def test_every_action_input_is_a_workflow_input_or_a_listed_exclusion() -> None:
    action = set(yaml.safe_load(ACTION.read_text(encoding="utf-8"))["inputs"])
    inputs, secrets, _ = _workflow()
    assert action - set(inputs) == set(NOT_WORKFLOW_INPUTS)
    assert set(inputs) - action == WORKFLOW_ONLY
    assert set(secrets) == SECRETS


def test_each_one_is_passed_to_the_action_under_its_own_name() -> None:
    inputs, secrets, with_ = _workflow()
    for name in set(inputs) - WORKFLOW_ONLY:
        assert with_.get(name) == f"${{{{ inputs.{name} }}}}", name
    for name in secrets:
        assert with_.get(name) == f"${{{{ secrets.{name} }}}}", name


def test_the_defaults_agree() -> None:
    """A workflow input left out means what the action input left out means."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["inputs"]
    inputs, _, _ = _workflow()
    for name in set(inputs) - WORKFLOW_ONLY:
        given = inputs[name].get("default", "")
        expected = action[name].get("default", "")
        assert str(given).lower() == str(expected).lower(), name
