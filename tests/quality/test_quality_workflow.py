"""The reusable workflow python-quality.yml offers what the root action offers: every input of the root
action is an input of the workflow that reaches the action's step under the same name, apart from a short
list of inputs the workflow replaces by its own (each with the reason); SARIF reaches code scanning from a
job of its own, the only one that may write security events."""

from __future__ import annotations

import re
from typing import Any

import pytest

from repo import hygiene as h

ACTION = h.load(h.REPO / "action.yml")
WORKFLOW = h.load(h.REPO / ".github" / "workflows" / "python-quality.yml")
UPLOAD_SARIF = "github/codeql-action/upload-sarif"

#: Root action inputs the workflow replaces, and the workflow inputs that do their job.
REPLACED = {
    "path": "paths",  # plural, as the workflow's other list inputs; it is passed to the action's path
    "python-version": "lint-python-version",  # the test job's Pythons are python-versions, a matrix
    "changed-since": "changed-only",  # a ref the workflow knows itself: the pull request's base branch
    "report-path": None,  # each job keeps its report as an artifact; no file system is shared with the caller
}


def _inputs(doc: h.Document) -> dict[str, Any]:
    spec = doc.data
    return dict((spec["inputs"] if "runs" in spec else spec["on"]["workflow_call"]["inputs"]) or {})


def _gate_steps() -> dict[str, dict[str, Any]]:
    """Each job's step that runs the root action (``uses: ./.mlci``), by job."""
    found = {}
    for name, job in h.jobs(WORKFLOW).items():
        for step in job.get("steps", []):
            if step.get("uses") == "./.mlci":
                found[name] = step
    return found


def test_every_root_action_input_is_a_workflow_input() -> None:
    workflow = _inputs(WORKFLOW)
    missing = [name for name in _inputs(ACTION) if name not in workflow and name not in REPLACED]
    assert missing == [], f"python-quality.yml lacks the root action's inputs {missing}"
    assert {target for target in REPLACED.values() if target} <= set(workflow)


def test_every_shared_input_reaches_the_action() -> None:
    """A workflow input named as the action's is passed on, as is, to the action's step of some job."""
    passed: dict[str, set[str]] = {}
    for step in _gate_steps().values():
        for key, value in (step.get("with") or {}).items():
            passed.setdefault(key, set()).add(str(value))
    # sarif: the workflow's is a switch, the action's a file name (see the SARIF test below)
    shared = [name for name in _inputs(ACTION) if name in _inputs(WORKFLOW) and name != "sarif"]
    not_passed = [name for name in shared if f"${{{{ inputs.{name} }}}}" not in passed.get(name, set())]
    assert not_passed == []
    assert "${{ inputs.paths }}" in passed["path"]


def test_sarif_becomes_an_artifact_and_no_job_asks_for_security_events() -> None:
    """GitHub checks a called workflow's permissions before any ``if:``: a job here with security-events:
    write would make every caller grant it. The lint job keeps the SARIF file as an artifact instead, and the
    docs show the caller's upload job, upload-sarif pinned to a commit."""
    assert not [
        name for name, job in h.jobs(WORKFLOW).items() if "security-events" in (job.get("permissions") or {})
    ]
    lint = h.jobs(WORKFLOW)["lint"]
    assert "inputs.sarif" in str(_gate_steps()["lint"]["with"]["sarif"])
    kept = [
        step for step in lint["steps"] if str(step.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    artifact = lint["outputs"]["sarif-artifact"]
    assert any(step["with"]["name"] in artifact and "inputs.sarif" in step["if"] for step in kept)
    docs = (h.REPO / "docs" / "quality.md").read_text(encoding="utf-8")
    assert re.search(UPLOAD_SARIF + r"@[0-9a-f]{40} # v\d+\.\d+\.\d+", docs)
    assert "needs.quality.outputs.sarif-artifact" in docs and "security-events: write" in docs


@pytest.mark.parametrize("name", ["annotate", "sarif"])
def test_the_new_inputs_state_their_default(name: str) -> None:
    spec = _inputs(WORKFLOW)[name]
    assert "Default:" in spec["description"] and "default" in spec
