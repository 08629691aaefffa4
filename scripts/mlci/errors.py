"""The two exception types that cross module borders.

Capability modules translate library exceptions (huggingface_hub, botocore, mlflow...) where they happen into
one of these, with a sentence that names the input at fault and the way out. ``mlci.cli`` is the only place
that maps them to exit codes.
"""

from __future__ import annotations


class _MlciError(Exception):
    """An error with a one-sentence message and the short heading GitHub shows above it."""

    default_title: str

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.title = title or self.default_title

    def __str__(self) -> str:
        return self.message


class UserError(_MlciError):
    """Bad input, configuration or environment: exit code 2 (``mlci.cli`` maps it).

    The message is one sentence naming what was wrong and how to fix it.
    """

    default_title = "mlci: bad input"


class CheckFailure(_MlciError):
    """A check ran and failed (a finding, a metric below threshold, a failed training job): exit code 1.

    Commands usually report failures through their result object; this is for the ones that must stop at once.
    """

    default_title = "mlci: check failed"
