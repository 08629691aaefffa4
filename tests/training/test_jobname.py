"""Job names: SageMaker's pattern, and a default unique per run id, attempt and job key."""

from __future__ import annotations

import pytest

from mlci.errors import UserError
from mlci.training.launchers.identity import (
    JOB_NAME_PATTERN,
    RunContext,
    default_job_name,
    suffixed,
    validate_job_name,
)

RUN = RunContext(
    repository="acme/wine-model", pr_number="12", sha="1a2b3c4d5e6f", run_id="9876543210", run_attempt="2"
)


def with_(**changes: str) -> RunContext:
    return RunContext(**{**RUN.__dict__, **changes})


def test_default_name_is_readable_and_the_same_for_the_same_step() -> None:
    name = default_job_name(RUN)
    assert name == "mlci-wine-model-pr12-1a2b3c4-9876543210-2"
    assert (
        default_job_name(RUN) == name
    )  # a retried step computes the same name (then the fingerprint decides)


@pytest.mark.parametrize(
    ("other", "key"),
    [
        (with_(run_attempt="3"), ""),  # "Re-run jobs": a new attempt
        (with_(run_id="9876543211"), ""),  # a new run of the same commit
        (RUN, "random-forest"),  # another model of the same run
    ],
)
def test_another_run_attempt_or_job_key_is_another_name(other: RunContext, key: str) -> None:
    assert default_job_name(other, key) != default_job_name(RUN)


def test_matrix_keys_that_differ_only_in_their_tail_stay_apart_within_63_characters() -> None:
    long_run = with_(repository="acme/" + "very-long-repository-name-" * 4, pr_number="123456", sha="f" * 40)
    a = default_job_name(long_run, "python-3.11-model-gradient-boosting-a")
    b = default_job_name(long_run, "python-3.11-model-gradient-boosting-b")
    for name in (a, b):
        assert len(name) <= 63 and JOB_NAME_PATTERN.match(name)
        assert "9876543210-2" in name  # run id and attempt survive the shortening
    assert a != b


def test_odd_characters_become_hyphens() -> None:
    name = default_job_name(with_(repository="Org/My_Repo.v2", sha="ABCDEF0123"), "Model: RF")
    assert name == "mlci-my-repo-v2-pr12-abcdef0-9876543210-2-model-rf"


def test_without_a_commit_the_name_is_local() -> None:
    assert default_job_name(RunContext()) == "mlci-local"
    assert default_job_name(RunContext(), "rf") == "mlci-local-rf"


def test_suffixes_stay_within_63_characters() -> None:
    assert suffixed("job", 2) == "job-2"
    assert suffixed("x" * 63, 3) == "x" * 61 + "-3"


@pytest.mark.parametrize("name", ["", "-start", "end-", "under_score", "x" * 64, "dot.name"])
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(UserError, match="not a valid SageMaker training job name"):
        validate_job_name(name)


def test_valid_names_pass() -> None:
    assert validate_job_name("a") == "a"
    assert validate_job_name("my--job-1") == "my--job-1"
