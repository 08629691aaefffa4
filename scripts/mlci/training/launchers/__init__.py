"""Where a training runs: one module per launcher behind a small protocol, and the registry that names them.

A launcher adds its own flags (``add_arguments``), runs one :class:`TrainSpec` to a
:class:`~mlci.training.launchers.result.TrainResult` (``launch``), and stops a job it launched from the
record it left (``stop``: the action's cleanup step after a cancelled run). ``mlci train`` refuses a flag of
another launcher that is set, so no flag is ever silently ignored. A new launcher (Vertex AI, a Kubernetes
Job, Ray) is one module exposing ``LAUNCHER`` plus one line in :data:`LAUNCHERS`.

Modules here import only the standard library at the top, so ``mlci --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mlci.training.job_metrics import MetricDefinition
    from mlci.training.launchers.identity import RunContext
    from mlci.training.launchers.result import TrainResult

#: launcher name -> the module whose ``LAUNCHER`` implements it
LAUNCHERS: dict[str, str] = {
    "local": "mlci.training.launchers.local",
    "sagemaker": "mlci.training.launchers.sagemaker",
}


@dataclass
class TrainSpec:
    """What every launcher is asked to run (the flags all launchers share)."""

    job_name: str
    context: RunContext
    #: The training code on this machine (local) or mlci sync's S3 destination (sagemaker), if any.
    code: str | None = None
    source: str = "."
    entry_point: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    output: str | None = None
    max_runtime: float = 3600.0
    wait_timeout: float | None = None
    instance_count: int = 1
    download_model: str | None = None
    #: Set by the name/fingerprint logic of a launcher when it had to pick another name.
    job_key: str = ""
    #: The metrics file the job writes to SM_OUTPUT_DATA_DIR (None: metrics.json when there is one).
    metrics_file: str | None = None
    #: Metrics in the job's log (``--metric-definitions``; SageMaker reads them itself, local here).
    metric_definitions: list[MetricDefinition] = field(default_factory=list)


@dataclass
class Hooks:
    """How a launcher talks back while it runs: cancellation, log lines, and the launched job's record."""

    cancel: threading.Event
    on_log: Callable[[str], None]
    on_status: Callable[[str], None]
    #: Called once the job exists, with what :meth:`Launcher.stop` needs to stop it.
    on_launched: Callable[[dict[str, str]], None] = lambda record: None


class Launcher(Protocol):
    """One place to train."""

    name: str

    def add_arguments(self, group: argparse._ArgumentGroup) -> None:
        """Register this launcher's own flags in its argument group."""

    def launch(self, spec: TrainSpec, args: argparse.Namespace, hooks: Hooks) -> TrainResult:
        """Run ``spec`` (this launcher's own flags are in ``args``) and return what happened."""

    def stop(self, record: dict[str, str]) -> str:
        """Stop the job ``record`` (from ``Hooks.on_launched``) names; return a line saying what was done."""


def get(name: str) -> Launcher:
    """The launcher called ``name`` (a key of :data:`LAUNCHERS`)."""
    launcher: Launcher = importlib.import_module(LAUNCHERS[name]).LAUNCHER
    return launcher
