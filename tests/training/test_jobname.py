"""Job names: SageMaker's pattern, and the deterministic default."""

from __future__ import annotations

import pytest

from mlci.errors import UserError
from mlci.training.jobname import JOB_NAME_PATTERN, default_job_name, validate_job_name


def test_default_name_is_deterministic_and_readable() -> None:
    name = default_job_name("acme/wine-model", "12", "1a2b3c4d5e6f", "2")
    assert name == "mlci-wine-model-pr12-1a2b3c4-2"
    assert default_job_name("acme/wine-model", "12", "1a2b3c4d5e6f", "2") == name  # a re-run: same name
    assert default_job_name("acme/wine-model", "12", "1a2b3c4d5e6f", "3") != name  # a new attempt: new job
    assert default_job_name("acme/wine-model", "", "1a2b3c4", "") == "mlci-wine-model-1a2b3c4"


def test_long_repository_names_are_shortened_but_stay_distinct() -> None:
    a = default_job_name("acme/" + "very-long-repository-name-" * 4 + "a", "123456", "f" * 40, "10")
    b = default_job_name("acme/" + "very-long-repository-name-" * 4 + "b", "123456", "f" * 40, "10")
    assert len(a) <= 63 and JOB_NAME_PATTERN.match(a)
    assert a != b


def test_odd_characters_become_hyphens() -> None:
    assert default_job_name("Org/My_Repo.v2", "7", "ABCDEF0123", "1") == "mlci-my-repo-v2-pr7-abcdef0-1"


def test_a_commit_is_needed() -> None:
    with pytest.raises(UserError, match="pass --job-name"):
        default_job_name("acme/wine", "1", "", "1")


@pytest.mark.parametrize("name", ["", "-start", "end-", "under_score", "x" * 64, "dot.name"])
def test_invalid_names_are_refused(name: str) -> None:
    with pytest.raises(UserError, match="not a valid SageMaker training job name"):
        validate_job_name(name)


def test_valid_names_pass() -> None:
    assert validate_job_name("a") == "a"
    assert validate_job_name("my--job-1") == "my--job-1"
