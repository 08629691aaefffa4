"""ci.yml's self-test jobs, run here for real: each action with the inputs ci.yml gives it, on the example
projects, with mlci and the training script running in this test environment (nothing is installed).

What act would do on a laptop, without Docker: the expected failures must fail, the rest must pass, and
each job's own "Check the outcomes" step must agree. See scripts/devtools/composite.py for what is simulated.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from devtools.composite import Machine, Result, run_job
from repo import hygiene as h

CI = h.REPO / ".github" / "workflows" / "ci.yml"
#: the jobs of ci.yml that run this repository's actions directly (the others call reusable workflows)
ACTION_JOBS = sorted(
    name
    for name, job in (h.jobs(h.load(CI)) if CI.is_file() else {}).items()
    if any(str(step.get("uses", "")).startswith("./") for step in job.get("steps") or [])
)
_COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", ".pytest_cache", ".coverage", "*.egg-info"
)


def _run(name: str, scratch: Path) -> Result:
    workspace = scratch / "workspace"
    shutil.copytree(h.REPO, workspace, ignore=_COPY_IGNORE)
    return run_job(
        workspace / ".github" / "workflows" / "ci.yml", name, Machine(scratch, workspace, passthrough=True)
    )


@pytest.fixture(scope="module")
def job_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    with ThreadPoolExecutor(max_workers=len(ACTION_JOBS) or 1) as pool:
        futures = {name: pool.submit(_run, name, tmp_path_factory.mktemp(name)) for name in ACTION_JOBS}
    return {name: future.result() for name, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", ACTION_JOBS)
def test_ci_self_test_job_passes(name: str, job_results: dict[str, Result]) -> None:
    result = job_results[name]
    assert not result.failed, f"ci.yml job {name} failed:\n  " + "\n  ".join(result.log)
    steps = h.jobs(h.load(CI))[name].get("steps") or []
    expected_failures = {step["id"] for step in steps if step.get("continue-on-error")}
    outcomes = {step_id: step["outcome"] for step_id, step in result.steps.items()}
    assert {step_id: outcomes.get(step_id) for step_id in expected_failures} == dict.fromkeys(
        expected_failures, "failure"
    ), "\n  ".join(result.log)
    assert all(
        outcome == "success" for step_id, outcome in outcomes.items() if step_id not in expected_failures
    )
