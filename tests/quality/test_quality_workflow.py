"""The reusable workflow python-quality.yml offers what the root action offers: every input of the root
action is an input of the workflow that reaches the action's step under the same name, apart from a short
list of inputs the workflow replaces by its own (each with the reason); SARIF reaches code scanning from a
job of its own, the only one that may write security events."""

from __future__ import annotations

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


def test_sarif_is_uploaded_by_a_job_of_its_own_that_alone_writes_security_events() -> None:
    jobs = h.jobs(WORKFLOW)
    writers = [name for name, job in jobs.items() if (job.get("permissions") or {}).get("security-events")]
    assert len(writers) == 1
    job = jobs[writers[0]]
    assert job["permissions"] == {"actions": "read", "contents": "read", "security-events": "write"}
    assert "lint" in ([job["needs"]] if isinstance(job["needs"], str) else job["needs"])
    assert "inputs.sarif" in job["if"]
    uploads = [step for step in job["steps"] if str(step.get("uses", "")).startswith(UPLOAD_SARIF + "@")]
    assert len(uploads) == 1
    assert not any(str(step.get("uses", "")) == "./.mlci" for step in job["steps"])  # runs no project code
    lint = _gate_steps()["lint"]
    assert "sarif" in (lint.get("with") or {})


@pytest.mark.parametrize("name", ["annotate", "sarif"])
def test_the_new_inputs_state_their_default(name: str) -> None:
    spec = _inputs(WORKFLOW)[name]
    assert "Default:" in spec["description"] and "default" in spec
