"""What a user sees when mlci refuses an input: exit 2, one error line naming it, no secret, no report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mlci_testing import ActionsStep

#: A sentinel per secret mlci may find in its environment: none may ever show up in what a run writes.
SENTINELS = {
    "HF_TOKEN": "hf_SENTINELhardeningHuggingFaceToken0000",
    "AWS_SECRET_ACCESS_KEY": "SENTINEL/hardening/aws/secret/access/key0",
    "AWS_SESSION_TOKEN": "SENTINEL-hardening-aws-session-token-000000",
    "GITHUB_TOKEN": "ghs_SENTINELhardeningGitHubToken00000000",
    "MLFLOW_TRACKING_TOKEN": "SENTINEL-hardening-mlflow-tracking-token",
}


def set_sentinels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put every sentinel secret in the environment."""
    for name, value in SENTINELS.items():
        monkeypatch.setenv(name, value)


@dataclass(frozen=True)
class Run:
    """What one in-process run left behind."""

    code: int
    out: str
    err: str

    @property
    def errors(self) -> list[str]:
        return [line for line in self.out.splitlines() if line.startswith("::error")]


def assert_refused(
    run: Run, names: str, *, actions: ActionsStep | None = None, report: Path | None = None
) -> str:
    """Exit 2 with exactly one ``::error`` line holding ``names``, no traceback, no report, no secret.

    Returns the error line.
    """
    assert run.code == 2, (run.code, run.out, run.err)
    assert run.out.count("::error") == 1 and len(run.errors) == 1, run.out
    line = run.errors[0]
    assert names in line, line
    assert "Traceback" not in run.out + run.err, run.err
    if report is not None:
        assert not report.exists(), f"a failed run left a report at {report}"
    written = [run.out, run.err]
    if actions is not None:
        written += [actions.summary, actions.output_file.read_text(encoding="utf-8")]
    for text in written:
        for name, value in SENTINELS.items():
            assert value not in text, f"{name} leaked: {text[:2000]}"
    return line
