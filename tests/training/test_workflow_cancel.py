"""What a cancelled run does, read from the workflows' and the action's own ``if:`` conditions.

Each condition is evaluated by devtools' expression evaluator under GitHub's documented status functions
("Evaluate expressions": ``always()`` is true even when the run is cancelled, ``cancelled()`` only then,
``success()`` only when every earlier step or needed job succeeded, and a condition with no status function
means ``success() && ...``), for three runs: one that succeeded, one that failed, one that was cancelled
(a newer push superseding it, or a user's cancel) after its training had succeeded.

What a user expects: a superseded run registers nothing as @pr-N and posts no verdict (the newer run will);
a failed run still hands its report on and comments red; a cancelled run stops the SageMaker job it started;
this repository's own CI gate still runs, and fails, on a cancelled run (a skipped required check passes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools.expressions import condition, job_condition

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = yaml.safe_load((ROOT / ".github/workflows/continuous-training.yml").read_text(encoding="utf-8"))
ACTION = yaml.safe_load((ROOT / "actions/continuous-training/action.yml").read_text(encoding="utf-8"))
CI = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text(encoding="utf-8"))

INPUTS = {
    "register-model-name": "wine",
    "comment": True,
    "launcher": "local",
    "validate-thresholds": "accuracy: 0.9",
    "role-to-assume": "",
}


def _context(needs: dict[str, str], **inputs: Any) -> dict[str, Any]:
    return {
        "inputs": {**INPUTS, **inputs},
        "github": {"event_name": "pull_request", "event": {"pull_request": {"number": 5}}},
        "needs": {
            job: {"result": result, "outputs": {"train": "true"} if job == "gate" else {}}
            for job, result in needs.items()
        },
        "steps": {},
        "env": {},
    }


def _job_runs(name: str, needs: dict[str, str], cancelled: bool, **inputs: Any) -> bool:
    job = WORKFLOW["jobs"][name]
    return job_condition(job.get("if"), _context(needs, **inputs), cancelled=cancelled)


def _step(steps: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(step for step in steps if step.get("name") == name)


TRAINED = {"gate": "success", "train": "skipped", "train-local": "success"}
TRAINING_FAILED = {"gate": "success", "train": "skipped", "train-local": "failure"}
# the run
SUCCEEDED, FAILED, CANCELLED = "succeeded", "failed", "cancelled"


@pytest.mark.parametrize(
    ("run", "needs", "expected"),
    [
        (SUCCEEDED, TRAINED, True),
        (FAILED, TRAINING_FAILED, False),  # no model to register
        (CANCELLED, TRAINED, False),  # superseded after training: @pr-N is the newer run's to set
        (CANCELLED, {"gate": "success", "train": "skipped", "train-local": "cancelled"}, False),
    ],
)
def test_the_challenger_registers_only_for_a_run_that_was_not_cancelled(
    run: str, needs: dict[str, str], expected: bool
) -> None:
    assert _job_runs("challenger", needs, cancelled=run == CANCELLED) is expected


@pytest.mark.parametrize(
    ("run", "needs", "expected"),
    [
        (SUCCEEDED, {**TRAINED, "challenger": "success"}, True),
        (FAILED, {**TRAINING_FAILED, "challenger": "skipped"}, True),  # a red comment says why
        (FAILED, {**TRAINED, "challenger": "failure"}, True),
        (CANCELLED, {**TRAINED, "challenger": "success"}, False),  # cancelled once registered: no verdict
        (CANCELLED, {**TRAINED, "challenger": "cancelled"}, False),
        # a job of the run cancelled on its own (job-level concurrency: a newer run took its place), the run
        # itself not: the newer run comments, not this one
        (SUCCEEDED, {**TRAINED, "challenger": "cancelled"}, False),
        (
            SUCCEEDED,
            {"gate": "success", "train": "skipped", "train-local": "cancelled", "challenger": "skipped"},
            False,
        ),
    ],
)
def test_the_comment_is_posted_for_a_finished_run_never_for_a_cancelled_one(
    run: str, needs: dict[str, str], expected: bool
) -> None:
    assert _job_runs("comment", needs, cancelled=run == CANCELLED) is expected


@pytest.mark.parametrize("job", ["train", "train-local"])
@pytest.mark.parametrize(
    "step", ["Hand the model and the training report to the challenger job", "Upload the hand-off"]
)
@pytest.mark.parametrize(("run", "expected"), [(SUCCEEDED, True), (FAILED, True), (CANCELLED, False)])
def test_the_hand_off_is_made_after_success_or_failure_not_after_a_cancel(
    job: str, step: str, run: str, expected: bool
) -> None:
    found = _step(WORKFLOW["jobs"][job]["steps"], step)
    runs = condition(found.get("if"), _context({}), failed=run == FAILED, cancelled=run == CANCELLED)
    assert runs is expected


@pytest.mark.parametrize(("run", "expected"), [(SUCCEEDED, True), (FAILED, True), (CANCELLED, False)])
def test_the_challengers_reports_are_uploaded_unless_the_run_was_cancelled(run: str, expected: bool) -> None:
    found = _step(WORKFLOW["jobs"]["challenger"]["steps"], "Upload the challenger's reports")
    assert (
        condition(found.get("if"), _context({}), failed=run == FAILED, cancelled=run == CANCELLED) is expected
    )


@pytest.mark.parametrize(
    ("step", "succeeded", "failed", "cancelled"),
    [
        ("stop", False, False, True),  # a cancel stops the SageMaker job, whatever else ran
        ("validate", True, False, False),
        ("train", True, False, False),
    ],
)
def test_the_action_stops_the_job_on_a_cancel_and_does_nothing_else(
    step: str, succeeded: bool, failed: bool, cancelled: bool
) -> None:
    found = next(s for s in ACTION["runs"]["steps"] if s.get("id") == step)
    context = _context({}, **{"validate-thresholds": "accuracy: 0.9"})
    assert condition(found.get("if"), context) is succeeded
    assert condition(found.get("if"), context, failed=True) is failed
    assert condition(found.get("if"), context, cancelled=True) is cancelled


@pytest.mark.parametrize(
    ("results", "cancelled"),
    [({"test": "success"}, False), ({"test": "failure"}, False), ({"test": "cancelled"}, True)],
)
def test_cis_gate_runs_on_every_run_so_a_cancelled_one_is_not_a_skipped_pass(
    results: dict[str, str], cancelled: bool
) -> None:
    context = {"needs": {job: {"result": result} for job, result in results.items()}, "github": {}}
    assert job_condition(CI["jobs"]["gate"].get("if"), context, cancelled=cancelled) is True
