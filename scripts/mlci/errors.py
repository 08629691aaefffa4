"""The two exception types that cross module borders.

Capability modules translate library exceptions (huggingface_hub, botocore, mlflow...) where they happen into
one of these, with a sentence that names the input at fault and the way out. ``mlci.cli`` is the only place
that maps them to exit codes.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input, configuration or environment: exit code 2.

    The message is one sentence naming what was wrong and how to fix it. ``title`` is the short heading of
    the annotation GitHub shows (defaults to "mlci: bad input").
    """

    exit_code = 2

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.title = title or "mlci: bad input"

    def __str__(self) -> str:
        return self.message


class CheckFailure(Exception):
    """A check ran and failed (a finding, a metric below threshold, a failed training job): exit code 1.

    Commands usually report failures through their result object; this is for the ones that must stop at once.
    """

    exit_code = 1

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.title = title or "mlci: check failed"

    def __str__(self) -> str:
        return self.message
