"""Each reusable workflow checks mlci out at its own commit (job.workflow_repository @ job.workflow_sha).

The checkout steps of every job run here as a cross-repository caller's run would: the caller is
acme/models, the workflow comes from mlci-dev/mlci; ``actions/checkout`` clones a local stand-in of mlci
with two commits, so the test sees which commit a user's job would run mlci's scripts at. Without the
properties (GitHub Enterprise Server, act) the ``mlci-ref``/``mlci-repository`` inputs are the fallback.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from devtools.composite import Machine, Result, run_job
from mlci_testing import git_history
from repo import hygiene as h

REUSABLE = h.reusable_workflows()
#: (workflow, job) for every job that checks mlci out
JOBS = [
    (path, name)
    for path in REUSABLE
    for name, job in h.jobs(h.load(path)).items()
    if any(step.get("id") == "checkout-mlci" for step in job.get("steps") or [])
]
WARNING = "::warning title=mlci-ref ignored::"


def _git(directory: Path, *argv: str) -> str:
    done = subprocess.run(["git", "-C", str(directory), *argv], check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def mlci(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A stand-in of mlci's repository: (directory, the release the caller's uses: names, a later commit)."""
    origin = tmp_path_factory.mktemp("mlci-origin")
    own, later = git_history(origin, ["1.2.0", "1.3.0-dev"])
    return origin, own, later


def _run(
    workflow: Path, job: str, scratch: Path, origin: Path, job_context: dict[str, str], inputs: dict[str, Any]
) -> tuple[Result, Path]:
    machine = Machine(scratch, repositories={"mlci-dev/mlci": origin, "fork/mlci": origin})
    context = {"github": {"repository": "acme/models", "sha": "c" * 40}, "job": job_context}
    result = run_job(workflow, job, machine, inputs, context, stop_after="checkout-mlci")
    return result, machine.workspace / ".mlci"


def _own(sha: str, repository: str = "mlci-dev/mlci", workflow: str = "python-quality.yml") -> dict[str, str]:
    return {
        "workflow_repository": repository,
        "workflow_sha": sha,
        "workflow_ref": f"{repository}/.github/workflows/{workflow}@refs/tags/v1.2.0",
        "workflow_file_path": f".github/workflows/{workflow}",
    }


def _ids(cases: list[tuple[Path, str]]) -> list[str]:
    return [f"{path.name}:{name}" for path, name in cases]


@pytest.mark.parametrize(("workflow", "job"), JOBS, ids=_ids(JOBS))
@pytest.mark.parametrize(
    ("inputs", "warned"),
    [
        ({}, False),  # the one-line call
        ({"mlci-ref": "LATER"}, True),  # a stale mlci-ref, left behind when Dependabot moved uses:
        ({"mlci-ref": "OWN", "mlci-repository": "mlci-dev/mlci"}, False),  # what mlci's own ci.yml passes
        ({"mlci-repository": "someone/else"}, True),
    ],
    ids=["one-line-call", "stale-mlci-ref", "same-ref-given", "other-repository-given"],
)
def test_the_workflows_own_commit_is_checked_out(
    workflow: Path,
    job: str,
    inputs: dict[str, str],
    warned: bool,
    mlci: tuple[Path, str, str],
    tmp_path: Path,
) -> None:
    origin, own, later = mlci
    inputs = {name: {"OWN": own, "LATER": later}.get(value, value) for name, value in inputs.items()}
    result, checkout = _run(workflow, job, tmp_path, origin, _own(own, workflow=workflow.name), inputs)
    assert not result.failed, "\n".join(result.log)
    assert _git(checkout, "rev-parse", "HEAD") == own
    assert (checkout / "VERSION").read_text() == "1.2.0"
    assert (WARNING in result.transcript) is warned, result.transcript


@pytest.mark.parametrize(("workflow", "job"), JOBS, ids=_ids(JOBS))
def test_a_fork_of_mlci_checks_out_itself(
    workflow: Path, job: str, mlci: tuple[Path, str, str], tmp_path: Path
) -> None:
    origin, own, _ = mlci
    result, checkout = _run(workflow, job, tmp_path, origin, _own(own, "fork/mlci", workflow.name), {})
    assert not result.failed, "\n".join(result.log)
    assert ("actions/checkout", "fork/mlci", own) in [
        (ref.split("@")[0], with_.get("repository"), with_.get("ref")) for ref, with_ in result.uses
    ]


@pytest.mark.parametrize(("workflow", "job"), JOBS, ids=_ids(JOBS))
def test_without_the_properties_mlci_ref_is_the_fallback(
    workflow: Path, job: str, mlci: tuple[Path, str, str], tmp_path: Path
) -> None:
    origin, _, later = mlci
    result, checkout = _run(workflow, job, tmp_path, origin, {}, {"mlci-ref": later})  # act, GHES
    assert not result.failed, "\n".join(result.log)
    assert _git(checkout, "rev-parse", "HEAD") == later
    assert WARNING not in result.transcript


@pytest.mark.parametrize(("workflow", "job"), JOBS, ids=_ids(JOBS))
def test_without_the_properties_or_mlci_ref_the_job_says_what_to_pass(
    workflow: Path, job: str, mlci: tuple[Path, str, str], tmp_path: Path
) -> None:
    origin, _, _ = mlci
    result, checkout = _run(workflow, job, tmp_path, origin, {}, {})
    assert result.failed and result.steps["mlci"]["outcome"] == "failure"
    assert "::error title=mlci-ref is needed::" in result.transcript
    assert result.steps["checkout-mlci"]["outcome"] == "skipped" and not checkout.exists()


def test_every_reusable_workflow_checks_mlci_out() -> None:
    assert {path for path, _ in JOBS} == set(REUSABLE)
