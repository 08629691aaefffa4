"""This repository's own CI (.github/workflows/ci.yml) runs every action and workflow it ships.

New actions and reusable workflows are found at collection time: adding one without a self-test fails here.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from repo import hygiene as h

CI = h.REPO / ".github" / "workflows" / "ci.yml"
REUSABLE = h.reusable_workflows()
_OUTCOME = re.compile(r"steps\.([A-Za-z0-9_-]+)\.outcome")


@pytest.fixture(scope="module")
def ci() -> h.Document:
    if not CI.is_file():
        pytest.fail(f"{h.relative(CI)} does not exist")
    return h.load(CI)


def self_reference(path: Path) -> str:
    """How ci.yml refers to one of this repository's actions or workflows."""
    folder = h.relative(
        path if path.suffix in (".yml", ".yaml") and path.name != "action.yml" else path.parent
    )
    return "./" if folder == "." else f"./{folder}"


def calls(doc: h.Document) -> list[tuple[str, dict[str, Any]]]:
    """(job name, step or job) for every ``uses:`` in the workflow."""
    found = [(name, job) for name, job in h.jobs(doc).items() if "uses" in job]
    for name, job in h.jobs(doc).items():
        found += [
            (name, step) for step in job.get("steps") or [] if isinstance(step, dict) and "uses" in step
        ]
    return found


def test_ci_runs_on_main_pull_requests_and_by_hand(ci: h.Document) -> None:
    on = h.triggers(ci)
    assert (on.get("push") or {}).get("branches") == ["main"]
    assert "pull_request" in on and "workflow_dispatch" in on
    assert "github.ref" in str(ci.data["concurrency"]["group"])


def test_ci_runs_the_test_suite_on_python_3_11(ci: h.Document) -> None:
    steps = [step for job in h.jobs(ci).values() for step in job.get("steps") or []]
    assert any(str(step.get("run", "")).strip() == "make test" for step in steps)
    assert any(
        str(step.get("uses", "")).startswith("actions/setup-python@")
        and str((step.get("with") or {}).get("python-version")) == "3.11"
        for step in steps
    )


@pytest.mark.parametrize("action", h.action_files(), ids=[h.relative(path) for path in h.action_files()])
def test_ci_runs_each_action_expecting_success(ci: h.Document, action: Path) -> None:
    used = [step for _, step in calls(ci) if step["uses"] == self_reference(action)]
    assert used, f"ci.yml never runs 'uses: {self_reference(action)}'"
    assert any(
        not step.get("continue-on-error") for step in used
    ), "only expected failures: add a passing run"


@pytest.mark.parametrize("workflow", REUSABLE, ids=[h.relative(path) for path in REUSABLE])
def test_ci_calls_each_reusable_workflow_at_this_commit(ci: h.Document, workflow: Path) -> None:
    jobs = [job for _, job in calls(ci) if job["uses"] == self_reference(workflow)]
    assert jobs, f"ci.yml never calls 'uses: {self_reference(workflow)}'"
    declared = (h.triggers(h.load(workflow))["workflow_call"] or {}).get("inputs") or {}
    for job in jobs:
        given = job.get("with") or {}
        if "mlci-repository" in declared:
            assert given.get("mlci-repository") == "${{ github.repository }}"
        if "mlci-ref" in declared:
            assert given.get("mlci-ref") == "${{ github.sha }}"


def test_every_expected_failure_is_checked(ci: h.Document) -> None:
    expected = 0
    for name, job in h.jobs(ci).items():
        steps = [step for step in job.get("steps") or [] if isinstance(step, dict)]
        for index, step in enumerate(steps):
            if not step.get("continue-on-error"):
                continue
            expected += 1
            assert step.get("id"), f"job {name}: an expected failure needs an id to check its outcome"
            checks = [
                later
                for later in steps[index + 1 :]
                if step["id"] in _OUTCOME.findall(str(later.get("env", "")))
                and "failure" in str(later.get("run", ""))
            ]
            assert (
                checks
            ), f"job {name}: nothing checks that step {step['id']!r} failed (steps.{step['id']}.outcome)"
    assert expected >= 2, "the quality gate and model validation each need an expected failure"


def test_gate_job_needs_every_other_job_and_always_runs(ci: h.Document) -> None:
    jobs = h.jobs(ci)
    gates = [name for name, job in jobs.items() if "always()" in str(job.get("if", ""))]
    assert len(gates) == 1, "exactly one gate job with if: always()"
    gate = jobs[gates[0]]
    assert set(gate.get("needs") or []) == set(jobs) - {gates[0]}
    script = " ".join(str(step.get("env", "")) for step in gate.get("steps") or [])
    assert "needs" in script, "the gate reads the needed jobs' results through env"


def test_example_paths_used_by_ci_exist(ci: h.Document) -> None:
    missing = sorted(
        {path for path in re.findall(r"examples/[\w./-]+", ci.text) if not (h.REPO / path).exists()}
    )
    assert not missing, f"ci.yml uses paths that do not exist: {missing}"


def test_models_committed_for_ci_match_their_sha256_pins(ci: h.Document) -> None:
    pinned = [
        (call["with"]["model"], call["with"]["sha256"])
        for _, call in calls(ci)
        if isinstance(call.get("with"), dict)
        and "sha256" in call["with"]
        and "${{" not in call["with"]["sha256"]
    ]
    assert pinned, "the reusable model-validation workflow validates a committed, pinned model"
    for model, sha256 in pinned:
        digest = hashlib.sha256((h.REPO / model).read_bytes()).hexdigest()
        assert digest == sha256, f"{model} has sha256 {digest}; update its pin in ci.yml (or the file)"
